"""Packing, rate shopping and shipping a fulfilment order.

Packing proposes the cheapest set of standard boxes for what was picked (``packing``); the
packer may take it or say what they packed. Shipping rates every active carrier service for
the packages (billable weight per carrier: the larger of actual and dimensional weight),
chooses one by the channel's policy against the promised delivery date (or the order's
requested service, or the packer's choice), gives every package an S10 tracking number,
takes the units out of stock (ledger ``shipment``, from the bins they were picked from),
moves the order's lines and status on, and records ``shipment.created``. The payment for
the shipped part is captured after the transaction, as every gateway call is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
import structlog

from openoms.catalog.orm import skus
from openoms.fulfillment import packing, rates
from openoms.fulfillment.carrier_api import (
    CarrierApi,
    CarrierMisconfigured,
    CarrierRefused,
    Parcel,
    ParcelAddress,
)
from openoms.fulfillment.model import (
    CarrierNotFound,
    FulfilmentStatus,
    NoBoxes,
    NoRate,
    NotPacked,
    ShipmentNotFound,
    ShipmentStatus,
)
from openoms.fulfillment.orm import (
    fulfilment_lines,
    fulfilment_orders,
    packages,
    pick_parts,
    picks,
    shipments,
)
from openoms.fulfillment.services import setup, work
from openoms.fulfillment.tracking_numbers import s10
from openoms.infra.db import Database, UnitOfWork
from openoms.infra.sequences import next_number, next_value
from openoms.infra.settings import get_settings
from openoms.inventory.services import reservations as inventory
from openoms.locations.orm import locations
from openoms.orders import shipping as order_shipping
from openoms.orders.allocation import stock_owner
from openoms.orders.model import Order
from openoms.orders.queries import load_order
from openoms.shared import clock
from openoms.shared.errors import FieldError, ValidationFailed
from openoms.shared.events import Event

log = structlog.get_logger()
_f = fulfilment_orders.c
_fl = fulfilment_lines.c
_s = shipments.c
_k = packages.c


# ---------------------------------------------------------------- packing


@dataclass(frozen=True)
class PackageIn:
    """One package as packed: a standard box, or the packer's own size; the weight from
    the scale (None: items plus the box's tare); the items in it (None on a single package:
    everything picked)."""

    box: str | None = None
    length_mm: int | None = None
    width_mm: int | None = None
    height_mm: int | None = None
    weight_g: int | None = None
    items: dict[str, int] | None = None


@dataclass(frozen=True)
class Proposal:
    packages: list[dict[str, Any]]
    cost: int
    currency: str
    explanation: list[str]


def _picked_items(uow: UnitOfWork, fo_id: int) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for sku, qty in uow.conn.execute(
        sa.select(_fl.sku_code, _fl.quantity_picked).where(
            _fl.fulfilment_order_id == fo_id, _fl.quantity_picked > 0
        )
    ):
        out[sku] += int(qty)
    return dict(out)


def _sku_facts(uow: UnitOfWork, codes: list[str]) -> dict[str, dict[str, Any]]:
    rows = uow.conn.execute(
        sa.select(
            skus.c.code,
            skus.c.name,
            skus.c.weight_g,
            skus.c.length_mm,
            skus.c.width_mm,
            skus.c.height_mm,
        ).where(skus.c.code.in_(codes))
    ).mappings()
    return {r["code"]: dict(r) for r in rows}


def _items(uow: UnitOfWork, picked: dict[str, int]) -> list[packing.Item]:
    facts = _sku_facts(uow, sorted(picked))
    missing = [
        code
        for code in picked
        if any(facts[code][k] is None for k in ("weight_g", "length_mm", "width_mm", "height_mm"))
    ]
    if missing:
        raise ValidationFailed(
            [
                FieldError(
                    "packages",
                    f"{code} has no dimensions or weight in the catalogue; enter the "
                    "packages by hand or complete the SKU",
                )
                for code in missing
            ]
        )
    return [
        packing.Item(
            code,
            facts[code]["length_mm"],
            facts[code]["width_mm"],
            facts[code]["height_mm"],
            facts[code]["weight_g"],
        )
        for code, qty in sorted(picked.items())
        for _ in range(qty)
    ]


def propose_packages(uow: UnitOfWork, number: str) -> Proposal:
    """The cheapest boxes for what was picked.

    Raises: FulfilmentOrderNotFound, NotPacked (nothing picked), ValidationFailed (SKUs
    without dimensions, no boxes configured), ItemFitsNoBox.
    """
    with uow:
        fo = work.load(uow, number)
        return _propose(uow, fo)


def _propose(uow: UnitOfWork, fo: work.FulfilmentOrder) -> Proposal:
    picked = _picked_items(uow, fo.id)
    if not picked:
        raise NotPacked(f"Nothing of {fo.number} is picked yet.", number=fo.number)
    boxes = setup.boxes_in_transaction(uow)
    if not boxes:
        raise NoBoxes("No standard boxes are configured; add them in the settings.")
    plan = packing.propose(_items(uow, picked), [b.box_type() for b in boxes])
    return Proposal(
        [_package_of(pb) for pb in plan.boxes],
        plan.cost,
        boxes[0].currency,
        plan.explanation,
    )


def _package_of(pb: packing.PackedBox) -> dict[str, Any]:
    items: dict[str, int] = defaultdict(int)
    for item in pb.items:
        items[item.ref] += 1
    return {
        "box": pb.box.code,
        "length_mm": pb.box.length_mm,
        "width_mm": pb.box.width_mm,
        "height_mm": pb.box.height_mm,
        "weight_g": pb.gross_weight_g,
        "items": dict(sorted(items.items())),
    }


def pack(
    uow: UnitOfWork, number: str, given: list[PackageIn] | None, *, actor: str
) -> work.FulfilmentOrder:
    """Record what was packed: the proposal (``given`` None) or the packer's packages.

    Raises: FulfilmentOrderNotFound, IllegalFulfilmentTransition, IllegalOrderTransition,
    ValidationFailed, ItemFitsNoBox, NotPacked.
    """
    with uow:
        fo = work.load(uow, number, lock=True)
        if fo.status is not FulfilmentStatus.PICKED:
            work.set_status(uow, fo.id, fo.number, fo.status, FulfilmentStatus.PACKED)  # refuses
        order_shipping.check_shippable(load_order(uow, fo.order_id))
        chosen = _propose(uow, fo).packages if given is None else _packed_by_hand(uow, fo, given)
        work.set_status(uow, fo.id, fo.number, fo.status, FulfilmentStatus.PACKED)
        uow.conn.execute(sa.update(fulfilment_orders).where(_f.id == fo.id).values(packages=chosen))
        uow.record(
            Event(
                "fulfilment_order.packed",
                {"number": fo.number, "packages": len(chosen), "by": actor},
                f"fulfilment_order:{fo.number}",
            )
        )
        found = work.load(uow, number)
        uow.commit()
    return found


def _packed_by_hand(
    uow: UnitOfWork, fo: work.FulfilmentOrder, given: list[PackageIn]
) -> list[dict[str, Any]]:
    picked = _picked_items(uow, fo.id)
    if not given or len(given) > 50:
        raise ValidationFailed.single("packages", "give 1 to 50 packages")
    boxes = {b.code: b for b in setup.boxes_in_transaction(uow, active_only=False)}
    errors: list[FieldError] = []
    out = []
    counted: dict[str, int] = defaultdict(int)
    for i, p in enumerate(given):
        at = f"packages[{i}]"
        items = p.items if p.items is not None else (picked if len(given) == 1 else None)
        if items is None:
            errors.append(FieldError(f"{at}.items", "say what is in each package"))
            continue
        for sku, q in items.items():
            if q <= 0:
                errors.append(FieldError(f"{at}.items.{sku}", "must be 1 or more"))
            counted[sku] += q
        box = boxes.get(p.box) if p.box else None
        if p.box and box is None:
            errors.append(FieldError(f"{at}.box", f"no box '{p.box}'"))
            continue
        dims = (
            (box.length_mm, box.width_mm, box.height_mm)
            if box
            else (p.length_mm, p.width_mm, p.height_mm)
        )
        if any(d is None or not 1 <= d <= 5000 for d in dims):
            errors.append(FieldError(at, "name a box or give length, width and height in mm"))
            continue
        weight = p.weight_g
        if weight is None:
            facts = _sku_facts(uow, sorted(items))
            if any(facts.get(s, {}).get("weight_g") is None for s in items):
                errors.append(
                    FieldError(f"{at}.weight_g", "weigh the package: a SKU has no weight")
                )
                continue
            weight = sum(facts[s]["weight_g"] * q for s, q in items.items()) + (
                box.tare_g if box else 0
            )
        if not 1 <= weight <= 1_000_000:
            errors.append(FieldError(f"{at}.weight_g", "must be 1 g to 1000 kg"))
            continue
        if box and weight > box.max_weight_g:
            errors.append(
                FieldError(f"{at}.weight_g", f"{weight} g is over the {box.code} box's limit")
            )
            continue
        out.append(
            {
                "box": box.code if box else None,
                "length_mm": dims[0],
                "width_mm": dims[1],
                "height_mm": dims[2],
                "weight_g": weight,
                "items": dict(sorted(items.items())),
            }
        )
    if not errors and dict(counted) != picked:
        errors.append(
            FieldError(
                "packages",
                "the packages must hold exactly what was picked: "
                + ", ".join(f"{q} × {s}" for s, q in sorted(picked.items())),
            )
        )
    if errors:
        raise ValidationFailed(errors)
    return out


# ---------------------------------------------------------------- rates


@dataclass(frozen=True)
class Rating:
    options: list[rates.RateOption]
    chosen: rates.RateOption | None
    reason: str
    deliver_by: date | None


def rate_options(uow: UnitOfWork, number: str) -> Rating:
    """Every service that can take the packed parcels, and the one the policy picks.

    Raises: FulfilmentOrderNotFound, NotPacked.
    """
    with uow:
        fo = work.load(uow, number)
        return _rate(uow, fo, load_order(uow, fo.order_id))


def _rate(uow: UnitOfWork, fo: work.FulfilmentOrder, order: Order) -> Rating:
    if not fo.packages:
        raise NotPacked(f"{fo.number} is not packed yet.", number=fo.number)
    loc = uow.conn.execute(
        sa.select(locations.c.timezone, locations.c.country).where(locations.c.code == fo.location)
    ).one()
    address = order.shipping_address or order.billing_address
    carriers = {c.code: c for c in setup.carriers_in_transaction(uow)}
    options: list[rates.RateOption] = []
    for spec in setup.services_in_transaction(uow):
        carrier = carriers[spec.carrier].carrier()
        weights = [_billable(p, carrier.dim_divisor) for p in fo.packages]
        options += rates.rate_shop(
            [spec.level()],
            [carrier],
            origin=fo.location,
            origin_tz=loc.timezone,
            country=str(address.get("country", "")),
            postal_code=str(address.get("postal_code", "")),
            billable_weights_g=weights,
            now=clock.now(),
            promised_by=fo.deliver_by,
        )
    options.sort(key=lambda o: (o.amount, o.delivery_date, o.carrier, o.service))
    requested = [o for o in options if fo.service and o.service == fo.service]
    if requested:
        return Rating(
            options, requested[0], f"The order asked for {requested[0].label}.", fo.deliver_by
        )
    policy = setup.channel_promise(uow, order.channel).rate_policy
    chosen, reason = rates.choose(options, policy, fo.deliver_by)
    return Rating(options, chosen, reason, fo.deliver_by)


def _billable(p: dict[str, Any], divisor: int) -> int:
    dim = packing.dimensional_weight_g(p["length_mm"], p["width_mm"], p["height_mm"], divisor)
    return packing.billable_weight_g(p["weight_g"], dim)


# ---------------------------------------------------------------- shipping


@dataclass(frozen=True)
class Package:
    seq: int
    box: str | None
    length_mm: int
    width_mm: int
    height_mm: int
    weight_g: int
    dim_weight_g: int
    billable_weight_g: int
    tracking_number: str
    items: dict[str, int]


@dataclass(frozen=True)
class Shipment:
    number: str
    fulfilment_order: str
    order_number: str
    location: str
    carrier: str
    carrier_name: str
    service: str
    service_name: str
    status: ShipmentStatus
    rate_amount: int
    rate_currency: str
    rate_reason: str
    value_amount: int
    currency: str
    ship_to: dict[str, Any]
    promised_date: date | None
    eta: date | None
    shipped_at: datetime
    delivered_at: datetime | None
    shipped_by: str
    tracking_url: str
    packages: list[Package] = field(default_factory=list)


@dataclass(frozen=True)
class BoughtLabel:
    """A label bought through a carrier API for one package, before the shipment is
    recorded: its tracking number and document come from the provider."""

    tracking_number: str
    pdf: bytes | None
    reference: str
    amount: int
    currency: str
    api: str


def ship(
    uow: UnitOfWork,
    number: str,
    *,
    actor: str,
    service: str | None = None,
    labels: list[BoughtLabel] | None = None,
) -> Shipment:
    """Ship a packed fulfilment order with ``service`` (None: the rate policy's choice);
    ``labels``: one per package, bought through the carrier's API.

    Raises: FulfilmentOrderNotFound, NotPacked, NoRate, CarrierNotFound,
    IllegalFulfilmentTransition, IllegalOrderTransition.
    """
    with uow:
        fo = work.load(uow, number, lock=True)
        if fo.status is not FulfilmentStatus.PACKED:
            work.set_status(uow, fo.id, fo.number, fo.status, FulfilmentStatus.SHIPPED)  # refuses
        order = load_order(uow, fo.order_id)
        order_shipping.check_shippable(order)
        rating = _rate(uow, fo, order)
        if service is not None:
            option = next((o for o in rating.options if o.service == service), None)
            if option is None:
                raise CarrierNotFound(
                    f"Service '{service}' cannot take this parcel to its destination.",
                    service=service,
                )
            reason = f"Chosen by {actor}: {option.label}."
        else:
            option, reason = rating.chosen, rating.reason
        if option is None:
            raise NoRate(
                f"No active carrier service ships {fo.number}'s parcels to its destination; "
                "add a service or zone in the settings.",
                number=fo.number,
            )
        shipped_lines = take_stock(uow, fo, actor, reference=f"shipment:{fo.number}")
        value = _value(uow, order, shipped_lines)
        if labels is not None and len(labels) != len(fo.packages or []):
            raise NotPacked(f"{fo.number} was packed again; ship it again.", number=fo.number)
        found = _write_shipment(uow, fo, order, option, reason, value, actor, labels)
        work.set_status(uow, fo.id, fo.number, FulfilmentStatus.PACKED, FulfilmentStatus.SHIPPED)
        order_shipping.record_shipped(
            uow,
            order.id,
            shipped_lines,
            actor=actor,
            shipment=found.number,
            data={
                "location": fo.location,
                "shipment": found.number,
                "carrier": option.carrier,
                "service": option.service,
                "tracking": [p.tracking_number for p in found.packages],
                "eta": option.delivery_date.isoformat(),
            },
        )
        uow.record(
            Event(
                "shipment.created",
                {
                    "number": found.number,
                    "order": order.number,
                    "fulfilment_order": fo.number,
                    "location": fo.location,
                    "carrier": option.carrier,
                    "service": option.service,
                    "tracking_numbers": [p.tracking_number for p in found.packages],
                    "eta": option.delivery_date.isoformat(),
                    "value": value,
                    "currency": order.currency,
                },
                f"shipment:{found.number}",
            )
        )
        uow.commit()
    return found


def ship_and_capture(
    db: Database,
    gateways: Any,
    number: str,
    *,
    actor: str,
    service: str | None = None,
    carrier_apis: Mapping[str, CarrierApi] | None = None,
) -> Shipment:
    """Ship, then capture the shipped part's payment (outside the shipping transaction) and
    invoice it when the order is paid on terms. A carrier that buys its labels through an
    API gets them bought first, outside any transaction, under keys that make a retry
    return the same labels.

    Raises: what ``ship`` raises; CarrierMisconfigured, CarrierUnavailable, CarrierRefused.
    """
    from openoms.payments.services import order_payments

    service, labels = _buy_labels(db, number, service, carrier_apis or {})
    found = ship(db.uow(), number, actor=actor, service=service, labels=labels)
    try:
        order_payments.capture_shipped(
            db, gateways, found.order_number, found.value_amount, actor=actor
        )
    except Exception:  # the shipment stands; the worker or finance captures later
        log.exception("fulfilment.capture_after_shipment_failed", shipment=found.number)
    _invoice_on_terms(db, found, actor)
    return found


def _buy_labels(
    db: Database, number: str, service: str | None, apis: Mapping[str, CarrierApi]
) -> tuple[str | None, list[BoughtLabel] | None]:
    """The service to ship with and, for a carrier that sells its labels through an API,
    one bought label per package."""
    with db.reader() as uow:
        fo = work.load(uow, number)
        if fo.status is not FulfilmentStatus.PACKED or not fo.packages:
            return service, None  # shipping refuses with the reason
        order = load_order(uow, fo.order_id)
        rating = _rate(uow, fo, order)
        option = (
            next((o for o in rating.options if o.service == service), None)
            if service is not None
            else rating.chosen
        )
        if option is None:
            return service, None
        carrier = next(c for c in setup.carriers_in_transaction(uow) if c.code == option.carrier)
        if carrier.api is None:
            return option.service, None
        spec = next(x for x in setup.services_in_transaction(uow) if x.code == option.service)
        origin = (
            uow.conn.execute(sa.select(locations).where(locations.c.code == fo.location))
            .mappings()
            .one()
        )
    api = apis.get(carrier.api)
    if api is None or not spec.api_service:
        raise CarrierMisconfigured(
            f"{carrier.name} buys its labels through {carrier.api}, which is not configured"
            + ("" if api is None else f" for service {spec.code} (its api_service is empty)")
            + "; set it up in the settings, or ship with another service.",
            provider=carrier.api,
        )
    ship_from = ParcelAddress(
        get_settings().merchant_name,
        origin["name"],
        origin["address_line1"],
        origin["address_line2"],
        origin["city"],
        origin["postal_code"],
        origin["region"],
        origin["country"],
    )
    to = order.shipping_address or order.billing_address
    ship_to = ParcelAddress(
        str(to.get("name", "")),
        str(to.get("company", "")),
        str(to.get("line1", "")),
        str(to.get("line2", "")),
        str(to.get("city", "")),
        str(to.get("postal_code", "")),
        str(to.get("region", "")),
        str(to.get("country", "")),
        str(to.get("phone", "")),
        order.email,
    )
    labels = []
    for seq, p in enumerate(fo.packages or [], start=1):
        parcel = Parcel(p["length_mm"], p["width_mm"], p["height_mm"], p["weight_g"])
        quoted = api.rates(ship_from, ship_to, [parcel], reference=f"{fo.number}/{seq}")
        rate = next((r for r in quoted if r.service == spec.api_service), None)
        if rate is None:
            raise CarrierRefused(
                f"{carrier.name} offers no {spec.api_service} for package {seq} of "
                f"{fo.number}; choose another service.",
                provider=carrier.api,
            )
        bought = api.buy_label(rate.rate_id, idempotency_key=f"{fo.number}:{fo.version}:{seq}")
        pdf = bought.label_pdf
        if pdf is None and bought.label_url and hasattr(api, "download_label"):
            pdf = api.download_label(bought.label_url)
        labels.append(
            BoughtLabel(
                bought.tracking_number,
                pdf,
                bought.reference,
                bought.amount,
                bought.currency,
                carrier.api,
            )
        )
    return option.service, labels


def _invoice_on_terms(db: Database, found: Shipment, actor: str) -> None:
    """Invoice what the shipment sent when the order is paid on terms; what was invoiced
    on demand before is not invoiced again (at most what is left)."""
    from openoms.receivables.services import invoices
    from openoms.receivables.services.invoices import NothingToInvoice, NotOnTerms

    try:
        invoices.issue_invoice(db, found.order_number, actor=actor, amount=found.value_amount)
    except NotOnTerms:
        pass
    except NothingToInvoice as e:
        left = int(e.data.get("left", 0))
        if left > 0:
            invoices.issue_invoice(db, found.order_number, actor=actor, amount=left)
    except Exception:
        log.exception("fulfilment.invoice_after_shipment_failed", shipment=found.number)


def take_stock(
    uow: UnitOfWork, fo: work.FulfilmentOrder, actor: str, *, reference: str
) -> dict[int, int]:
    """Take the picked units out of stock (ledger ``shipment``), from the bins they were
    picked from; returns the units per order line."""
    owner = stock_owner(fo.order_id)
    shipped: dict[int, int] = defaultdict(int)
    for line in fo.lines:
        if line.picked - line.shipped <= 0:
            continue
        from_bins = uow.conn.execute(
            sa.select(picks.c.bin_code, sa.func.sum(pick_parts.c.quantity_picked))
            .join(pick_parts, pick_parts.c.pick_id == picks.c.id)
            .where(pick_parts.c.fulfilment_line_id == line.id)
            .group_by(picks.c.bin_code)
        ).all()
        left = line.picked - line.shipped
        for bin_code, qty in from_bins:
            take = min(left, int(qty))
            if take <= 0:
                continue
            done = inventory.ship_line_in_transaction(
                uow,
                owner,
                line.line_no,
                fo.location,
                take,
                actor=actor,
                reference=reference,
                bin_code=bin_code,
            )
            shipped[line.line_no] += done
            left -= done
        if left > 0:  # picked without a pick list record (should not happen): loose
            shipped[line.line_no] += inventory.ship_line_in_transaction(
                uow, owner, line.line_no, fo.location, left, actor=actor, reference=reference
            )
        uow.conn.execute(
            sa.update(fulfilment_lines)
            .where(_fl.id == line.id)
            .values(quantity_shipped=_fl.quantity_shipped + shipped[line.line_no])
        )
    return {k: v for k, v in shipped.items() if v}


def _value(uow: UnitOfWork, order: Order, shipped: dict[int, int]) -> int:
    """What the shipped units are worth, tax included; the first shipment carries the
    shipping charge and the last one whatever rounding left."""
    before = uow.conn.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(_s.value_amount), 0)).where(
            _s.order_id == order.id
        )
    ).one()
    count, earlier = int(before[0]), int(before[1])
    lines = {ln.line_no: ln for ln in order.lines}
    value = sum(
        lines[n].total_amount * units // max(lines[n].quantity_ordered, 1)
        for n, units in shipped.items()
    )
    if count == 0:
        value += order.shipping_amount
    rest = sum(
        ln.quantity_ordered
        - ln.quantity_cancelled
        - ln.quantity_shipped
        - shipped.get(ln.line_no, 0)
        for ln in order.lines
    )
    if rest == 0:
        value = max(order.total_amount - earlier, 0)
    return value


def _write_shipment(
    uow: UnitOfWork,
    fo: work.FulfilmentOrder,
    order: Order,
    option: rates.RateOption,
    reason: str,
    value: int,
    actor: str,
    labels: list[BoughtLabel] | None = None,
) -> Shipment:
    carrier = next(c for c in setup.carriers_in_transaction(uow) if c.code == option.carrier)
    rate_amount, rate_currency = option.amount, option.currency
    if labels:
        rate_amount, rate_currency = sum(lb.amount for lb in labels), labels[0].currency
        reason += f" Labels bought through {labels[0].api}."
    country = uow.conn.execute(
        sa.select(locations.c.country).where(locations.c.code == fo.location)
    ).scalar_one()
    number = next_number(uow.conn, "shipment", "SH")
    now = clock.now()
    shipment_id = uow.conn.execute(
        shipments.insert()
        .values(
            number=number,
            fulfilment_order_id=fo.id,
            order_id=order.id,
            location_code=fo.location,
            carrier_code=option.carrier,
            service_code=option.service,
            status=ShipmentStatus.LABEL_CREATED.value,
            rate_amount=rate_amount,
            rate_currency=rate_currency,
            rate_reason=reason,
            value_amount=value,
            currency=order.currency,
            ship_to=order.shipping_address or order.billing_address,
            promised_date=fo.deliver_by,
            eta=option.delivery_date,
            shipped_at=now,
            shipped_by=actor,
        )
        .returning(_s.id)
    ).scalar_one()
    rows = []
    for seq, p in enumerate(fo.packages or [], start=1):
        # one counter per S10 prefix and country: carriers that share a prefix never
        # hand out the same number
        counter = f"tracking:{carrier.tracking_prefix}{country}"
        serial = next_value(uow.conn, counter) % 100_000_000
        dim = packing.dimensional_weight_g(
            p["length_mm"], p["width_mm"], p["height_mm"], carrier.dim_divisor
        )
        bought = labels[seq - 1] if labels else None
        if bought is not None:
            tracking_number = bought.tracking_number
        else:
            tracking_number = s10(carrier.tracking_prefix, serial, country)
        rows.append(
            {
                "shipment_id": shipment_id,
                "seq": seq,
                "box_code": p.get("box"),
                "length_mm": p["length_mm"],
                "width_mm": p["width_mm"],
                "height_mm": p["height_mm"],
                "weight_g": p["weight_g"],
                "dim_weight_g": dim,
                "billable_weight_g": packing.billable_weight_g(p["weight_g"], dim),
                "tracking_number": tracking_number,
                "items": p["items"],
                "label_pdf": bought.pdf if bought else None,
                "label_reference": bought.reference if bought else None,
            }
        )
    uow.conn.execute(packages.insert(), rows)
    return load_shipment(uow, number)


# ---------------------------------------------------------------- reads


def get_shipment(uow: UnitOfWork, number: str) -> Shipment:
    """Raises: ShipmentNotFound."""
    with uow:
        return load_shipment(uow, number)


def load_shipment(uow: UnitOfWork, number: str) -> Shipment:
    from openoms.fulfillment.orm import carrier_services, carriers

    row = (
        uow.conn.execute(
            sa.select(
                shipments,
                _f.number.label("fo_number"),
                _f.order_number,
                carriers.c.name.label("carrier_name"),
                carriers.c.tracking_url,
                carrier_services.c.name.label("service_name"),
            )
            .join(fulfilment_orders, _f.id == _s.fulfilment_order_id)
            .join(carriers, carriers.c.code == _s.carrier_code)
            .join(carrier_services, carrier_services.c.code == _s.service_code)
            .where(_s.number == number)
        )
        .mappings()
        .first()
    )
    if row is None:
        raise ShipmentNotFound(f"No shipment {number}.", number=number)
    pkgs = [
        Package(
            p["seq"],
            p["box_code"],
            p["length_mm"],
            p["width_mm"],
            p["height_mm"],
            p["weight_g"],
            p["dim_weight_g"],
            p["billable_weight_g"],
            p["tracking_number"],
            dict(p["items"]),
        )
        for p in uow.conn.execute(
            sa.select(packages).where(_k.shipment_id == row["id"]).order_by(_k.seq)
        ).mappings()
    ]
    return Shipment(
        number=row["number"],
        fulfilment_order=row["fo_number"],
        order_number=row["order_number"],
        location=row["location_code"],
        carrier=row["carrier_code"],
        carrier_name=row["carrier_name"],
        service=row["service_code"],
        service_name=row["service_name"],
        status=ShipmentStatus(row["status"]),
        rate_amount=row["rate_amount"],
        rate_currency=row["rate_currency"],
        rate_reason=row["rate_reason"],
        value_amount=row["value_amount"],
        currency=row["currency"],
        ship_to=dict(row["ship_to"]),
        promised_date=row["promised_date"],
        eta=row["eta"],
        shipped_at=row["shipped_at"],
        delivered_at=row["delivered_at"],
        shipped_by=row["shipped_by"],
        tracking_url=row["tracking_url"],
        packages=pkgs,
    )


def shipments_of_order(uow: UnitOfWork, order_id: int) -> list[Shipment]:
    """Inside the caller's transaction."""
    numbers = uow.conn.execute(
        sa.select(_s.number).where(_s.order_id == order_id).order_by(_s.id)
    ).scalars()
    return [load_shipment(uow, n) for n in numbers]


def list_shipments(
    uow: UnitOfWork,
    *,
    location: str | None = None,
    status: ShipmentStatus | None = None,
    locations_scope: frozenset[str] | None = None,
    limit: int = 100,
) -> list[Shipment]:
    with uow:
        query = sa.select(_s.number).order_by(_s.id.desc()).limit(limit)
        if location is not None:
            query = query.where(_s.location_code == location)
        if locations_scope is not None:
            query = query.where(_s.location_code.in_(sorted(locations_scope)))
        if status is not None:
            query = query.where(_s.status == status.value)
        return [load_shipment(uow, n) for n in uow.conn.execute(query).scalars()]
