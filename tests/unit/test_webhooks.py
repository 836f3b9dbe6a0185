"""Webhook rules without a database: signing and verifying, event matching, URLs, backoff."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from openoms.integrations.webhooks.claims import ClaimedDelivery
from openoms.integrations.webhooks.event_types import EVENT_TYPES
from openoms.integrations.webhooks.model import (
    DeliveryStatus,
    Outcome,
    SubscriptionSpec,
    backoff_seconds,
    check_patterns,
    check_url,
    matches,
    status_after,
)
from openoms.integrations.webhooks.relay import USER_AGENT, request_body, request_headers
from openoms.integrations.webhooks.signing import (
    InvalidSignature,
    generate_secret,
    parse_signature_header,
    signature_header,
    verify_signature,
)
from openoms.shared.events import Event

SRC = Path(__file__).resolve().parents[2] / "src" / "openoms"
NOW = 1_760_000_000
BODY = b'{"id":"e1","type":"transfer.shipped","data":{"number":"TR-000001"}}'
KNOWN = {"transfer.requested", "transfer.shipped", "order.line.added"}


# --- signing --------------------------------------------------------------------------


def test_the_signature_is_the_hmac_of_timestamp_dot_body() -> None:
    header = signature_header(["whsec_abc"], NOW, BODY)

    expected = hmac.new(b"whsec_abc", f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert header == f"t={NOW},v1={expected}"


def test_a_receiver_accepts_a_fresh_request_signed_with_its_secret() -> None:
    secret = generate_secret()
    header = signature_header([secret], NOW, BODY)

    assert verify_signature(secret, BODY, header, now=NOW + 10) == NOW


@pytest.mark.parametrize(
    ("secret", "body", "now"),
    [
        ("whsec_other", BODY, NOW),  # signed with another secret
        ("whsec_abc", BODY + b" ", NOW),  # body changed on the way
        ("whsec_abc", BODY, NOW + 301),  # too old: a replayed capture
        ("whsec_abc", BODY, NOW - 301),  # from the future: a skewed or forged clock
    ],
)
def test_a_receiver_rejects_a_wrong_secret_a_changed_body_and_a_stale_timestamp(
    secret: str, body: bytes, now: int
) -> None:
    header = signature_header(["whsec_abc"], NOW, BODY)

    with pytest.raises(InvalidSignature):
        verify_signature(secret, body, header, now=now)


@pytest.mark.parametrize(
    "header", ["", "t=abc,v1=00", "v1=00", f"t={NOW}", f"t={NOW},v0=00", "t=1;v1=00", "garbage"]
)
def test_a_malformed_signature_header_is_rejected(header: str) -> None:
    with pytest.raises(InvalidSignature):
        verify_signature("whsec_abc", BODY, header, now=NOW)


def test_during_a_rotation_either_secret_verifies() -> None:
    header = signature_header(["whsec_new", "whsec_old"], NOW, BODY)

    assert parse_signature_header(header)[0] == NOW
    assert len(parse_signature_header(header)[1]) == 2
    assert verify_signature("whsec_new", BODY, header, now=NOW) == NOW
    assert verify_signature("whsec_old", BODY, header, now=NOW) == NOW


def test_secrets_are_random_and_long() -> None:
    first, second = generate_secret(), generate_secret()

    assert first != second
    assert first.startswith("whsec_")
    assert len(first) >= 40


# --- the request ----------------------------------------------------------------------


def test_the_request_carries_the_event_and_a_verifiable_signature() -> None:
    event = Event(
        "transfer.shipped",
        {"number": "TR-000001", "note": "café"},
        id="e-1",
        occurred_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    claimed = ClaimedDelivery("d-1", "s-1", "token", 0, "https://x.test/h", event, ("whsec_k",))

    body = request_body(event)
    headers = request_headers(claimed, body, NOW)

    assert json.loads(body) == {
        "id": "e-1",
        "type": "transfer.shipped",
        "created_at": "2026-01-02T03:04:05Z",
        "data": {"number": "TR-000001", "note": "café"},
    }
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == USER_AGENT
    assert re.fullmatch(r"OpenOMS-Webhooks/\d+\.\d+\.\d+.*", USER_AGENT)
    assert headers["X-OpenOMS-Event"] == "transfer.shipped"
    assert headers["X-OpenOMS-Event-Id"] == "e-1"
    assert headers["X-OpenOMS-Delivery"] == "d-1"
    assert verify_signature("whsec_k", body, headers["X-OpenOMS-Signature"], now=NOW) == NOW
    assert "whsec_k" not in repr(claimed)


# --- event types and matching ---------------------------------------------------------


@pytest.mark.parametrize(
    ("patterns", "name", "expected"),
    [
        (["*"], "transfer.shipped", True),
        (["transfer.*"], "transfer.shipped", True),
        (["transfer.shipped"], "transfer.shipped", True),
        (["transfer.requested"], "transfer.shipped", False),
        (["trans.*"], "transfer.shipped", False),
        (["transfer"], "transfer.shipped", False),
        (["order.*"], "order.line.added", True),
        (["order.line.*"], "order.line.added", True),
        (["order.line.*"], "order.placed", False),
        ([], "transfer.shipped", False),
        (["order.*", "transfer.shipped"], "transfer.shipped", True),
    ],
)
def test_a_subscription_matches_exact_names_prefixes_and_the_wildcard(
    patterns: list[str], name: str, expected: bool
) -> None:
    assert matches(patterns, name) is expected


def test_known_names_prefixes_and_the_wildcard_are_valid_patterns() -> None:
    patterns = ["*", "transfer.*", "transfer.shipped", "order.*", "order.line.*"]

    assert check_patterns(patterns, KNOWN) == []


def test_unknown_event_types_are_reported_with_their_position() -> None:
    errors = check_patterns(["transfer.shipped", "transfer.lost", "nope.*", "transfer.*.x"], KNOWN)

    assert [e.field for e in errors] == ["events[1]", "events[2]", "events[3]"]


def test_a_subscription_needs_at_least_one_event_type() -> None:
    assert [e.field for e in check_patterns([], KNOWN)] == ["events"]


def test_every_event_the_code_records_is_a_known_event_type() -> None:
    """A domain that writes a new event to the outbox must list it in event_types.py."""
    recorded = {
        name
        for path in SRC.rglob("*.py")
        for name in re.findall(
            r"\b(?:Event|payment_event)\(\s*\"([a-z_]+(?:\.[a-z_]+)+)\"", path.read_text()
        )
    }

    assert recorded, "the scan found no events: has Event(...) changed shape?"
    assert sorted(recorded - EVENT_TYPES.keys()) == []


# --- URLs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://erp.example.com/hooks/oms",
        "http://127.0.0.1:8080/h?token=abc",
        "https://[2001:db8::1]/h",
    ],
)
def test_http_and_https_urls_are_accepted(url: str) -> None:
    assert check_url(url) == []


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/h",
        "example.com/h",
        "https://",
        "https:///path-only",
        "https://user:pass@example.com/h",
        "https://example.com/h#part",
        "https://example.com:99999/h",
        "https://exa mple.com/h",
        "javascript:alert(1)",
        "https://example.com/" + "x" * 2000,
    ],
)
def test_urls_that_cannot_receive_webhooks_are_refused(url: str) -> None:
    assert [e.field for e in check_url(url)] == ["url"]


def test_a_spec_reports_every_bad_field_at_once() -> None:
    spec = SubscriptionSpec("ftp://x", ("transfer.lost",), "d" * 501)

    assert [e.field for e in spec.check(KNOWN)] == ["url", "events[0]", "description"]


# --- retries --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failures", "low", "high"),
    [(1, 5, 10), (2, 10, 20), (3, 20, 40), (4, 40, 80), (8, 50, 100), (60, 50, 100)],
)
def test_backoff_doubles_with_each_failure_up_to_the_cap_with_jitter(
    failures: int, low: float, high: float
) -> None:
    def backoff(r: float) -> float:
        return backoff_seconds(failures, base=10, cap=100, rand=lambda: r)

    assert backoff(0.0) == low
    assert backoff(1.0) == high
    assert low <= backoff(0.37) <= high


def test_backoff_is_random_between_its_bounds() -> None:
    delays = {backoff_seconds(3, base=10, cap=1000) for _ in range(50)}

    assert len(delays) > 1
    assert all(20 <= d <= 40 for d in delays)


@pytest.mark.parametrize(
    ("status_code", "attempts_before", "expected"),
    [
        (200, 0, DeliveryStatus.DELIVERED),
        (204, 7, DeliveryStatus.DELIVERED),
        (500, 0, DeliveryStatus.PENDING),
        (301, 6, DeliveryStatus.PENDING),
        (None, 6, DeliveryStatus.PENDING),
        (500, 7, DeliveryStatus.DEAD),
        (None, 7, DeliveryStatus.DEAD),
    ],
)
def test_a_failure_retries_until_the_last_attempt_then_the_delivery_is_dead(
    status_code: int | None, attempts_before: int, expected: DeliveryStatus
) -> None:
    outcome = Outcome(status_code, None if status_code == 200 else "failed", 5)

    assert status_after(outcome, attempts_before, max_attempts=8) is expected
