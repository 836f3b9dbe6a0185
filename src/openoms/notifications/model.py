"""Which messages exist, which are marketing, how a failed one is retried. Pure."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from openoms.shared.errors import NotFound


class MessageKind(StrEnum):
    ORDER_CONFIRMATION = "order_confirmation"
    PAYMENT_FAILED = "payment_failed"
    ORDER_ON_HOLD = "order_on_hold"
    SHIPPED = "shipped"
    READY_FOR_PICKUP = "ready_for_pickup"
    DELIVERED = "delivered"
    FOLLOW_UP = "follow_up"
    REFUND_PROCESSED = "refund_processed"
    RETURN_APPROVED = "return_approved"
    ABANDONED_CART = "abandoned_cart"
    STAFF_ALERT = "staff_alert"  # to the merchant's staff, about an alert in the inbox


# Sent only to customers who agreed to marketing; every other kind is transactional.
MARKETING = frozenset({MessageKind.ABANDONED_CART})
LOCALES = ("en", "de")  # templates exist for these; others fall back to English


class MessageStatus(StrEnum):
    QUEUED = "queued"  # waiting for its first or next attempt
    SENT = "sent"
    DEAD = "dead"  # gave up after the last attempt; can be sent again by hand
    SKIPPED = "skipped"  # not sent on purpose (no consent to marketing, no address)


MAX_ATTEMPTS = 6


def retry_after(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: 1, 2, 4 … minutes, at most 2 hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 120))


def locale_of(requested: str | None) -> str:
    """The template language for an order's locale (``de-AT`` → ``de``)."""
    language = (requested or "en").split("-")[0].split("_")[0].lower()
    return language if language in LOCALES else "en"


class MessageNotFound(NotFound):
    code = "message_not_found"
    title = "Message not found"
