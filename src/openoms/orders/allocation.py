"""Where an order's units come from: adopted from a cart, or sourced and reserved.

Sourcing is the pure policy in ``openoms.sourcing``; this module feeds it the stock and the
locations (one query), turns its plan into reservations (three statements whatever the
number of lines), and keeps the reasons for the order's timeline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from openoms.channels.model import Channel
from openoms.customers.model import PostalAddress
from openoms.infra.db import UnitOfWork
from openoms.inventory.model import OwnerType
from openoms.inventory.services import reservations as inventory
from openoms.locations import services as locations
from openoms.locations.model import LocationKind
from openoms.orders.model import Allocation, OrderNotSourceable
from openoms.shared import clock
from openoms.shared.errors import ValidationFailed
from openoms.sourcing import policy
from openoms.sourcing.geo import describe, locate


@dataclass(frozen=True)
class Wanted:
    line: int
    sku: str
    quantity: int


@dataclass
class Allocated:
    allocations: list[Allocation] = field(default_factory=list)
    backordered: dict[int, int] = field(default_factory=dict)
    explanation: list[str] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)

    def allocated(self, line: int) -> int:
        return sum(a.quantity for a in self.allocations if a.line_no == line)


@dataclass(frozen=True)
class Destination:
    address: PostalAddress
    pickup_location: str | None


def adopt(
    uow: UnitOfWork,
    source: tuple[OwnerType, str],
    number: str,
    wanted: list[Wanted],
    actor: str,
) -> tuple[list[Allocation], list[Wanted]]:
    """Take over the source's reservations (a cart's) for the order's lines; what they do not
    cover is returned, to be sourced."""
    taken = inventory.adopt_reservations(
        uow,
        source,
        (OwnerType.ORDER_LINE, number),
        [(w.line, w.sku, w.quantity) for w in wanted],
        actor=actor,
    )
    allocations = [
        Allocation(line, u.sku, u.location, u.quantity, u.reservation_id)
        for line, units in taken.items()
        for u in units
    ]
    rest = []
    for w in wanted:
        missing = w.quantity - sum(a.quantity for a in allocations if a.line_no == w.line)
        if missing:
            rest.append(Wanted(w.line, w.sku, missing))
    return allocations, rest


def source_and_reserve(
    uow: UnitOfWork,
    channel: Channel,
    wanted: list[Wanted],
    destination: Destination,
    *,
    number: Callable[[], str],
    actor: str,
) -> Allocated:
    """Plan where the wanted units ship from and reserve them for the order ``number()``
    (asked for only once the plan stands, so the order counter is held briefly).

    Raises: OrderNotSourceable, ValidationFailed (pickup store), StockMoved.
    """
    rows = inventory.stock_for_sourcing(uow, sorted({w.sku for w in wanted}))
    rows = [r for r in rows if channel.may_ship_from(r.location)]
    store = _pickup_store(uow, channel, destination)
    used = _orders_today(uow, rows)
    plan = policy.plan(_request(channel, wanted, destination, rows, store, used))
    if plan.refused:
        skus = {str(w.line): w.sku for w in wanted}
        raise OrderNotSourceable(
            " ".join(plan.explanation),
            explanation=plan.explanation,
            shortages=[
                {"line": int(k), "sku": skus[k], "short": q} for k, q in plan.shortfall.items()
            ],
        )
    levels = {(r.location, r.sku): r.level_id for r in rows}
    order_number = number()
    ids = (
        inventory.hold_planned(
            uow,
            [
                inventory.PlannedHold(levels[(a.location, a.sku)], a.quantity, int(a.line_key))
                for a in plan.allocations
            ],
            owner_type=OwnerType.ORDER_LINE,
            owner_ref=order_number,
            actor=actor,
        )
        if plan.allocations
        else []
    )
    return Allocated(
        allocations=[
            Allocation(int(a.line_key), a.sku, a.location, a.quantity, rid)
            for a, rid in zip(plan.allocations, ids, strict=True)
        ],
        backordered={int(k): q for k, q in plan.backordered.items()},
        explanation=list(plan.explanation),
        locations=plan.locations,
    )


def _request(
    channel: Channel,
    wanted: list[Wanted],
    destination: Destination,
    rows: list[inventory.SourcingRow],
    store: policy.Site | None,
    used: dict[str, int],
) -> policy.Request:
    point, source = _point(destination.address)
    sites = {
        r.location: policy.Site(
            r.location,
            policy.Point(r.latitude, r.longitude),
            r.priority,
            can_ship=r.can_ship
            and (r.kind == LocationKind.WAREHOUSE.value or channel.spec.ship_from_store),
            can_pickup=r.can_pickup,
            capacity_left=(
                None
                if r.daily_order_capacity is None
                else r.daily_order_capacity - used.get(r.location, 0)
            ),
        )
        for r in rows
    }
    if store is not None:
        sites.setdefault(store.code, store)
    return policy.Request(
        lines=[policy.Line(str(w.line), w.sku, w.quantity) for w in wanted],
        destination=point,
        destination_source=source,
        stock=_less_buffer(rows, channel.spec.stock_buffer, sites),
        sites=list(sites.values()),
        policy=channel.spec.sourcing_policy,
        pickup_at=destination.pickup_location,
        allow_backorder=channel.spec.allow_backorder,
    )


def _less_buffer(
    rows: list[inventory.SourcingRow], buffer: int, sites: dict[str, policy.Site]
) -> dict[tuple[str, str], int]:
    """Free units per (location, SKU), less the units the channel holds back of each SKU.

    The buffer is taken from the locations the channel would ship from last (lowest
    priority first), so what it may sell matches its channel availability.
    """
    stock = {(r.location, r.sku): max(0, r.available) for r in rows}
    if buffer <= 0:
        return stock
    for sku in {r.sku for r in rows}:
        left = buffer
        worst_first = sorted(
            (r for r in rows if r.sku == sku),
            key=lambda r: (-sites[r.location].priority, r.location),
        )
        for r in worst_first:
            take = min(left, stock[(r.location, sku)])
            stock[(r.location, sku)] -= take
            left -= take
    return stock


def _orders_today(uow: UnitOfWork, rows: list[inventory.SourcingRow]) -> dict[str, int]:
    """Orders taken today (local day) at the locations that have a daily capacity."""
    now = clock.now()
    since = {}
    for r in rows:
        if r.daily_order_capacity is not None:
            local = now.astimezone(ZoneInfo(r.timezone))
            since[r.location] = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return inventory.owners_since(uow, OwnerType.ORDER_LINE, since)


def _point(address: PostalAddress) -> tuple[policy.Point | None, str | None]:
    """The address's coordinates, else an estimate from its postal area or country."""
    if address.latitude is not None and address.longitude is not None:
        return policy.Point(address.latitude, address.longitude), None
    return locate(address.country, address.postal_code), describe(
        address.country, address.postal_code
    )


def _pickup_store(
    uow: UnitOfWork, channel: Channel, destination: Destination
) -> policy.Site | None:
    """The pickup store as a site (it may hold none of the SKUs). Raises: ValidationFailed."""
    code = destination.pickup_location
    if code is None:
        return None
    found = next((s for s in locations.active_sites(uow) if s.code == code), None)
    if found is None or not found.can_pickup or not channel.may_ship_from(code):
        raise ValidationFailed.single(
            "pickup_location", f"{code} is not an active pickup store of channel {channel.code}"
        )
    return policy.Site(
        code,
        policy.Point(found.latitude, found.longitude),
        found.priority,
        can_ship=False,
        can_pickup=True,
    )
