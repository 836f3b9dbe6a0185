"""Stock rules: levels, the movements that explain them, reservations and transfers."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from openoms.shared.errors import Conflict, FieldError, NotFound, ValidationFailed
from openoms.shared.lifecycle import check_transition


class MovementKind(StrEnum):
    RECEIPT = "receipt"
    ADJUSTMENT = "adjustment"
    RESERVATION = "reservation"
    RELEASE = "release"
    SHIPMENT = "shipment"
    RETURN = "return"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    COUNT = "count"
    RELOCATION = "relocation"


class AdjustmentReason(StrEnum):
    DAMAGED = "damaged"
    LOST = "lost"
    FOUND = "found"
    EXPIRED = "expired"
    THEFT = "theft"
    CORRECTION = "correction"
    SHORT_PICK = "short_pick"
    WRITE_OFF = "write_off"
    OTHER = "other"


class OwnerType(StrEnum):
    CART = "cart"
    ORDER_LINE = "order_line"
    TRANSFER = "transfer"
    MANUAL = "manual"


class ReservationStatus(StrEnum):
    ACTIVE = "active"
    RELEASED = "released"
    EXPIRED = "expired"
    CONSUMED = "consumed"


class TransferStatus(StrEnum):
    REQUESTED = "requested"
    IN_TRANSIT = "in_transit"
    RECEIVED = "received"
    CANCELLED = "cancelled"


TRANSFER_TRANSITIONS: dict[TransferStatus, frozenset[TransferStatus]] = {
    TransferStatus.REQUESTED: frozenset({TransferStatus.IN_TRANSIT, TransferStatus.CANCELLED}),
    TransferStatus.IN_TRANSIT: frozenset({TransferStatus.RECEIVED}),
    TransferStatus.RECEIVED: frozenset(),
    TransferStatus.CANCELLED: frozenset(),
}


@dataclass(frozen=True)
class Shortage:
    sku: str
    location: str | None
    requested: int
    available: int


class InsufficientStock(Conflict):
    """Raised once for a whole request, listing every line that could not be covered."""

    code = "insufficient_stock"
    title = "Insufficient stock"

    def __init__(self, shortages: list[Shortage]) -> None:
        lines = ", ".join(
            f"{s.sku}{' at ' + s.location if s.location else ''}: "
            f"requested {s.requested}, available {s.available}"
            for s in shortages
        )
        super().__init__(
            f"Not enough stock for {lines}.", shortages=[s.__dict__ for s in shortages]
        )
        self.shortages = shortages


class StockBelowReserved(Conflict):
    code = "stock_below_reserved"
    title = "Stock would fall below what is reserved"


class ReservationNotFound(NotFound):
    code = "reservation_not_found"
    title = "Reservation not found"


class ReservationNotActive(Conflict):
    code = "reservation_not_active"
    title = "Reservation is no longer active"


class ReservationManagedElsewhere(Conflict):
    code = "reservation_managed_elsewhere"
    title = "Reservation belongs to another document"


class TransferNotFound(NotFound):
    code = "transfer_not_found"
    title = "Transfer not found"


def check_transfer_transition(number: str, current: TransferStatus, target: TransferStatus) -> None:
    """Raises: IllegalTransition."""
    check_transition(TRANSFER_TRANSITIONS, f"Transfer {number}", current, target)


@dataclass
class StockLevel:
    """The stored level of one SKU at one location."""

    on_hand: int
    reserved: int
    safety_stock: int = 0

    @property
    def available(self) -> int:
        """What may be promised: never below zero."""
        return max(0, self.on_hand - self.reserved - self.safety_stock)

    def can_apply(self, on_hand_delta: int, reserved_delta: int) -> bool:
        """The rule every conditional UPDATE encodes (see the ledger's guard)."""
        on_hand = self.on_hand + on_hand_delta
        reserved = self.reserved + reserved_delta
        if on_hand < 0 or reserved < 0 or reserved > on_hand:
            return False
        return not (reserved_delta > 0 and on_hand - reserved - self.safety_stock < 0)

    def apply(self, on_hand_delta: int, reserved_delta: int) -> None:
        if not self.can_apply(on_hand_delta, reserved_delta):
            raise ValueError("stock rule broken")
        self.on_hand += on_hand_delta
        self.reserved += reserved_delta


@dataclass(frozen=True)
class StockLine:
    """One SKU and quantity in a request (optionally at a location or bin)."""

    sku: str
    quantity: int
    location: str | None = None
    bin: str | None = None


def merge_lines(lines: list[StockLine], field: str = "lines") -> list[StockLine]:
    """Validate quantities and merge duplicates, keeping first-seen order.

    Raises: ValidationFailed naming each bad line.
    """
    errors = [
        FieldError(f"{field}[{i}].quantity", "must be a whole number greater than zero")
        for i, line in enumerate(lines)
        if isinstance(line.quantity, bool)
        or not isinstance(line.quantity, int)
        or line.quantity <= 0
    ]
    if not lines:
        errors.append(FieldError(field, "give at least one line"))
    if errors:
        raise ValidationFailed(errors)
    merged: dict[tuple[str, str | None, str | None], int] = {}
    for line in lines:
        key = (line.sku, line.location, line.bin)
        merged[key] = merged.get(key, 0) + line.quantity
    return [StockLine(s, q, loc, b) for (s, loc, b), q in merged.items()]
