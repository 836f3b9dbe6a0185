"""Tracking events in, late shipments out, and pickup orders handed over in store.

Carriers post scans by tracking number (API or webhook); each scan is kept once (the same
number, status and time twice is one event), moves the shipment forward when it is a step
forward (an exception may clear into any later step), and a delivered shipment moves its
order on once everything of it arrived. Exceptions and shipments past their promised date
raise staff alerts as events.

Pickup orders, once picked in their store, are ready for pickup with a code the customer
shows; the code is checked at the hand-over. Those not collected within the store's
``pickup_days`` go back to stock and the order is cancelled for them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from openoms.fulfillment.model import (
    FulfilmentStatus,
    ShipmentNotFound,
    ShipmentStatus,
    WrongPickupCode,
    tracking_moves,
)
from openoms.fulfillment.orm import (
    fulfilment_lines,
    fulfilment_orders,
    packages,
    shipments,
    tracking_events,
)
from openoms.fulfillment.services import setup, work
from openoms.fulfillment.services.shipping import Shipment, load_shipment, take_stock
from openoms.infra.db import UnitOfWork
from openoms.infra.upsert import insert_for
from openoms.orders import shipping as order_shipping
from openoms.orders.lifecycle import cancel_in_transaction
from openoms.orders.queries import load_order
from openoms.payments.services import order_payments
from openoms.shared import clock
from openoms.shared.errors import ValidationFailed
from openoms.shared.events import Event

_s = shipments.c
_k = packages.c
_t = tracking_events.c
_f = fulfilment_orders.c
_fl = fulfilment_lines.c


@dataclass(frozen=True)
class ScanIn:
    tracking_number: str
    status: ShipmentStatus
    at: datetime
    location: str = ""
    description: str = ""
    eta: date | None = None


@dataclass(frozen=True)
class TrackingEvent:
    tracking_number: str
    status: str
    at: datetime
    location: str
    description: str
    eta: date | None


# Other parcels carriers scan (return labels): a name -> a handler that records the scans
# of the numbers it knows, inside the caller's transaction, and returns those numbers.
OtherParcels = Callable[[UnitOfWork, list[ScanIn], str, str], set[str]]
_OTHER_PARCELS: dict[str, OtherParcels] = {}


def register_other_parcels(name: str, handler: OtherParcels) -> None:
    """Let another domain take the scans of tracking numbers that are not shipments'."""
    _OTHER_PARCELS[name] = handler


def record_scans(
    uow: UnitOfWork, scans: list[ScanIn], *, source: str, actor: str
) -> list[Shipment]:
    """Record carrier scans; returns the shipments they touched. Scans of return labels go
    to their returns (see ``register_other_parcels``).

    Raises: ShipmentNotFound (a tracking number nobody knows; nothing is recorded),
    ValidationFailed.
    """
    if not scans or len(scans) > 500:
        raise ValidationFailed.single("events", "send 1 to 500 tracking events")
    if any(s.status is ShipmentStatus.LABEL_CREATED for s in scans):
        raise ValidationFailed.single("events", "label_created is set by shipping, not by scans")
    if any(s.at.tzinfo is None for s in scans):
        raise ValidationFailed.single("events", "give times with a time zone (ISO 8601)")
    touched: list[str] = []
    with uow:
        numbers = sorted({s.tracking_number for s in scans})
        owners = dict(
            uow.conn.execute(
                sa.select(_k.tracking_number, _s.number)
                .join(shipments, _s.id == _k.shipment_id)
                .where(_k.tracking_number.in_(numbers))
            ).all()
        )
        unknown = [n for n in numbers if n not in owners]
        if unknown:
            others = [s for s in scans if s.tracking_number in unknown]
            for handler in _OTHER_PARCELS.values():
                claimed = handler(uow, others, source, actor)
                unknown = [n for n in unknown if n not in claimed]
        if unknown:
            raise ShipmentNotFound(
                f"No shipment has tracking number {', '.join(unknown)}.", tracking=unknown
            )
        for scan in sorted(scans, key=lambda s: s.at):
            if scan.tracking_number in owners and _apply(
                uow, owners[scan.tracking_number], scan, source, actor
            ):
                touched.append(owners[scan.tracking_number])
        found = [load_shipment(uow, n) for n in dict.fromkeys(touched)]
        uow.commit()
    return found


def _apply(uow: UnitOfWork, number: str, scan: ScanIn, source: str, actor: str) -> bool:
    shipment = uow.conn.execute(sa.select(shipments).where(_s.number == number)).mappings().one()
    stmt = insert_for(uow.conn, tracking_events).values(
        shipment_id=shipment["id"],
        tracking_number=scan.tracking_number,
        status=scan.status.value,
        at=scan.at,
        location=scan.location[:200],
        description=scan.description[:2000],
        eta=scan.eta,
        source=source[:60],
        received_at=clock.now(),
    )
    new = uow.conn.execute(
        stmt.on_conflict_do_nothing(index_elements=["tracking_number", "status", "at"])
    ).rowcount
    if not new:
        return False  # the same scan again
    current = ShipmentStatus(shipment["status"])
    values: dict[str, Any] = {}
    if scan.eta is not None:
        values["eta"] = scan.eta
    moved = tracking_moves(current, scan.status)
    if (
        moved
        and scan.status is ShipmentStatus.DELIVERED
        and not _all_delivered(uow, shipment["id"], scan.tracking_number)
    ):
        moved = False  # one package of several: the shipment is delivered with the last
    if moved:
        values["status"] = scan.status.value
        if scan.status is ShipmentStatus.DELIVERED:
            values["delivered_at"] = scan.at
    if values:
        uow.conn.execute(sa.update(shipments).where(_s.id == shipment["id"]).values(**values))
    payload = {
        "shipment": number,
        "tracking_number": scan.tracking_number,
        "status": scan.status.value,
        "at": scan.at.isoformat(),
        "location": scan.location,
        "eta": scan.eta.isoformat() if scan.eta else None,
    }
    uow.record(Event("shipment.tracking", payload, f"shipment:{number}"))
    if scan.status is ShipmentStatus.EXCEPTION:
        uow.record(
            Event(
                "alert.delivery_exception",
                {**payload, "description": scan.description},
                f"shipment:{number}",
            )
        )
    if moved and scan.status is ShipmentStatus.DELIVERED:
        _delivered(uow, shipment, number, actor)
    return True


def _all_delivered(uow: UnitOfWork, shipment_id: int, now_delivered: str) -> bool:
    others = uow.conn.execute(
        sa.select(_k.tracking_number).where(
            _k.shipment_id == shipment_id, _k.tracking_number != now_delivered
        )
    ).scalars()
    for number in others:
        seen = uow.conn.execute(
            sa.select(_t.id).where(
                _t.tracking_number == number, _t.status == ShipmentStatus.DELIVERED.value
            )
        ).first()
        if seen is None:
            return False
    return True


def _delivered(uow: UnitOfWork, shipment: Any, number: str, actor: str) -> None:
    open_elsewhere = uow.conn.execute(
        sa.select(sa.func.count())
        .select_from(shipments)
        .where(
            _s.order_id == shipment["order_id"],
            _s.id != shipment["id"],
            _s.status != ShipmentStatus.DELIVERED.value,
        )
    ).scalar_one()
    order_shipping.record_delivered(
        uow, shipment["order_id"], actor=actor, shipment=number, everything=not open_elsewhere
    )
    # the driver collected cash on delivery for what this shipment brought
    order_payments.collect_cash_in_transaction(
        uow, shipment["order_id"], shipment["value_amount"], actor=actor, reference=number
    )
    uow.record(
        Event(
            "shipment.delivered",
            {"number": number, "order_id": shipment["order_id"]},
            f"shipment:{number}",
        )
    )


def tracking_history(uow: UnitOfWork, number: str) -> list[TrackingEvent]:
    """A shipment's scans, oldest first, inside the caller's transaction."""
    rows = uow.conn.execute(
        sa.select(tracking_events)
        .join(shipments, _s.id == _t.shipment_id)
        .where(_s.number == number)
        .order_by(_t.at, _t.id)
    ).mappings()
    return [
        TrackingEvent(
            r["tracking_number"], r["status"], r["at"], r["location"], r["description"], r["eta"]
        )
        for r in rows
    ]


def flag_late_shipments(uow: UnitOfWork, *, limit: int = 200) -> int:
    """Worker job: an alert, once, for every shipment not delivered by its promised date."""
    today = clock.now().date()
    with uow:
        query = (
            sa.select(_s.id, _s.number, _s.promised_date, _s.eta)
            .where(
                _s.status != ShipmentStatus.DELIVERED.value,
                _s.promised_date < today,
                _s.late_flagged_at.is_(None),
            )
            .limit(limit)
        )
        if uow.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = uow.conn.execute(query).all()
        for row in rows:
            uow.conn.execute(
                sa.update(shipments).where(_s.id == row.id).values(late_flagged_at=clock.now())
            )
            uow.record(
                Event(
                    "alert.late_shipment",
                    {
                        "shipment": row.number,
                        "promised_date": row.promised_date.isoformat(),
                        "eta": row.eta.isoformat() if row.eta else None,
                    },
                    f"shipment:{row.number}",
                )
            )
        uow.commit()
    return len(rows)


# ---------------------------------------------------------------- pickup in store


def ready_for_pickup(uow: UnitOfWork, number: str, *, actor: str) -> work.FulfilmentOrder:
    """A picked pickup order waits at the counter; the customer gets a pickup code.

    Raises: FulfilmentOrderNotFound, IllegalFulfilmentTransition, ValidationFailed.
    """
    with uow:
        fo = work.load(uow, number, lock=True)
        if not fo.pickup:
            raise ValidationFailed.single("number", f"{number} is shipped, not collected")
        order_shipping.check_shippable(load_order(uow, fo.order_id))
        work.set_status(uow, fo.id, fo.number, fo.status, FulfilmentStatus.READY_FOR_PICKUP)
        code = f"{secrets.randbelow(1_000_000):06d}"
        uow.conn.execute(
            sa.update(fulfilment_orders)
            .where(_f.id == fo.id)
            .values(pickup_code=code, ready_at=clock.now())
        )
        uow.record(
            Event(
                "fulfilment_order.ready_for_pickup",
                {
                    "number": fo.number,
                    "order": fo.order_number,
                    "location": fo.location,
                    "pickup_code": code,
                    "by": actor,
                },
                f"order:{fo.order_number}",
            )
        )
        found = work.load(uow, number)
        uow.commit()
    return found


def collect(uow: UnitOfWork, number: str, code: str, *, actor: str) -> work.FulfilmentOrder:
    """The customer collects: the code must match. The units leave stock (``shipment``)
    and the order is shipped and delivered at once.

    Raises: FulfilmentOrderNotFound, IllegalFulfilmentTransition, WrongPickupCode.
    """
    with uow:
        fo = work.load(uow, number, lock=True)
        if fo.status is not FulfilmentStatus.READY_FOR_PICKUP:
            work.set_status(uow, fo.id, fo.number, fo.status, FulfilmentStatus.COLLECTED)
        if not secrets.compare_digest((code or "").strip(), fo.pickup_code or ""):
            raise WrongPickupCode(
                f"That is not the pickup code of {fo.number}; ask the customer for the code "
                "in their message.",
                number=fo.number,
            )
        shipped = take_stock(uow, fo, actor, reference=f"pickup:{fo.number}")
        work.set_status(uow, fo.id, fo.number, fo.status, FulfilmentStatus.COLLECTED)
        order_shipping.record_shipped(
            uow,
            fo.order_id,
            shipped,
            actor=actor,
            shipment=fo.number,
            data={"location": fo.location, "collected": True},
        )
        order_shipping.record_delivered(
            uow, fo.order_id, actor=actor, shipment=fo.number, everything=True
        )
        # cash on delivery is paid at the counter: all that is still awaited
        order_payments.collect_cash_in_transaction(
            uow,
            fo.order_id,
            load_order(uow, fo.order_id).total_amount,
            actor=actor,
            reference=fo.number,
        )
        uow.record(
            Event(
                "fulfilment_order.collected",
                {"number": fo.number, "order": fo.order_number, "location": fo.location},
                f"order:{fo.order_number}",
            )
        )
        found = work.load(uow, number)
        uow.commit()
    return found


def return_uncollected(uow: UnitOfWork, *, actor: str = "system:pickup") -> int:
    """Worker job: pickup orders not collected within their store's ``pickup_days`` go back
    to stock (their reservations are released) and the order is cancelled."""
    now = clock.now()
    done = 0
    with uow:
        rows = uow.conn.execute(
            sa.select(_f.id, _f.number, _f.location_code, _f.ready_at, _f.order_id).where(
                _f.status == FulfilmentStatus.READY_FOR_PICKUP.value
            )
        ).all()
        for row in rows:
            days = setup.location_settings(uow, row.location_code).pickup_days
            if row.ready_at is None or row.ready_at + timedelta(days=days) > now:
                continue
            work.set_status(
                uow,
                row.id,
                row.number,
                FulfilmentStatus.READY_FOR_PICKUP,
                FulfilmentStatus.CANCELLED,
            )
            order = load_order(uow, row.order_id)
            # cancelling gives the reservations back; the payment is voided or refunded
            # when finance processes the order.cancelled event
            cancel_in_transaction(
                uow, order, actor=actor, reason=f"not collected within {days} days"
            )
            done += 1
        uow.commit()
    return done
