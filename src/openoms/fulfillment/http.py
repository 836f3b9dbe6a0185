"""Fulfilment API: fulfilment orders, waves and pick lists, scan-to-pick, packing, rate
shopping, shipping, labels and slips, tracking in, pickup in store, and the settings the
warehouse works with (boxes, carriers and services, strategies, channel promises)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, Field

from openoms.fulfillment import rates
from openoms.fulfillment.model import (
    FulfilmentStatus,
    PickListStatus,
    PickStrategy,
    ShipmentStatus,
)
from openoms.fulfillment.services import paperwork, picking, setup, shipping, tracking, work
from openoms.identity.model import Permission as P
from openoms.shared.money import Money
from openoms.web.auth import permit
from openoms.web.deps import Actor, Caller, DbDep, GatewaysDep, ReadUow, WriteUow, works_at
from openoms.web.schemas import MoneyOut, Strict

router = APIRouter(tags=["fulfilment"])
Code = Field(min_length=1, max_length=64)


# ---------------------------------------------------------------- schemas


class FulfilmentLineOut(BaseModel):
    line_no: int
    sku: str
    name: str
    quantity: int
    picked: int
    short: int
    shipped: int


class FulfilmentOrderOut(BaseModel):
    number: str
    order: str
    order_status: str
    location: str
    status: FulfilmentStatus
    priority: int
    ship_by: date | None
    deliver_by: date | None
    promise: str
    service: str | None
    pickup: bool
    wave: str | None
    placed_at: datetime
    packages: list[dict[str, Any]] | None
    lines: list[FulfilmentLineOut]

    @classmethod
    def of(cls, fo: work.FulfilmentOrder) -> FulfilmentOrderOut:
        return cls(
            number=fo.number,
            order=fo.order_number,
            order_status=fo.order_status,
            location=fo.location,
            status=fo.status,
            priority=fo.priority,
            ship_by=fo.ship_by,
            deliver_by=fo.deliver_by,
            promise=fo.promise,
            service=fo.service,
            pickup=fo.pickup,
            wave=fo.wave,
            placed_at=fo.placed_at,
            packages=fo.packages,
            lines=[FulfilmentLineOut(**ln.__dict__) for ln in fo.lines],
        )


class WaveIn(Strict):
    location: str = Code
    strategy: PickStrategy | None = Field(
        default=None, description="single, batch, zone or wave; default: the location's"
    )
    batch_size: int | None = Field(default=None, ge=1, le=100)
    ship_by: date | None = Field(default=None, description="only what must leave by this day")
    service: str | None = Field(default=None, max_length=32)
    min_priority: int | None = Field(default=None, ge=0, le=1000)
    fulfilment_orders: list[str] = Field(default_factory=list, max_length=500)
    limit: int = Field(default=50, ge=1, le=500)


class PickPartOut(BaseModel):
    fulfilment_order: str
    line_no: int
    quantity: int
    picked: int
    short: int


class PickOut(BaseModel):
    id: int
    seq: int
    sku: str
    name: str
    barcode: str | None
    bin: str | None
    zone: str | None
    aisle: str
    quantity: int
    picked: int
    short: int
    parts: list[PickPartOut]


class PickListOut(BaseModel):
    number: str
    wave: str
    location: str
    strategy: PickStrategy
    zone: str | None
    status: PickListStatus
    picker: str | None
    fulfilment_orders: list[str]
    units: int
    left: int
    picks: list[PickOut]

    @classmethod
    def of(cls, pl: picking.PickList) -> PickListOut:
        return cls(
            number=pl.number,
            wave=pl.wave,
            location=pl.location,
            strategy=pl.strategy,
            zone=pl.zone,
            status=pl.status,
            picker=pl.picker,
            fulfilment_orders=pl.fulfilment_orders,
            units=pl.units,
            left=pl.left,
            picks=[
                PickOut(
                    id=p.id,
                    seq=p.seq,
                    sku=p.sku,
                    name=p.name,
                    barcode=p.barcode,
                    bin=p.bin_code,
                    zone=p.zone,
                    aisle=p.aisle,
                    quantity=p.quantity,
                    picked=p.picked,
                    short=p.short,
                    parts=[PickPartOut(**x.__dict__) for x in p.parts],
                )
                for p in pl.picks
            ],
        )


class WaveOut(BaseModel):
    number: str
    location: str
    strategy: PickStrategy
    status: str
    criteria: dict[str, Any]
    released_by: str
    released_at: datetime
    pick_lists: list[PickListOut]

    @classmethod
    def of(cls, w: picking.Wave) -> WaveOut:
        return cls(
            number=w.number,
            location=w.location,
            strategy=w.strategy,
            status=w.status.value,
            criteria=w.criteria,
            released_by=w.released_by,
            released_at=w.released_at,
            pick_lists=[PickListOut.of(pl) for pl in w.pick_lists],
        )


class ScanIn(Strict):
    code: str = Field(min_length=1, max_length=64, description="SKU code or barcode scanned")
    quantity: int = Field(default=1, ge=1, le=10_000)
    pick_id: int | None = Field(
        default=None, description="the pick on the picker's screen: the scan must match it"
    )


class ShortIn(Strict):
    pick_id: int
    missing: int = Field(ge=1, le=10_000)
    note: str = Field(default="", max_length=500)


class ScanOut(BaseModel):
    message: str
    pick: PickOut
    pick_list: PickListOut


class PackageIn(Strict):
    box: str | None = Field(default=None, max_length=32)
    length_mm: int | None = Field(default=None, ge=1, le=5000)
    width_mm: int | None = Field(default=None, ge=1, le=5000)
    height_mm: int | None = Field(default=None, ge=1, le=5000)
    weight_g: int | None = Field(default=None, ge=1, le=1_000_000)
    items: dict[str, int] | None = Field(default=None, description="SKU -> units")


class PackIn(Strict):
    packages: list[PackageIn] | None = Field(
        default=None, max_length=50, description="omit to pack as proposed"
    )


class ProposalOut(BaseModel):
    packages: list[dict[str, Any]]
    cost: MoneyOut
    explanation: list[str]


class RateOptionOut(BaseModel):
    carrier: str
    service: str
    name: str
    zone: str
    price: MoneyOut
    ship_date: date
    delivery_date: date
    transit_days: int
    meets_promise: bool | None

    @classmethod
    def of(cls, o: rates.RateOption) -> RateOptionOut:
        return cls(
            carrier=o.carrier,
            service=o.service,
            name=o.label,
            zone=o.zone,
            price=MoneyOut.of(Money(o.amount, o.currency)),
            ship_date=o.ship_date,
            delivery_date=o.delivery_date,
            transit_days=o.transit_days,
            meets_promise=o.meets_promise,
        )


class RatingOut(BaseModel):
    options: list[RateOptionOut]
    chosen: RateOptionOut | None
    reason: str
    deliver_by: date | None


class ShipIn(Strict):
    service: str | None = Field(default=None, max_length=32, description="default: the policy's")


class PackageOut(BaseModel):
    seq: int
    box: str | None
    length_mm: int
    width_mm: int
    height_mm: int
    weight_g: int
    dim_weight_g: int
    billable_weight_g: int
    tracking_number: str
    tracking_url: str
    label_url: str
    items: dict[str, int]


class ShipmentOut(BaseModel):
    number: str
    fulfilment_order: str
    order: str
    location: str
    carrier: str
    service: str
    service_name: str
    status: ShipmentStatus
    rate: MoneyOut
    rate_reason: str
    value: MoneyOut
    promised_date: date | None
    eta: date | None
    shipped_at: datetime
    delivered_at: datetime | None
    packages: list[PackageOut]

    @classmethod
    def of(cls, s: shipping.Shipment) -> ShipmentOut:
        return cls(
            number=s.number,
            fulfilment_order=s.fulfilment_order,
            order=s.order_number,
            location=s.location,
            carrier=s.carrier,
            service=s.service,
            service_name=s.service_name,
            status=s.status,
            rate=MoneyOut.of(Money(s.rate_amount, s.rate_currency)),
            rate_reason=s.rate_reason,
            value=MoneyOut.of(Money(s.value_amount, s.currency)),
            promised_date=s.promised_date,
            eta=s.eta,
            shipped_at=s.shipped_at,
            delivered_at=s.delivered_at,
            packages=[
                PackageOut(
                    seq=p.seq,
                    box=p.box,
                    length_mm=p.length_mm,
                    width_mm=p.width_mm,
                    height_mm=p.height_mm,
                    weight_g=p.weight_g,
                    dim_weight_g=p.dim_weight_g,
                    billable_weight_g=p.billable_weight_g,
                    tracking_number=p.tracking_number,
                    tracking_url=s.tracking_url.replace("{tracking}", p.tracking_number),
                    label_url=f"/api/v1/shipments/{s.number}/packages/{p.seq}/label.pdf",
                    items=p.items,
                )
                for p in s.packages
            ],
        )


class TrackingScanIn(Strict):
    tracking_number: str = Field(min_length=4, max_length=40)
    status: ShipmentStatus
    at: datetime
    location: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=2000)
    eta: date | None = None


class TrackingIn(Strict):
    events: list[TrackingScanIn] = Field(min_length=1, max_length=500)
    source: str = Field(default="api", max_length=60)


class CodeIn(Strict):
    code: str = Field(min_length=1, max_length=12, description="the customer's pickup code")


# ---------------------------------------------------------------- routes


@router.get("/fulfilment-orders", dependencies=[permit(P.FULFILLMENT_VIEW)])
def list_fulfilment_orders(
    uow: WriteUow,
    caller: Caller,
    location: Annotated[str | None, Query(max_length=64)] = None,
    status_: Annotated[FulfilmentStatus | None, Query(alias="status")] = None,
    order: Annotated[str | None, Query(max_length=20)] = None,
    wave: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[FulfilmentOrderOut]:
    """Rush and VIP first, then the earliest ship-by date, then the oldest."""
    found = work.list_fulfilment_orders(
        uow,
        work.FulfilmentFilter(location, status_, order, wave, caller.scope.locations),
        limit=limit,
    )
    return [FulfilmentOrderOut.of(fo) for fo in found]


def _fo_in_scope(uow: ReadUow, caller: Caller, number: str) -> work.FulfilmentOrder:
    found = work.get_fulfilment_order(uow, number)
    if not caller.scope.sees_location(found.location):
        from openoms.fulfillment.model import FulfilmentOrderNotFound

        raise FulfilmentOrderNotFound(f"No fulfilment order {number}.", number=number)
    return found


@router.get("/fulfilment-orders/{number}", dependencies=[permit(P.FULFILLMENT_VIEW)])
def get_fulfilment_order(number: str, uow: ReadUow, caller: Caller) -> FulfilmentOrderOut:
    return FulfilmentOrderOut.of(_fo_in_scope(uow, caller, number))


@router.post(
    "/waves", status_code=status.HTTP_201_CREATED, dependencies=[permit(P.FULFILLMENT_PICK)]
)
def release_wave(body: WaveIn, uow: WriteUow, actor: Actor, caller: Caller) -> WaveOut:
    """Release pending work at a location to the floor as pick lists (409 when none matches)."""
    works_at(caller, body.location)
    criteria = picking.WaveCriteria(
        ship_by=body.ship_by,
        service=body.service,
        min_priority=body.min_priority,
        fulfilment_orders=tuple(body.fulfilment_orders),
        limit=body.limit,
        strategy=body.strategy,
        batch_size=body.batch_size,
    )
    return WaveOut.of(picking.release_wave(uow, body.location, criteria, actor=actor))


@router.get("/waves", dependencies=[permit(P.FULFILLMENT_VIEW)])
def list_waves(
    uow: ReadUow, location: Annotated[str | None, Query(max_length=64)] = None
) -> list[WaveOut]:
    return [WaveOut.of(w) for w in picking.list_waves(uow, location)]


@router.get("/waves/{number}", dependencies=[permit(P.FULFILLMENT_VIEW)])
def get_wave(number: str, uow: ReadUow) -> WaveOut:
    return WaveOut.of(picking.get_wave(uow, number))


@router.get("/pick-lists", dependencies=[permit(P.FULFILLMENT_VIEW)])
def list_pick_lists(
    uow: ReadUow,
    caller: Caller,
    location: Annotated[str | None, Query(max_length=64)] = None,
    status_: Annotated[PickListStatus | None, Query(alias="status")] = None,
) -> list[PickListOut]:
    found = picking.list_pick_lists(
        uow, location=location, status=status_, locations_scope=caller.scope.locations
    )
    return [PickListOut.of(pl) for pl in found]


@router.get("/pick-lists/{number}", dependencies=[permit(P.FULFILLMENT_VIEW)])
def get_pick_list(number: str, uow: ReadUow) -> PickListOut:
    return PickListOut.of(picking.get_pick_list(uow, number))


@router.post("/pick-lists/{number}/scans", dependencies=[permit(P.FULFILLMENT_PICK)])
def scan(number: str, body: ScanIn, uow: WriteUow, actor: Actor) -> ScanOut:
    """Confirm units of a pick by the SKU code or barcode scanned. A wrong scan is a 409
    that says what the pick asks for; nothing changes."""
    done = picking.scan(
        uow, number, body.code, actor=actor, quantity=body.quantity, pick_id=body.pick_id
    )
    out = PickListOut.of(done.pick_list)
    return ScanOut(
        message=done.message,
        pick=next(p for p in out.picks if p.id == done.pick.id),
        pick_list=out,
    )


@router.post("/pick-lists/{number}/shorts", dependencies=[permit(P.FULFILLMENT_PICK)])
def short_pick(number: str, body: ShortIn, uow: WriteUow, actor: Actor) -> ScanOut:
    """Units of a pick are not there: written off (``short_pick``) and sourced again."""
    done = picking.short_pick(uow, number, body.pick_id, body.missing, actor=actor, note=body.note)
    out = PickListOut.of(done.pick_list)
    return ScanOut(
        message=done.message,
        pick=next(p for p in out.picks if p.id == done.pick.id),
        pick_list=out,
    )


@router.get("/fulfilment-orders/{number}/packing", dependencies=[permit(P.FULFILLMENT_VIEW)])
def propose_packages(number: str, uow: ReadUow) -> ProposalOut:
    """The cheapest standard boxes for what was picked, and why."""
    found = shipping.propose_packages(uow, number)
    return ProposalOut(
        packages=found.packages,
        cost=MoneyOut.of(Money(found.cost, found.currency)),
        explanation=found.explanation,
    )


@router.post("/fulfilment-orders/{number}/pack", dependencies=[permit(P.FULFILLMENT_PICK)])
def pack(number: str, body: PackIn, uow: WriteUow, actor: Actor) -> FulfilmentOrderOut:
    given = (
        None
        if body.packages is None
        else [shipping.PackageIn(**p.model_dump()) for p in body.packages]
    )
    return FulfilmentOrderOut.of(shipping.pack(uow, number, given, actor=actor))


@router.get("/fulfilment-orders/{number}/rates", dependencies=[permit(P.FULFILLMENT_VIEW)])
def rate_options(number: str, uow: ReadUow) -> RatingOut:
    """Every carrier service for the packed parcels, and the one the channel's policy picks."""
    found = shipping.rate_options(uow, number)
    return RatingOut(
        options=[RateOptionOut.of(o) for o in found.options],
        chosen=RateOptionOut.of(found.chosen) if found.chosen else None,
        reason=found.reason,
        deliver_by=found.deliver_by,
    )


@router.post(
    "/fulfilment-orders/{number}/ship",
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(P.FULFILLMENT_SHIP)],
)
def ship(
    number: str,
    body: ShipIn,
    db: DbDep,
    gateways: GatewaysDep,
    actor: Actor,
    request: Request,
) -> ShipmentOut:
    """Ship a packed fulfilment order: tracking numbers, stock out, order on, payment
    captured for the shipped part."""
    return ShipmentOut.of(
        shipping.ship_and_capture(
            db,
            gateways,
            number,
            actor=actor,
            service=body.service,
            carrier_apis=request.app.state.carrier_apis,
        )
    )


@router.get(
    "/fulfilment-orders/{number}/packing-slip.pdf",
    dependencies=[permit(P.FULFILLMENT_VIEW)],
    response_class=Response,
)
def packing_slip(number: str, uow: ReadUow) -> Response:
    return _pdf(paperwork.packing_slip_pdf(uow, number), f"packing-slip-{number}.pdf")


@router.get("/shipments", dependencies=[permit(P.FULFILLMENT_VIEW)])
def list_shipments(
    uow: ReadUow,
    caller: Caller,
    location: Annotated[str | None, Query(max_length=64)] = None,
    status_: Annotated[ShipmentStatus | None, Query(alias="status")] = None,
) -> list[ShipmentOut]:
    found = shipping.list_shipments(
        uow, location=location, status=status_, locations_scope=caller.scope.locations
    )
    return [ShipmentOut.of(s) for s in found]


@router.get("/shipments/{number}", dependencies=[permit(P.FULFILLMENT_VIEW)])
def get_shipment(number: str, uow: ReadUow) -> ShipmentOut:
    return ShipmentOut.of(shipping.get_shipment(uow, number))


@router.get(
    "/shipments/{number}/packages/{seq}/label.pdf",
    dependencies=[permit(P.FULFILLMENT_VIEW)],
    response_class=Response,
)
def label(number: str, seq: int, uow: ReadUow) -> Response:
    """The 4 x 6 inch label of one package, with its tracking number as a Code128."""
    return _pdf(paperwork.label_pdf(uow, number, seq), f"label-{number}-{seq}.pdf")


@router.get(
    "/orders/{number}/receipt.pdf",
    dependencies=[permit(P.ORDERS_VIEW)],
    response_class=Response,
)
def receipt(number: str, uow: ReadUow) -> Response:
    return _pdf(paperwork.receipt_pdf(uow, number), f"receipt-{number}.pdf")


def _pdf(content: bytes, name: str) -> Response:
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


@router.post("/tracking-events", dependencies=[permit(P.TRACKING_RECORD)])
def record_tracking(body: TrackingIn, uow: WriteUow, actor: Actor) -> list[ShipmentOut]:
    """Carrier scans by tracking number; the same scan twice is recorded once. An unknown
    tracking number is a 404 and nothing is recorded."""
    scans = [tracking.ScanIn(**e.model_dump()) for e in body.events]
    return [
        ShipmentOut.of(s)
        for s in tracking.record_scans(uow, scans, source=body.source, actor=actor)
    ]


@router.post(
    "/fulfilment-orders/{number}/ready-for-pickup", dependencies=[permit(P.FULFILLMENT_PICK)]
)
def ready_for_pickup(number: str, uow: WriteUow, actor: Actor) -> FulfilmentOrderOut:
    return FulfilmentOrderOut.of(tracking.ready_for_pickup(uow, number, actor=actor))


@router.post("/fulfilment-orders/{number}/collect", dependencies=[permit(P.FULFILLMENT_PICK)])
def collect(number: str, body: CodeIn, uow: WriteUow, actor: Actor) -> FulfilmentOrderOut:
    """The customer collects a pickup order; a wrong code is a 403 and changes nothing."""
    return FulfilmentOrderOut.of(tracking.collect(uow, number, body.code, actor=actor))


# ---------------------------------------------------------------- settings


class BoxIo(Strict):
    code: str = Code
    name: str = Field(min_length=1, max_length=120)
    length_mm: int
    width_mm: int
    height_mm: int
    tare_g: int
    max_weight_g: int
    cost: int = Field(description="minor units of currency")
    currency: str = Field(min_length=3, max_length=3)
    is_active: bool = True


@router.get("/boxes", dependencies=[permit(P.FULFILLMENT_VIEW)])
def list_boxes(uow: ReadUow) -> list[BoxIo]:
    return [BoxIo(**b.__dict__) for b in setup.list_boxes(uow)]


@router.post(
    "/boxes", status_code=status.HTTP_201_CREATED, dependencies=[permit(P.FULFILLMENT_CONFIGURE)]
)
def create_box(body: BoxIo, uow: WriteUow) -> BoxIo:
    return BoxIo(**setup.save_box(uow, setup.BoxSpec(**body.model_dump())).__dict__)


@router.put("/boxes/{code}", dependencies=[permit(P.FULFILLMENT_CONFIGURE)])
def update_box(code: str, body: BoxIo, uow: WriteUow) -> BoxIo:
    """Change an existing one; the code in the path wins over the body's."""
    spec = setup.BoxSpec(**{**body.model_dump(), "code": code})
    return BoxIo(**setup.save_box(uow, spec, create=False).__dict__)


class CarrierIo(Strict):
    code: str = Code
    name: str = Field(min_length=1, max_length=120)
    tracking_url: str = Field(max_length=300, description="with a {tracking} placeholder")
    tracking_prefix: str = Field(min_length=2, max_length=2)
    dim_divisor: int = Field(default=5000, ge=1, le=100_000)
    is_active: bool = True
    api: str | None = Field(
        default=None, max_length=20, description="buy labels through this carrier API (shippo)"
    )


@router.get("/carriers", dependencies=[permit(P.FULFILLMENT_VIEW)])
def list_carriers(uow: ReadUow) -> list[CarrierIo]:
    return [CarrierIo(**c.__dict__) for c in setup.list_carriers(uow)]


@router.post(
    "/carriers", status_code=status.HTTP_201_CREATED, dependencies=[permit(P.FULFILLMENT_CONFIGURE)]
)
def create_carrier(body: CarrierIo, uow: WriteUow) -> CarrierIo:
    return CarrierIo(**setup.save_carrier(uow, setup.CarrierSpec(**body.model_dump())).__dict__)


@router.put("/carriers/{code}", dependencies=[permit(P.FULFILLMENT_CONFIGURE)])
def update_carrier(code: str, body: CarrierIo, uow: WriteUow) -> CarrierIo:
    """Change an existing one; the code in the path wins over the body's."""
    spec = setup.CarrierSpec(**{**body.model_dump(), "code": code})
    return CarrierIo(**setup.save_carrier(uow, spec, create=False).__dict__)


class ServiceIo(Strict):
    carrier: str = Code
    code: str = Code
    name: str = Field(min_length=1, max_length=120)
    currency: str = Field(min_length=3, max_length=3)
    zones: list[dict[str, Any]] = Field(max_length=2000)
    breaks: list[dict[str, Any]] = Field(max_length=2000)
    transit_days: dict[str, int]
    cutoff: str = Field(default="17:00", max_length=5)
    fuel_surcharge_pct: str = Field(default="0", max_length=12)
    max_weight_g: int | None = Field(default=None, ge=1)
    is_active: bool = True
    api_service: str | None = Field(
        default=None, max_length=64, description="the carrier API's name for this service"
    )


@router.get("/carrier-services", dependencies=[permit(P.FULFILLMENT_VIEW)])
def list_services(uow: ReadUow) -> list[ServiceIo]:
    return [ServiceIo(**s.__dict__) for s in setup.list_services(uow)]


@router.post(
    "/carrier-services",
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(P.FULFILLMENT_CONFIGURE)],
)
def create_service(body: ServiceIo, uow: WriteUow) -> ServiceIo:
    return ServiceIo(**setup.save_service(uow, setup.ServiceSpec(**body.model_dump())).__dict__)


@router.put("/carrier-services/{code}", dependencies=[permit(P.FULFILLMENT_CONFIGURE)])
def update_service(code: str, body: ServiceIo, uow: WriteUow) -> ServiceIo:
    """Change an existing one; the code in the path wins over the body's."""
    spec = setup.ServiceSpec(**{**body.model_dump(), "code": code})
    return ServiceIo(**setup.save_service(uow, spec, create=False).__dict__)


class LocationSettingsIo(Strict):
    pick_strategy: PickStrategy = PickStrategy.SINGLE
    batch_size: int = Field(default=8, ge=1, le=100)
    pickup_days: int = Field(default=7, ge=1, le=90)


@router.get("/locations/{code}/fulfilment-settings", dependencies=[permit(P.FULFILLMENT_VIEW)])
def get_location_settings(code: str, uow: ReadUow) -> LocationSettingsIo:
    with uow:
        found = setup.location_settings(uow, code, check=True)
    return LocationSettingsIo(
        pick_strategy=found.pick_strategy,
        batch_size=found.batch_size,
        pickup_days=found.pickup_days,
    )


@router.put("/locations/{code}/fulfilment-settings", dependencies=[permit(P.FULFILLMENT_CONFIGURE)])
def save_location_settings(
    code: str, body: LocationSettingsIo, uow: WriteUow
) -> LocationSettingsIo:
    setup.save_location_settings(
        uow, setup.LocationSettings(code, body.pick_strategy, body.batch_size, body.pickup_days)
    )
    return body


class PromiseIo(Strict):
    cutoff: str = Field(default="14:00", max_length=5)
    handling_days: int = Field(default=0, ge=0, le=30)
    delivery_days: int = Field(default=3, ge=0, le=60)
    rate_policy: rates.RatePolicy = rates.RatePolicy.CHEAPEST_ON_TIME
    follow_up_days: int = Field(default=7, ge=0, le=90, description="0: no follow-up mail")


@router.get("/channels/{code}/promise", dependencies=[permit(P.FULFILLMENT_VIEW)])
def get_promise(code: str, uow: ReadUow) -> PromiseIo:
    with uow:
        found = setup.channel_promise(uow, code, check=True)
    return PromiseIo(
        cutoff=found.cutoff,
        handling_days=found.handling_days,
        delivery_days=found.delivery_days,
        rate_policy=found.rate_policy,
        follow_up_days=found.follow_up_days,
    )


@router.put("/channels/{code}/promise", dependencies=[permit(P.FULFILLMENT_CONFIGURE)])
def save_promise(code: str, body: PromiseIo, uow: WriteUow) -> PromiseIo:
    setup.save_channel_promise(
        uow,
        setup.ChannelPromise(
            code,
            body.cutoff,
            body.handling_days,
            body.delivery_days,
            body.rate_policy,
            body.follow_up_days,
        ),
    )
    return body
