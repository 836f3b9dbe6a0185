"""Inventory API: availability, levels, the ledger, receipts, adjustments, counts,
reservations and transfers."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, status

from openoms.identity.model import Permission as P
from openoms.infra.db import Database
from openoms.inventory import queries
from openoms.inventory.model import (
    MovementKind,
    OwnerType,
    ReservationStatus,
    StockLine,
    TransferStatus,
)
from openoms.inventory.schemas import (
    AdjustmentCreate,
    AvailabilityOut,
    CountCreate,
    DriftOut,
    LevelOutSchema,
    MovementOut,
    QuantityIn,
    ReceiptCreate,
    RelocationCreate,
    ReservationCreate,
    ReservationOut,
    SafetyStockSet,
    ShipIn,
    TransferCreate,
    TransferOut,
    TransferReceive,
)
from openoms.inventory.services import reservations, stock, transfers
from openoms.inventory.services.stock import CountLine
from openoms.inventory.verify import verify_ledger
from openoms.web.auth import permit
from openoms.web.deps import Actor, Caller, ReadUow, WriteUow, works_at
from openoms.web.schemas import Page

router = APIRouter(tags=["inventory"])


@router.get("/inventory/availability", dependencies=[permit(P.INVENTORY_VIEW)])
def availability(
    uow: ReadUow,
    sku: Annotated[list[str], Query(description="repeat, or separate with commas; up to 500")],
    location: Annotated[list[str] | None, Query()] = None,
) -> list[AvailabilityOut]:
    codes = [c.strip() for value in sku for c in value.split(",") if c.strip()]
    found = queries.availability(uow, codes, location)
    return [AvailabilityOut.of(a) for a in found]


@router.get("/inventory/levels", dependencies=[permit(P.INVENTORY_VIEW)])
def list_levels(
    uow: ReadUow,
    caller: Caller,
    location: str | None = None,
    sku: str | None = None,
    low: Annotated[bool, Query(description="only levels at or below safety stock")] = False,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Page[LevelOutSchema]:
    items, next_cursor = queries.list_levels(
        uow,
        location=location,
        sku=sku,
        low_only=low,
        cursor=cursor,
        limit=limit,
        within=caller.scope.locations,
    )
    return Page(items=[LevelOutSchema.of(i) for i in items], next_cursor=next_cursor)


@router.get("/inventory/movements", dependencies=[permit(P.INVENTORY_VIEW)])
def list_movements(
    uow: ReadUow,
    caller: Caller,
    sku: str | None = None,
    location: str | None = None,
    kind: MovementKind | None = None,
    reference: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Page[MovementOut]:
    items, next_cursor = queries.list_movements(
        uow,
        sku=sku,
        location=location,
        kind=kind.value if kind else None,
        reference=reference,
        cursor=cursor,
        limit=limit,
        within=caller.scope.locations,
    )
    return Page(items=[MovementOut.of(m) for m in items], next_cursor=next_cursor)


@router.get("/inventory/verify", dependencies=[permit(P.INVENTORY_VIEW)])
def verify(uow: ReadUow) -> list[DriftOut]:
    """Every difference between stored levels and the ledger; empty when all is well."""
    return [DriftOut(**d.__dict__) for d in verify_ledger(uow)]


@router.post(
    "/inventory/receipts",
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(P.INVENTORY_ADJUST)],
)
def receive(body: ReceiptCreate, uow: WriteUow, caller: Caller) -> list[LevelOutSchema]:
    works_at(caller, body.location)
    actor = caller.actor
    lines = [StockLine(ln.sku, ln.quantity, body.location, ln.bin) for ln in body.lines]
    levels = stock.receive_stock(uow, body.location, lines, reference=body.reference, actor=actor)
    return [LevelOutSchema.of(lv) for lv in levels]


@router.post(
    "/inventory/adjustments",
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(P.INVENTORY_ADJUST)],
)
def adjust(body: AdjustmentCreate, uow: WriteUow, caller: Caller) -> LevelOutSchema:
    works_at(caller, body.location)
    actor = caller.actor
    level = stock.adjust_stock(
        uow,
        body.location,
        body.sku,
        body.quantity_delta,
        body.reason,
        actor=actor,
        bin_code=body.bin,
        reference=body.reference,
    )
    return LevelOutSchema.of(level)


@router.post(
    "/inventory/counts",
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(P.INVENTORY_ADJUST)],
)
def count(body: CountCreate, uow: WriteUow, caller: Caller) -> list[LevelOutSchema]:
    works_at(caller, body.location)
    actor = caller.actor
    lines = [CountLine(ln.sku, ln.counted, ln.bin) for ln in body.lines]
    levels = stock.record_count(uow, body.location, lines, actor=actor, reference=body.reference)
    return [LevelOutSchema.of(lv) for lv in levels]


@router.put("/inventory/safety-stock", dependencies=[permit(P.INVENTORY_ADJUST)])
def set_safety_stock(body: SafetyStockSet, uow: WriteUow, caller: Caller) -> LevelOutSchema:
    works_at(caller, body.location)
    actor = caller.actor
    return LevelOutSchema.of(
        stock.set_safety_stock(uow, body.location, body.sku, body.quantity, actor=actor)
    )


@router.post(
    "/inventory/relocations",
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(P.INVENTORY_ADJUST)],
)
def relocate(body: RelocationCreate, uow: WriteUow, caller: Caller) -> LevelOutSchema:
    works_at(caller, body.location)
    actor = caller.actor
    return LevelOutSchema.of(
        stock.relocate_stock(
            uow,
            body.location,
            body.sku,
            body.quantity,
            to_bin=body.to_bin,
            from_bin=body.from_bin,
            actor=actor,
        )
    )


@router.post(
    "/inventory/reservations",
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(P.INVENTORY_RESERVE)],
)
def reserve(body: ReservationCreate, uow: WriteUow, actor: Actor) -> list[ReservationOut]:
    lines = [StockLine(ln.sku, ln.quantity, ln.location) for ln in body.lines]
    ttl = timedelta(seconds=body.ttl_seconds) if body.ttl_seconds else None
    made = reservations.reserve_stock(
        uow,
        lines,
        owner_type=OwnerType(body.owner_type.value),
        owner_ref=body.owner_ref,
        actor=actor,
        ttl=ttl,
    )
    return [ReservationOut.of(r) for r in made]


@router.get("/inventory/reservations", dependencies=[permit(P.INVENTORY_VIEW)])
def list_reservations(
    uow: ReadUow,
    owner_type: OwnerType | None = None,
    owner_ref: str | None = None,
    status_: Annotated[ReservationStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[ReservationOut]:
    found = reservations.list_reservations(
        uow, owner_type=owner_type, owner_ref=owner_ref, status=status_, limit=limit
    )
    return [ReservationOut.of(r) for r in found]


ReservationId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get("/inventory/reservations/{reservation_id}", dependencies=[permit(P.INVENTORY_VIEW)])
def get_reservation(reservation_id: ReservationId, uow: ReadUow) -> ReservationOut:
    return ReservationOut.of(reservations.get_reservation(uow, reservation_id))


@router.post(
    "/inventory/reservations/{reservation_id}/release", dependencies=[permit(P.INVENTORY_RESERVE)]
)
def release(
    reservation_id: ReservationId, uow: WriteUow, actor: Actor, body: QuantityIn | None = None
) -> ReservationOut:
    quantity = body.quantity if body else None
    return ReservationOut.of(
        reservations.release_reservation(uow, reservation_id, actor=actor, quantity=quantity)
    )


@router.post(
    "/inventory/reservations/{reservation_id}/ship", dependencies=[permit(P.FULFILLMENT_SHIP)]
)
def ship(
    reservation_id: ReservationId, body: ShipIn, uow: WriteUow, actor: Actor
) -> ReservationOut:
    return ReservationOut.of(
        reservations.ship_reservation(
            uow, reservation_id, actor=actor, reference=body.reference, quantity=body.quantity
        )
    )


@router.post(
    "/transfers", status_code=status.HTTP_201_CREATED, dependencies=[permit(P.INVENTORY_TRANSFER)]
)
def create_transfer(body: TransferCreate, uow: WriteUow, caller: Caller) -> TransferOut:
    works_at(caller, body.from_location, body.to_location)
    actor = caller.actor
    lines = [StockLine(ln.sku, ln.quantity) for ln in body.lines]
    return TransferOut.of(
        transfers.create_transfer(
            uow, body.from_location, body.to_location, lines, actor=actor, note=body.note
        )
    )


@router.get("/transfers", dependencies=[permit(P.INVENTORY_VIEW)])
def list_transfers(
    uow: ReadUow, status_: Annotated[TransferStatus | None, Query(alias="status")] = None
) -> list[TransferOut]:
    return [TransferOut.of(t) for t in transfers.list_transfers(uow, status=status_)]


@router.get("/transfers/{number}", dependencies=[permit(P.INVENTORY_VIEW)])
def get_transfer(number: str, uow: ReadUow) -> TransferOut:
    return TransferOut.of(transfers.get_transfer(uow, number))


@router.post("/transfers/{number}/ship", dependencies=[permit(P.INVENTORY_TRANSFER)])
def ship_transfer(number: str, request: Request, uow: WriteUow, caller: Caller) -> TransferOut:
    works_at(caller, _transfer(request, number).from_location)
    actor = caller.actor
    return TransferOut.of(transfers.ship_transfer(uow, number, actor=actor))


@router.post("/transfers/{number}/receive", dependencies=[permit(P.INVENTORY_TRANSFER)])
def receive_transfer(
    number: str,
    request: Request,
    uow: WriteUow,
    caller: Caller,
    body: TransferReceive | None = None,
) -> TransferOut:
    works_at(caller, _transfer(request, number).to_location)
    actor = caller.actor
    received = body.received if body else None
    return TransferOut.of(transfers.receive_transfer(uow, number, actor=actor, received=received))


@router.post("/transfers/{number}/cancel", dependencies=[permit(P.INVENTORY_TRANSFER)])
def cancel_transfer(number: str, request: Request, uow: WriteUow, caller: Caller) -> TransferOut:
    found = _transfer(request, number)
    works_at(caller, found.from_location, found.to_location)
    actor = caller.actor
    return TransferOut.of(transfers.cancel_transfer(uow, number, actor=actor))


def _transfer(request: Request, number: str) -> transfers.Transfer:
    """The transfer, read apart, to check where the caller may work. Raises: TransferNotFound."""
    db: Database = request.app.state.db
    return transfers.get_transfer(db.reader(), number)
