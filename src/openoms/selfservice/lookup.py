"""Finding an order without a link: its number and the email it was placed with.

One answer for every miss (no such order, or the wrong email), so the page tells nobody
which order numbers exist. One address may try ``attempts_per_ip`` times per window; the
attempts are counted in the database (``lookup_attempts``), so the limit holds across
server processes, as the sign-in limit does.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from openoms.infra.db import UnitOfWork
from openoms.infra.settings import Settings
from openoms.orders.model import OrderNotFound
from openoms.orders.queries import load_order, order_id_of
from openoms.selfservice.language import N_
from openoms.selfservice.orm import lookup_attempts
from openoms.shared import clock
from openoms.shared.errors import NotFound, OmsError

_a = lookup_attempts.c
# in English here; the page shows them in the customer's language
NOT_FOUND = N_("We could not find an order with that number and email")
TOO_MANY = N_(
    "Too many attempts from your connection. Wait %(minutes)s minutes and try again, "
    "or open the link in your order confirmation."
)


class OrderLookupFailed(NotFound):
    code = "order_lookup_failed"
    title = "Order not found"


class TooManyLookups(OmsError):
    code = "too_many_lookups"
    kind = "rate_limited"
    title = "Too many order lookups"


@dataclass(frozen=True)
class LookupPolicy:
    attempts_per_ip: int = 10
    window_minutes: float = 15.0

    @classmethod
    def of(cls, settings: Settings) -> LookupPolicy:
        return cls(settings.order_lookups_per_ip)


def find_order(uow: UnitOfWork, number: str, email: str, *, ip: str, policy: LookupPolicy) -> str:
    """The number of the order placed with this email; every attempt counts against the
    address's limit, found or not.

    Raises: OrderLookupFailed (no such order, or another email), TooManyLookups.
    """
    number = "".join(number.split()).upper()
    email = "".join(email.split()).lower()
    now = clock.now()
    since = now - timedelta(minutes=policy.window_minutes)
    with uow:
        # the table only ever holds the current window
        uow.conn.execute(lookup_attempts.delete().where(_a.at < since))
        tried = uow.conn.execute(
            sa.select(sa.func.count()).select_from(lookup_attempts).where(_a.ip == ip)
        ).scalar_one()
        if tried >= policy.attempts_per_ip:
            uow.commit()
            raise TooManyLookups(
                TOO_MANY % {"minutes": f"{policy.window_minutes:g}"},
                retry_after_seconds=int(policy.window_minutes * 60),
            )
        try:
            placed_with = load_order(uow, order_id_of(uow, number)).email.strip().lower()
        except OrderNotFound:
            placed_with = "\x00"  # compared all the same: no shortcut for unknown numbers
        found = bool(email) and hmac.compare_digest(email.encode(), placed_with.encode())
        uow.conn.execute(lookup_attempts.insert().values(at=now, ip=ip[:64], found=found))
        uow.commit()
    if not found:
        raise OrderLookupFailed(NOT_FOUND + ".")
    return number
