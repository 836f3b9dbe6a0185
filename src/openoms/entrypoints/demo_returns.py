"""Demo returns: each channel's return policy, and returns of yesterday's delivered parcels
in every state the returns queue shows — a customer's request to approve, a parcel on its
way back with its label, one brought into the Amsterdam store waiting for inspection, and
one inspected and refunded at the counter."""

from __future__ import annotations

from contextlib import suppress
from decimal import Decimal

from openoms.entrypoints.bootstrap import payment_gateways
from openoms.infra.db import Database
from openoms.infra.settings import get_settings
from openoms.orders.model import OrderStatus
from openoms.orders.queries import OrderFilter, list_orders
from openoms.returns import services as returns
from openoms.returns.model import MERCHANT_FAULT, Payer, ReturnPolicy, ReturnReason
from openoms.shared.errors import OmsError

POLICIES = {
    "WEB-EU": ReturnPolicy(window_days=30),
    "WEB-US": ReturnPolicy(window_days=30, shipping_paid_by=Payer.CUSTOMER),
    "MKT-ZAL": ReturnPolicy(window_days=14),
    "B2B": ReturnPolicy(
        window_days=14,
        reasons=(*sorted(MERCHANT_FAULT), ReturnReason.OTHER),
        shipping_paid_by=Payer.CUSTOMER,
        restocking_fee_percent=Decimal(15),
        exchanges=False,
    ),
}
STORE = "ST-AMS"


def load_returns(db: Database) -> int:
    """The policies, then up to four returns; returns how many were opened."""
    for channel, rules in POLICIES.items():
        with suppress(OmsError):
            returns.set_policy(db.uow(), channel, rules)
    delivered, _ = list_orders(db.reader(), OrderFilter(status=[OrderStatus.DELIVERED]), limit=20)
    plans = [_asked, _on_its_way, _waiting_in_store, _refunded_at_the_counter]
    opened = 0
    for order, plan in zip(sorted(delivered, key=lambda o: o.number), plans, strict=False):
        try:
            plan(db, order.number)
        except OmsError:
            continue
        opened += 1
    return opened


def _one(reason: str, **extra: object) -> returns.ReturnRequest:
    values: dict[str, object] = {"lines": [returns.LineRequest(1, 1, reason)], **extra}
    return returns.ReturnRequest(**values)  # type: ignore[arg-type]


def _asked(db: Database, number: str) -> None:
    returns.open_return(
        db.uow(),
        number,
        _one("too_small", method="ship_back", note="Could I get the next size up?"),
        actor="customer",
        by_customer=True,
    )


def _on_its_way(db: Database, number: str) -> None:
    ret = returns.open_return(
        db.uow(), number, _one("defective", method="ship_back"), actor="customer", by_customer=True
    )
    returns.approve(db.uow(), ret.number, actor="user:sales", note="Sorry about that")
    returns.mark_in_transit(db.uow(), ret.number, actor="carrier:demo")


def _waiting_in_store(db: Database, number: str) -> None:
    ret = returns.open_return(
        db.uow(),
        number,
        _one("changed_mind", method="in_store", drop_off_location=STORE),
        actor="user:store",
        by_customer=False,
    )
    returns.receive(db.uow(), ret.number, STORE, None, actor="user:store")


def _refunded_at_the_counter(db: Database, number: str) -> None:
    ret = returns.open_return(
        db.uow(),
        number,
        _one("not_as_described", method="in_store", drop_off_location=STORE),
        actor="user:store",
        by_customer=False,
    )
    returns.receive(db.uow(), ret.number, STORE, None, actor="user:store")
    returns.inspect(db.uow(), ret.number, [returns.Inspection(1, restock=1)], actor="user:store")
    gateways = payment_gateways(get_settings(), db)
    returns.refund(db, gateways, ret.number, None, actor="user:store")
