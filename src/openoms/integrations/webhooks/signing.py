"""HMAC-SHA256 signatures on webhook requests: how we sign, and how a receiver verifies.

Every request carries ``X-OpenOMS-Signature: t=<unix seconds>,v1=<hex>``, where ``<hex>`` is
HMAC-SHA256, keyed with the subscription's secret, of ``"<t>.<raw body>"``. While the
previous secret of a rotated subscription is still valid, a second ``v1=`` (made with the
previous secret) follows the first, so receivers can switch secrets without losing events.

A receiver recomputes the HMAC over the raw body bytes exactly as received (before parsing
the JSON), compares it in constant time with each ``v1`` value, and rejects a timestamp more
than a few minutes away from its own clock, so a captured request cannot be replayed later.
:func:`verify_signature` does all three; ``docs/webhooks.md`` shows it in a receiver.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Sequence

SIGNATURE_HEADER = "X-OpenOMS-Signature"
SCHEME = "v1"
SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE_SECONDS = 300


class InvalidSignature(ValueError):
    """The request was not signed with the secret, or not recently: reject it."""


def generate_secret() -> str:
    """A new signing secret: 256 random bits, URL-safe, recognisable by its prefix."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"`` keyed with ``secret``."""
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(signing_secrets: Sequence[str], timestamp: int, body: bytes) -> str:
    """``t=<timestamp>,v1=<hex>[,v1=<hex>]``: one signature per secret, current one first."""
    parts = [f"t={timestamp}"]
    parts.extend(f"{SCHEME}={signature(s, timestamp, body)}" for s in signing_secrets)
    return ",".join(parts)


def verify_signature(
    secret: str,
    body: bytes,
    header: str,
    *,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> int:
    """Check a request as a receiver must; returns its timestamp.

    Raises: InvalidSignature when the header is malformed, the timestamp is further than
    ``tolerance_seconds`` from ``now`` (default: this machine's clock), or no ``v1``
    signature matches the body.
    """
    timestamp, candidates = parse_signature_header(header)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        raise InvalidSignature("the timestamp is outside the tolerance (a replayed request?)")
    expected = signature(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise InvalidSignature("no signature matches the body and the secret")
    return timestamp


def parse_signature_header(header: str) -> tuple[int, list[str]]:
    """``t=…,v1=…`` -> (timestamp, the v1 signatures). Raises: InvalidSignature."""
    timestamp: int | None = None
    candidates: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            raise InvalidSignature("the signature header is malformed")
        if key == "t" and value.isascii() and value.isdigit():
            timestamp = int(value)
        elif key == SCHEME:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise InvalidSignature("the signature header needs t= and at least one v1=")
    return timestamp, candidates
