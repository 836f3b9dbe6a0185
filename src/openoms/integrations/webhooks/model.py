"""Webhook subscriptions and deliveries: the rules, with no database and no network."""

from __future__ import annotations

import random
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from openoms.shared.errors import Conflict, FieldError, NotFound

MAX_URL_LENGTH = 2000
MAX_PATTERNS = 100
MAX_DESCRIPTION_LENGTH = 500
WILDCARD = "*"
ERROR_TEXT_LENGTH = 300


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its next attempt (``next_attempt_at``)
    IN_FLIGHT = "in_flight"  # claimed by one worker until ``lease_until``
    DELIVERED = "delivered"  # the receiver answered 2xx
    DEAD = "dead"  # every attempt failed; kept until someone replays it


REPLAYABLE = frozenset({DeliveryStatus.DEAD, DeliveryStatus.DELIVERED})


class SubscriptionNotFound(NotFound):
    code = "webhook_not_found"
    title = "Webhook not found"


class DeliveryNotFound(NotFound):
    code = "webhook_delivery_not_found"
    title = "Webhook delivery not found"


class DeliveryNotReplayable(Conflict):
    code = "webhook_delivery_not_replayable"
    title = "Delivery cannot be replayed"


class DeliveryClaimLost(Conflict):
    """A worker's lease ran out and another worker claimed the delivery (or it was deleted)."""

    code = "webhook_delivery_claim_lost"
    title = "Delivery claimed by another worker"


class SubscriptionInactive(Conflict):
    code = "webhook_inactive"
    title = "Webhook is inactive"


@dataclass(frozen=True)
class SubscriptionSpec:
    """What a subscriber asks for: where to send, which events, and whether to send now."""

    url: str
    events: tuple[str, ...]
    description: str = ""
    is_active: bool = True

    def check(self, known_events: Collection[str]) -> list[FieldError]:
        errors = [*check_url(self.url), *check_patterns(self.events, known_events)]
        if len(self.description) > MAX_DESCRIPTION_LENGTH:
            errors.append(
                FieldError("description", f"must be at most {MAX_DESCRIPTION_LENGTH} characters")
            )
        return errors

    def normalized(self) -> SubscriptionSpec:
        return replace(
            self,
            url=self.url.strip(),
            events=normalized_patterns(self.events),
            description=self.description.strip(),
        )


@dataclass(frozen=True)
class Subscription:
    """A URL that wants some events. The secret itself never leaves the repository."""

    id: str
    url: str
    events: tuple[str, ...]
    description: str
    is_active: bool
    secret_last4: str
    created_at: datetime
    updated_at: datetime
    previous_secret_expires_at: datetime | None = None


@dataclass(frozen=True)
class Attempt:
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


@dataclass(frozen=True)
class Delivery:
    """One event on its way to one subscription."""

    id: str
    subscription_id: str
    event_id: str
    event_name: str
    status: DeliveryStatus
    attempt_count: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None
    attempts: tuple[Attempt, ...] = field(default=())


@dataclass(frozen=True)
class Outcome:
    """What one HTTP attempt gave: a status code, or an error when no answer came."""

    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def is_success(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def status_after(outcome: Outcome, attempts_before: int, max_attempts: int) -> DeliveryStatus:
    """A 2xx delivers; a failure retries until ``max_attempts`` attempts have failed."""
    if outcome.is_success:
        return DeliveryStatus.DELIVERED
    if attempts_before + 1 >= max_attempts:
        return DeliveryStatus.DEAD
    return DeliveryStatus.PENDING


def backoff_seconds(
    failures: int, *, base: float, cap: float, rand: Callable[[], float] = random.random
) -> float:
    """Wait before the next attempt: exponential in ``failures``, capped, with jitter.

    "Equal jitter": half of ``min(cap, base * 2**(failures-1))`` plus a random part of the
    other half, so retries of many deliveries spread out but never come back at once.
    """
    ceiling = min(cap, base * 2.0 ** min(max(failures, 1) - 1, 64))
    return ceiling / 2 + rand() * ceiling / 2


def matches(patterns: Iterable[str], event_name: str) -> bool:
    """``*`` matches every event, ``order.*`` every event under ``order.``, else exact."""
    for pattern in patterns:
        if pattern in (WILDCARD, event_name):
            return True
        if pattern.endswith(".*") and event_name.startswith(pattern[:-1]):
            return True
    return False


def namespaces(known: Iterable[str]) -> frozenset[str]:
    """Every dotted prefix of the known names: ``order.line.added`` -> order, order.line."""
    out: set[str] = set()
    for name in known:
        parts = name.split(".")
        out.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return frozenset(out)


def normalized_patterns(patterns: Sequence[str]) -> tuple[str, ...]:
    """Patterns stripped, duplicates dropped, order kept."""
    return tuple(dict.fromkeys(p.strip() for p in patterns))


def check_patterns(
    patterns: Sequence[str], known: Collection[str], field_name: str = "events"
) -> list[FieldError]:
    if not patterns:
        return [FieldError(field_name, "subscribe to at least one event type (or '*')")]
    if len(patterns) > MAX_PATTERNS:
        return [FieldError(field_name, f"at most {MAX_PATTERNS} event types")]
    prefixes = namespaces(known)
    errors = []
    for i, raw in enumerate(patterns):
        pattern = raw.strip()
        if pattern == WILDCARD or pattern in known:
            continue
        if pattern.endswith(".*") and pattern[:-2] in prefixes:
            continue
        errors.append(FieldError(f"{field_name}[{i}]", f"'{raw}' is not a known event type"))
    return errors


def check_url(url: str, field_name: str = "url") -> list[FieldError]:
    """An absolute http(s) URL with a host, no credentials and no fragment."""
    problem = _url_problem(url)
    return [FieldError(field_name, problem)] if problem else []


def _url_problem(url: str) -> str | None:
    if len(url) > MAX_URL_LENGTH:
        return f"must be at most {MAX_URL_LENGTH} characters"
    if any(c.isspace() or ord(c) < 32 for c in url):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port out of range or not a number
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("http", "https"):
        return "must be an http:// or https:// URL"
    if not parts.hostname:
        return "must name a host"
    if parts.username is not None or parts.password is not None:
        return "must not carry credentials; receivers check the signature instead"
    if parts.fragment:
        return "must not have a #fragment"
    return None


def last4(secret: str) -> str:
    return secret[-4:]


def short_error(text: str) -> str:
    """Error text as stored and shown: one line, bounded."""
    flat = " ".join(text.split())
    return flat[:ERROR_TEXT_LENGTH]
