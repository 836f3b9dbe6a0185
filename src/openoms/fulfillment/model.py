"""Fulfilment orders, waves, pick lists, shipments and their declared state machines.

Pure: no framework. A fulfilment order is what one location must send for one order: the
order's reservations at that location, picked, packed and shipped together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from openoms.shared.errors import Conflict, NotFound, OmsError
from openoms.shared.lifecycle import IllegalTransition, check_transition


class FulfilmentStatus(StrEnum):
    PENDING = "pending"  # waiting to be released to the floor
    RELEASED = "released"  # on a pick list
    PICKING = "picking"  # the first unit was picked
    PICKED = "picked"  # everything found is picked
    PACKED = "packed"  # in boxes, ready to ship
    SHIPPED = "shipped"
    READY_FOR_PICKUP = "ready_for_pickup"  # a pickup order, picked in its store
    COLLECTED = "collected"  # the customer took it (pickup code checked)
    SHORT = "short"  # nothing of it could be picked; the order was sourced again
    CANCELLED = "cancelled"


F = FulfilmentStatus
FULFILMENT_TRANSITIONS: dict[FulfilmentStatus, frozenset[FulfilmentStatus]] = {
    F.PENDING: frozenset({F.RELEASED, F.CANCELLED}),
    F.RELEASED: frozenset({F.PICKING, F.PICKED, F.PENDING, F.SHORT, F.CANCELLED}),
    F.PICKING: frozenset({F.PICKED, F.SHORT, F.CANCELLED}),
    F.PICKED: frozenset({F.PACKED, F.READY_FOR_PICKUP, F.CANCELLED}),
    F.PACKED: frozenset({F.SHIPPED, F.PICKED, F.CANCELLED}),
    F.READY_FOR_PICKUP: frozenset({F.COLLECTED, F.CANCELLED}),
    F.SHIPPED: frozenset(),
    F.COLLECTED: frozenset(),
    F.SHORT: frozenset(),
    F.CANCELLED: frozenset(),
}
OPEN = frozenset({F.PENDING, F.RELEASED, F.PICKING, F.PICKED, F.PACKED, F.READY_FOR_PICKUP})
# Work that is on the floor: its order can no longer be changed line by line.
ON_THE_FLOOR = frozenset({F.RELEASED, F.PICKING, F.PICKED, F.PACKED, F.READY_FOR_PICKUP})


class ShipmentStatus(StrEnum):
    LABEL_CREATED = "label_created"
    ACCEPTED = "accepted"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"


T = ShipmentStatus
# Tracking moves forward; an exception may clear into any later step. Carriers repeat and
# reorder scans, so an event that would move backwards is recorded but does not move.
SHIPMENT_TRANSITIONS: dict[ShipmentStatus, frozenset[ShipmentStatus]] = {
    T.LABEL_CREATED: frozenset(
        {T.ACCEPTED, T.IN_TRANSIT, T.OUT_FOR_DELIVERY, T.DELIVERED, T.EXCEPTION}
    ),
    T.ACCEPTED: frozenset({T.IN_TRANSIT, T.OUT_FOR_DELIVERY, T.DELIVERED, T.EXCEPTION}),
    T.IN_TRANSIT: frozenset({T.OUT_FOR_DELIVERY, T.DELIVERED, T.EXCEPTION}),
    T.OUT_FOR_DELIVERY: frozenset({T.DELIVERED, T.EXCEPTION, T.IN_TRANSIT}),
    T.EXCEPTION: frozenset({T.IN_TRANSIT, T.OUT_FOR_DELIVERY, T.DELIVERED, T.ACCEPTED}),
    T.DELIVERED: frozenset(),
}
TRACKING_STEPS = (T.ACCEPTED, T.IN_TRANSIT, T.OUT_FOR_DELIVERY, T.DELIVERED, T.EXCEPTION)


class PickStrategy(StrEnum):
    SINGLE = "single"  # one list per fulfilment order
    BATCH = "batch"  # N orders per round, units summed per bin, sorted to orders at packing
    ZONE = "zone"  # one list per zone; the zones' items meet at packing
    WAVE = "wave"  # every zone at once for the wave's orders: one list per zone per wave


class WaveStatus(StrEnum):
    RELEASED = "released"
    DONE = "done"


class PickListStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class IllegalFulfilmentTransition(IllegalTransition):
    pass


class IllegalShipmentTransition(IllegalTransition):
    pass


def check_fulfilment_transition(number: str, current: F, target: F) -> None:
    """Raises: IllegalFulfilmentTransition."""
    check_transition(
        FULFILMENT_TRANSITIONS,
        f"Fulfilment order {number}",
        current,
        target,
        IllegalFulfilmentTransition,
    )


def tracking_moves(current: T, target: T) -> bool:
    """Whether a tracking event moves the shipment on (else it is only recorded)."""
    return target in SHIPMENT_TRANSITIONS[current]


class FulfilmentOrderNotFound(NotFound):
    code = "fulfilment_order_not_found"
    title = "Fulfilment order not found"


class PickListNotFound(NotFound):
    code = "pick_list_not_found"
    title = "Pick list not found"


class WaveNotFound(NotFound):
    code = "wave_not_found"
    title = "Wave not found"


class ShipmentNotFound(NotFound):
    code = "shipment_not_found"
    title = "Shipment not found"


class BoxNotFound(NotFound):
    code = "box_not_found"
    title = "Box not found"


class CarrierNotFound(NotFound):
    code = "carrier_not_found"
    title = "Carrier or service not found"


class WrongScan(Conflict):
    """The scanned code is not what the pick asks for."""

    code = "wrong_scan"
    title = "Wrong item scanned"


class OverPick(Conflict):
    code = "over_pick"
    title = "More than the pick asks for"


class NothingToRelease(Conflict):
    code = "nothing_to_release"
    title = "Nothing to release"


class NotPacked(Conflict):
    code = "not_packed"
    title = "Not packed yet"


class NoBoxes(Conflict):
    code = "no_boxes"
    title = "No standard boxes configured"


class NoRate(Conflict):
    code = "no_rate"
    title = "No carrier service serves this parcel"


class WrongPickupCode(OmsError):
    code = "wrong_pickup_code"
    kind = "forbidden"
    title = "Wrong pickup code"


@dataclass(frozen=True)
class Promise:
    """When a fulfilment order must leave: the channel's or service's cut-off decides."""

    ship_by: date
    reason: str


def sort_key(
    priority: int, ship_by: date | None, placed_at: datetime, fo_id: int
) -> tuple[int, date, datetime, int]:
    """Rush and VIP first (higher priority), then the earliest promise, then the oldest."""
    return (-priority, ship_by or date.max, placed_at, fo_id)


def _next_working_day(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def add_working_days(day: date, days: int) -> date:
    for _ in range(days):
        day = _next_working_day(day)
    return day


def promise_for(
    placed_at: datetime, tz: str, cutoff: time, handling_days: int, delivery_days: int
) -> tuple[date, date, str]:
    """When an order placed at ``placed_at`` must leave and arrive: before the cut-off
    (local time at the shipping location) on a working day it leaves that day, else the
    next working day; then ``handling_days`` more, and ``delivery_days`` working days to
    the door. Returns (ship by, deliver by, the reason in a sentence)."""
    local = placed_at.astimezone(ZoneInfo(tz))
    day = local.date()
    late = local.time() >= cutoff or day.weekday() >= 5
    if late:
        day = _next_working_day(day)
    ship_by = add_working_days(day, handling_days)
    deliver_by = add_working_days(ship_by, delivery_days)
    when = local.strftime("%a %d %b %H:%M")
    reason = (
        f"Placed {when} local time, {'after' if late else 'before'} the "
        f"{cutoff.strftime('%H:%M')} cut-off: ships by {ship_by.strftime('%a %d %b')}, "
        f"delivered by {deliver_by.strftime('%a %d %b')}."
    )
    return ship_by, deliver_by, reason
