"""The delivery job: claim due deliveries, send them outside any transaction, record the result.

Each round claims a small batch (committed), sends its requests in parallel threads, then
records the outcomes in a new transaction. Delivery is at least once: a worker that
dies after sending but before recording leaves a claim whose lease runs out, and the next
worker sends again. Receivers dedupe on ``X-OpenOMS-Event-Id``.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Protocol

import structlog

from openoms import __version__
from openoms.infra.db import Database
from openoms.infra.settings import Settings
from openoms.integrations.webhooks.claims import (
    Attempted,
    ClaimedDelivery,
    Recorded,
    RetryPolicy,
    claim_due,
    record_outcomes,
)
from openoms.integrations.webhooks.delivery import HttpSender
from openoms.integrations.webhooks.model import DeliveryStatus, Outcome
from openoms.integrations.webhooks.signing import SIGNATURE_HEADER, signature_header
from openoms.shared import clock
from openoms.shared.events import Event

log = structlog.get_logger()

BATCH_SIZE = 8  # requests sent at once by one worker
MAX_ROUNDS = 25  # one call sends at most 200 requests, then lets other jobs run
BUDGET_SECONDS = 10.0  # … and starts no new batch after this long
USER_AGENT = f"OpenOMS-Webhooks/{__version__}"


class Sender(Protocol):
    def send(self, url: str, body: bytes, headers: dict[str, str]) -> Outcome: ...


def lease_for(timeout_seconds: float) -> timedelta:
    """How long a claim lasts: httpx applies the timeout to connect, write and read each,
    so one request may take three timeouts; a margin covers recording the outcome."""
    return timedelta(seconds=3 * timeout_seconds + 30)


def policy_of(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=settings.webhook_max_attempts,
        backoff_base_seconds=settings.webhook_backoff_base_seconds,
        backoff_max_seconds=settings.webhook_backoff_max_seconds,
    )


def deliver_due(
    db: Database,
    settings: Settings,
    *,
    sender: Sender | None = None,
    batch_size: int = BATCH_SIZE,
    max_rounds: int = MAX_ROUNDS,
    budget_seconds: float = BUDGET_SECONDS,
) -> int:
    """Send every delivery that is due, a batch at a time; returns how many attempts were made.

    Safe with any number of workers: a delivery is claimed by one worker at a time. Without
    a ``sender`` the requests go out over HTTP (httpx) with the configured timeout. No new
    batch starts after ``budget_seconds``, so slow receivers cannot hold up the other jobs.
    """
    lease, policy = lease_for(settings.webhook_timeout_seconds), policy_of(settings)
    stop_at = time.monotonic() + budget_seconds
    attempted = 0
    with ExitStack() as stack:
        pool = stack.enter_context(
            ThreadPoolExecutor(max_workers=batch_size, thread_name_prefix="oms-webhooks")
        )
        for _ in range(max_rounds):
            if time.monotonic() >= stop_at:
                break
            batch = claim_due(db, limit=batch_size, lease=lease)
            if not batch:
                break
            if sender is None:
                sender = stack.enter_context(HttpSender(settings.webhook_timeout_seconds))
            sent = list(pool.map(partial(send_claimed, sender), batch))
            recorded, lost = record_outcomes(db, sent, policy)
            _log(recorded, lost)
            attempted += len(batch)
            if len(batch) < batch_size:
                break
    return attempted


def send_claimed(sender: Sender, claimed: ClaimedDelivery) -> Attempted:
    """Send one claimed delivery, outside any transaction."""
    body = request_body(claimed.event)
    attempted_at = clock.now()
    headers = request_headers(claimed, body, int(attempted_at.timestamp()))
    return Attempted(claimed, sender.send(claimed.url, body, headers), attempted_at)


def request_body(event: Event) -> bytes:
    """The JSON body: the event's id, type, time and payload."""
    document = {
        "id": event.id,
        "type": event.name,
        "created_at": _iso(event.occurred_at),
        "data": event.payload,
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def request_headers(claimed: ClaimedDelivery, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-OpenOMS-Event": claimed.event.name,
        "X-OpenOMS-Event-Id": claimed.event.id,
        "X-OpenOMS-Delivery": claimed.id,
        SIGNATURE_HEADER: signature_header(claimed.signing_secrets, timestamp, body),
    }


def _log(recorded: list[Recorded], lost: list[Attempted]) -> None:
    # URLs may carry tokens and payloads personal data: neither is logged.
    for attempted in lost:
        log.warning(
            "webhooks.claim_lost",
            delivery_id=attempted.claimed.id,
            event_id=attempted.claimed.event.id,
        )
    for result in recorded:
        claimed, outcome = result.attempted.claimed, result.attempted.outcome
        fields = {
            "delivery_id": claimed.id,
            "subscription_id": claimed.subscription_id,
            "event_type": claimed.event.name,
            "event_id": claimed.event.id,
            "attempt": claimed.attempt_count + 1,
            "status_code": outcome.status_code,
            "duration_ms": outcome.duration_ms,
        }
        if result.status is DeliveryStatus.DELIVERED:
            log.info("webhooks.delivered", **fields)
        elif result.status is DeliveryStatus.DEAD:
            log.warning("webhooks.dead", error=outcome.error, **fields)
        else:
            log.info("webhooks.failed", error=outcome.error, retry_at=result.retry_at, **fields)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
