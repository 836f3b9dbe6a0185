"""Where an order's units come from: adopted from a cart, or sourced and reserved.

Sourcing is the pure policy in ``openoms.sourcing``; this module feeds it the stock and the
locations (one query), turns its plan into reservations (three statements whatever the
number of lines), and keeps the reasons for the order's timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from openoms.channels.model import Channel
from openoms.customers.model import PostalAddress
from openoms.infra.db import UnitOfWork, WritesFirst, reading
from openoms.inventory.model import OwnerType
from openoms.inventory.services import owners
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


def stock_owner(order_id: int) -> tuple[OwnerType, str]:
    """Who an order's reservations belong to: the order's id, known before its number."""
    return OwnerType.ORDER_LINE, str(order_id)


@dataclass(frozen=True)
class Expected:
    """What a cart's reservations will cover of the order's lines, read before the order
    row exists; ``rest`` is what is left to source."""

    per_line: dict[int, int]
    rest: list[Wanted]


def expect_adoption(
    uow: UnitOfWork, source: tuple[OwnerType, str], wanted: list[Wanted]
) -> Expected:
    """Read (and on PostgreSQL lock) the source's reservations and work out, line by line in
    the order adoption takes them, how many units each line will get from it."""
    held = owners.held_units(uow, source[0], source[1])
    per_line: dict[int, int] = {}
    rest = []
    for w in wanted:
        take = min(w.quantity, held.get(w.sku, 0))
        held[w.sku] = held.get(w.sku, 0) - take
        if take:
            per_line[w.line] = take
        if w.quantity > take:
            rest.append(Wanted(w.line, w.sku, w.quantity - take))
    return Expected(per_line, rest)


def adopt(
    uow: UnitOfWork,
    source: tuple[OwnerType, str],
    owner: tuple[OwnerType, str],
    wanted: list[Wanted],
    expected: Expected,
    actor: str,
) -> list[Allocation]:
    """Take over the source's reservations (a cart's) for the order's lines, exactly as
    ``expected`` said. Raises: StockMoved when the source changed meanwhile."""
    taken = inventory.adopt_reservations(
        uow, source, owner, [(w.line, w.sku, w.quantity) for w in wanted], actor=actor
    )
    got = {line: sum(u.quantity for u in units) for line, units in taken.items() if units}
    if got != expected.per_line:
        raise inventory.StockMoved("The cart's reservations changed while checking out.")
    return [
        Allocation(line, u.sku, u.location, u.quantity, u.reservation_id)
        for line, units in taken.items()
        for u in units
    ]


@dataclass(frozen=True)
class Hold:
    line: int
    sku: str
    location: str
    level_id: int
    quantity: int


@dataclass
class Planned:
    """Where the wanted units will ship from, before any of them is reserved."""

    holds: list[Hold] = field(default_factory=list)
    backordered: dict[int, int] = field(default_factory=dict)
    explanation: list[str] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    adopted: dict[int, int] = field(default_factory=dict)  # units per line kept from a cart

    def allocated(self, line: int) -> int:
        return self.adopted.get(line, 0) + sum(h.quantity for h in self.holds if h.line == line)


def plan(
    uow: UnitOfWork,
    channel: Channel,
    wanted: list[Wanted],
    destination: Destination,
    stock: list[inventory.SourcingRow] | None = None,
) -> Planned:
    """Plan where the wanted units ship from by the channel's policy; reserves nothing.
    ``stock``: the wanted SKUs' rows of ``inventory.stock_for_sourcing`` (more SKUs' may be
    there), read already in this transaction.

    Raises: OrderNotSourceable, ValidationFailed (pickup store).
    """
    codes = {w.sku for w in wanted}
    if stock is None:
        rows = inventory.stock_for_sourcing(uow, sorted(codes))
    else:
        rows = [r for r in stock if r.sku in codes]
    rows = [r for r in rows if channel.may_ship_from(r.location)]
    store = _pickup_store(uow, channel, destination)
    used = _orders_today(uow, rows)
    found = policy.plan(_request(channel, wanted, destination, rows, store, used))
    if found.refused:
        skus = {str(w.line): w.sku for w in wanted}
        raise OrderNotSourceable(
            " ".join(found.explanation),
            explanation=found.explanation,
            shortages=[
                {"line": int(k), "sku": skus[k], "short": q} for k, q in found.shortfall.items()
            ],
        )
    levels = {(r.location, r.sku): r.level_id for r in rows}
    return Planned(
        holds=[
            Hold(int(a.line_key), a.sku, a.location, levels[(a.location, a.sku)], a.quantity)
            for a in found.allocations
        ],
        backordered={int(k): q for k, q in found.backordered.items()},
        explanation=list(found.explanation),
        locations=found.locations,
    )


def reserve(
    uow: UnitOfWork,
    planned: Planned,
    owner: tuple[OwnerType, str],
    *,
    actor: str,
    first: WritesFirst | None = None,
) -> list[Allocation]:
    """Reserve the planned units for the owner, all or none (three statements whatever the
    number of lines; one on PostgreSQL, with ``first``'s rows). Raises: StockMoved when a
    location no longer has them."""
    if not planned.holds:
        if first is not None:
            raise ValueError("nothing to hold: rows to write first would not be written")
        return []
    ids = inventory.hold_planned(
        uow,
        [inventory.PlannedHold(h.level_id, h.quantity, h.line) for h in planned.holds],
        owner_type=owner[0],
        owner_ref=owner[1],
        actor=actor,
        first=first,
    )
    return [
        Allocation(h.line, h.sku, h.location, h.quantity, rid)
        for h, rid in zip(planned.holds, ids, strict=True)
    ]


def source_and_reserve(
    uow: UnitOfWork,
    channel: Channel,
    wanted: list[Wanted],
    destination: Destination,
    *,
    owner: tuple[OwnerType, str],
    actor: str,
) -> Allocated:
    """Plan where the wanted units ship from and reserve them for the owner.

    Raises: OrderNotSourceable, ValidationFailed (pickup store), StockMoved.
    """
    planned = plan(uow, channel, wanted, destination)
    return Allocated(
        allocations=reserve(uow, planned, owner, actor=actor),
        backordered=planned.backordered,
        explanation=planned.explanation,
        locations=planned.locations,
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
    with reading(uow.conn):  # a count, no lock: no BEGIN for it
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
    with reading(uow.conn):  # no BEGIN for it: the order's one write may still commit alone
        sites = locations.active_sites(uow)
    found = next((s for s in sites if s.code == code), None)
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
