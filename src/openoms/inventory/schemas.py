from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from openoms.inventory.model import AdjustmentReason, OwnerType, ReservationStatus, TransferStatus
from openoms.inventory.queries import LevelRow, MovementRow, SkuAvailability
from openoms.inventory.services.reservations import Reservation
from openoms.inventory.services.stock import LevelOut
from openoms.inventory.services.transfers import Transfer
from openoms.web.schemas import Strict

MAX_UNITS = 1_000_000_000
Quantity = Field(gt=0, le=MAX_UNITS)


class ApiOwnerType(StrEnum):
    """Who may hold a reservation made through this API; transfers reserve for themselves."""

    CART = "cart"
    ORDER_LINE = "order_line"
    MANUAL = "manual"


class ReceiptLine(Strict):
    sku: str
    quantity: int = Quantity
    bin: str | None = None


class ReceiptCreate(Strict):
    location: str
    lines: list[ReceiptLine] = Field(min_length=1, max_length=5000)
    reference: str = Field(default="", max_length=120, description="e.g. the delivery note")


class AdjustmentCreate(Strict):
    location: str
    sku: str
    quantity_delta: int = Field(
        ge=-MAX_UNITS, le=MAX_UNITS, description="positive adds, negative removes; not zero"
    )
    reason: AdjustmentReason
    bin: str | None = None
    reference: str = Field(default="", max_length=120)


class CountLineIn(Strict):
    sku: str
    counted: int = Field(ge=0, le=MAX_UNITS)
    bin: str | None = None


class CountCreate(Strict):
    location: str
    lines: list[CountLineIn] = Field(min_length=1, max_length=5000)
    reference: str = Field(default="", max_length=120)


class SafetyStockSet(Strict):
    location: str
    sku: str
    quantity: int = Field(ge=0, le=MAX_UNITS)


class RelocationCreate(Strict):
    location: str
    sku: str
    quantity: int = Quantity
    to_bin: str
    from_bin: str | None = None


class ReservationLine(Strict):
    sku: str
    quantity: int = Quantity
    location: str | None = None


class ReservationCreate(Strict):
    owner_type: ApiOwnerType = ApiOwnerType.MANUAL
    owner_ref: str = Field(min_length=1, max_length=120)
    lines: list[ReservationLine] = Field(min_length=1, max_length=500)
    ttl_seconds: int | None = Field(default=None, gt=0, le=90 * 24 * 3600)


class QuantityIn(Strict):
    quantity: int | None = Field(default=None, gt=0, le=MAX_UNITS)


class ShipIn(Strict):
    quantity: int | None = Field(default=None, gt=0, le=MAX_UNITS)
    reference: str = Field(min_length=1, max_length=120)


class TransferLineIn(Strict):
    sku: str
    quantity: int = Quantity


class TransferCreate(Strict):
    from_location: str
    to_location: str
    lines: list[TransferLineIn] = Field(min_length=1, max_length=2000)
    note: str = ""


class TransferReceive(Strict):
    received: dict[str, Annotated[int, Field(ge=0, le=MAX_UNITS)]] | None = Field(
        default=None, description="units that arrived per SKU; omit when everything arrived"
    )


class LevelOutSchema(BaseModel):
    sku: str
    location: str
    on_hand: int
    reserved: int
    safety_stock: int
    available: int

    @classmethod
    def of(cls, lv: LevelOut | LevelRow) -> LevelOutSchema:
        return cls(
            sku=lv.sku,
            location=lv.location,
            on_hand=lv.on_hand,
            reserved=lv.reserved,
            safety_stock=lv.safety_stock,
            available=lv.available,
        )


class LocationAvailabilityOut(BaseModel):
    location: str
    on_hand: int
    reserved: int
    safety_stock: int
    available: int


class AvailabilityOut(BaseModel):
    sku: str
    available: int
    on_hand: int
    reserved: int
    locations: list[LocationAvailabilityOut]

    @classmethod
    def of(cls, a: SkuAvailability) -> AvailabilityOut:
        return cls(
            sku=a.sku,
            available=a.available,
            on_hand=a.on_hand,
            reserved=a.reserved,
            locations=[LocationAvailabilityOut(**la.__dict__) for la in a.locations],
        )


class ReservationOut(BaseModel):
    id: int
    sku: str
    location: str
    quantity: int
    status: ReservationStatus
    owner_type: OwnerType
    owner_ref: str
    expires_at: datetime | None

    @classmethod
    def of(cls, r: Reservation) -> ReservationOut:
        return cls(**r.__dict__)


class MovementOut(BaseModel):
    id: int
    kind: str
    sku: str
    location: str
    bin: str | None
    on_hand_delta: int
    reserved_delta: int
    reason: str | None
    reference: str
    actor: str
    created_at: datetime

    @classmethod
    def of(cls, m: MovementRow) -> MovementOut:
        return cls(**m.__dict__)


class TransferLineOut(BaseModel):
    sku: str
    quantity: int
    quantity_received: int


class TransferOut(BaseModel):
    number: str
    from_location: str
    to_location: str
    status: TransferStatus
    note: str
    created_by: str
    created_at: datetime
    shipped_at: datetime | None
    received_at: datetime | None
    lines: list[TransferLineOut]

    @classmethod
    def of(cls, t: Transfer) -> TransferOut:
        data = dict(t.__dict__)
        data["lines"] = [TransferLineOut(**ln.__dict__) for ln in t.lines]
        return cls(**data)


class DriftOut(BaseModel):
    what: str
    sku: str
    location: str
    field: str
    stored: int
    expected: int
