"""Moving stock between locations: requested (source reserved) → in transit → received."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from openoms.infra.db import UnitOfWork
from openoms.infra.sequences import next_number
from openoms.inventory import refs
from openoms.inventory.ledger import Ledger, Movement
from openoms.inventory.model import (
    MovementKind,
    OwnerType,
    ReservationStatus,
    StockLine,
    TransferNotFound,
    TransferStatus,
    check_transfer_transition,
    merge_lines,
)
from openoms.inventory.orm import transfer_lines, transfers
from openoms.inventory.services.reservations import (
    release_owner_in_transaction,
    reserve_in_transaction,
    ship_in_transaction,
)
from openoms.locations import services as locations
from openoms.shared import clock
from openoms.shared.errors import FieldError, ValidationFailed
from openoms.shared.events import Event


@dataclass(frozen=True)
class TransferLine:
    sku: str
    quantity: int
    quantity_received: int


@dataclass(frozen=True)
class Transfer:
    number: str
    from_location: str
    to_location: str
    status: TransferStatus
    note: str
    created_by: str
    created_at: datetime
    shipped_at: datetime | None
    received_at: datetime | None
    lines: list[TransferLine]


def create_transfer(
    uow: UnitOfWork,
    from_location: str,
    to_location: str,
    lines: list[StockLine],
    *,
    actor: str,
    note: str = "",
) -> Transfer:
    """Request a transfer; the units are reserved at the source so nobody sells them meanwhile.

    Raises: ValidationFailed, LocationNotFound, SkuNotFound, InsufficientStock.
    """
    if from_location == to_location:
        raise ValidationFailed.single("to_location", "must differ from from_location")
    merged = merge_lines([StockLine(ln.sku, ln.quantity, from_location) for ln in lines])
    with uow:
        source_id = refs.location_id(uow, from_location)
        target_id = refs.location_id(uow, to_location)
        ids = refs.sku_ids(uow, [ln.sku for ln in merged])
        number = next_number(uow.conn, "transfer", "TR")
        held = reserve_in_transaction(
            uow, merged, owner_type=OwnerType.TRANSFER, owner_ref=number, actor=actor
        )
        by_sku = {r.sku: r.id for r in held}
        transfer_id = uow.conn.execute(
            transfers.insert()
            .values(
                number=number,
                from_location_id=source_id,
                to_location_id=target_id,
                status=TransferStatus.REQUESTED.value,
                note=note,
                created_by=actor,
                created_at=clock.now(),
            )
            .returning(transfers.c.id)
        ).scalar_one()
        uow.conn.execute(
            transfer_lines.insert(),
            [
                {
                    "transfer_id": transfer_id,
                    "sku_id": ids[ln.sku],
                    "sku_code": ln.sku,
                    "quantity": ln.quantity,
                    "reservation_id": by_sku[ln.sku],
                }
                for ln in merged
            ],
        )
        uow.record(Event("transfer.requested", {"number": number}, f"transfer:{number}"))
        found = _load(uow, number)
        uow.commit()
    return found


def ship_transfer(uow: UnitOfWork, number: str, *, actor: str) -> Transfer:
    """Dispatch: the reserved units leave the source (``transfer_out``).

    Raises: TransferNotFound, IllegalTransition.
    """
    with uow:
        current = _load(uow, number, lock=True)
        check_transfer_transition(number, current.status, TransferStatus.IN_TRANSIT)
        rows = uow.conn.execute(
            sa.select(transfer_lines.c.reservation_id, transfer_lines.c.quantity)
            .select_from(transfer_lines.join(transfers))
            .where(transfers.c.number == number)
            .order_by(transfer_lines.c.sku_id)
        ).all()
        for reservation_id, quantity in rows:
            # exactly the line's quantity: what leaves is what may arrive
            ship_in_transaction(
                uow,
                reservation_id,
                quantity=quantity,
                actor=actor,
                reference=f"transfer:{number}",
                kind=MovementKind.TRANSFER_OUT,
            )
        _set_status(uow, number, TransferStatus.IN_TRANSIT, shipped_at=clock.now())
        uow.record(Event("transfer.shipped", {"number": number}, f"transfer:{number}"))
        found = _load(uow, number)
        uow.commit()
    return found


def receive_transfer(
    uow: UnitOfWork, number: str, *, actor: str, received: dict[str, int] | None = None
) -> Transfer:
    """Book the units in at the destination (``transfer_in``); less than was sent is allowed.

    ``received`` maps SKU to units that arrived; omitted means everything arrived.
    Raises: TransferNotFound, IllegalTransition, ValidationFailed.
    """
    with uow:
        current = _load(uow, number, lock=True)
        check_transfer_transition(number, current.status, TransferStatus.RECEIVED)
        arrived = _arrived(current, received)
        target = current.to_location
        target_id = refs.location_id(uow, target)
        ids = refs.sku_ids(uow, list(arrived))
        ledger = Ledger(uow.conn, actor=actor, reference=f"transfer:{number}", now=clock.now())
        for sku in sorted(arrived, key=lambda s: ids[s]):
            qty = arrived[sku]
            uow.conn.execute(
                transfer_lines.update()
                .where(
                    transfer_lines.c.transfer_id == _id(uow, number),
                    transfer_lines.c.sku_code == sku,
                )
                .values(quantity_received=qty)
            )
            if qty:
                level = ledger.add_on_hand(ids[sku], sku, target_id, target, qty)
                ledger.record(Movement(MovementKind.TRANSFER_IN, level.sku_id, target_id, qty, 0))
        ledger.flush()
        _set_status(uow, number, TransferStatus.RECEIVED, received_at=ledger.now)
        uow.record(
            Event(
                "transfer.received", {"number": number, "received": arrived}, f"transfer:{number}"
            )
        )
        found = _load(uow, number)
        uow.commit()
    return found


def cancel_transfer(uow: UnitOfWork, number: str, *, actor: str) -> Transfer:
    """Cancel a transfer not yet shipped; the source reservation is released.

    Raises: TransferNotFound, IllegalTransition.
    """
    with uow:
        current = _load(uow, number, lock=True)
        check_transfer_transition(number, current.status, TransferStatus.CANCELLED)
        release_owner_in_transaction(
            uow, OwnerType.TRANSFER, number, actor=actor, status=ReservationStatus.RELEASED
        )
        _set_status(uow, number, TransferStatus.CANCELLED)
        uow.record(Event("transfer.cancelled", {"number": number}, f"transfer:{number}"))
        found = _load(uow, number)
        uow.commit()
    return found


def get_transfer(uow: UnitOfWork, number: str) -> Transfer:
    """Raises: TransferNotFound."""
    with uow:
        return _load(uow, number)


def list_transfers(
    uow: UnitOfWork, *, status: TransferStatus | None = None, limit: int = 100
) -> list[Transfer]:
    query = sa.select(transfers.c.number).order_by(transfers.c.id.desc()).limit(limit)
    if status:
        query = query.where(transfers.c.status == status.value)
    with uow:
        return [_load(uow, n) for n in uow.conn.execute(query).scalars()]


def _arrived(current: Transfer, received: dict[str, int] | None) -> dict[str, int]:
    sent = {ln.sku: ln.quantity for ln in current.lines}
    if received is None:
        return sent
    errors = [
        FieldError(f"received.{sku}", "is not on this transfer")
        for sku in received
        if sku not in sent
    ]
    errors += [
        FieldError(f"received.{sku}", f"must be a whole number from 0 to {sent[sku]}")
        for sku, qty in received.items()
        if sku in sent
        and (isinstance(qty, bool) or not isinstance(qty, int) or not 0 <= qty <= sent[sku])
    ]
    if errors:
        raise ValidationFailed(errors)
    return {sku: received.get(sku, 0) for sku in sent}


def _id(uow: UnitOfWork, number: str) -> int:
    return int(
        uow.conn.execute(sa.select(transfers.c.id).where(transfers.c.number == number)).scalar_one()
    )


def _set_status(uow: UnitOfWork, number: str, status: TransferStatus, **values: Any) -> None:
    uow.conn.execute(
        transfers.update()
        .where(transfers.c.number == number)
        .values(status=status.value, version=transfers.c.version + 1, **values)
    )


def _load(uow: UnitOfWork, number: str, *, lock: bool = False) -> Transfer:
    query = sa.select(transfers).where(transfers.c.number == number)
    if lock and uow.dialect == "postgresql":
        query = query.with_for_update()
    row = uow.conn.execute(query).mappings().first()
    if row is None:
        raise TransferNotFound(f"No transfer {number}.", number=number)
    codes = {
        loc_id: code
        for code, loc_id in locations.location_refs_by_id(
            uow, [row["from_location_id"], row["to_location_id"]]
        ).items()
    }
    lines = uow.conn.execute(
        sa.select(transfer_lines)
        .where(transfer_lines.c.transfer_id == row["id"])
        .order_by(transfer_lines.c.sku_code)
    ).mappings()
    return Transfer(
        number=row["number"],
        from_location=codes[row["from_location_id"]],
        to_location=codes[row["to_location_id"]],
        status=TransferStatus(row["status"]),
        note=row["note"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        shipped_at=row["shipped_at"],
        received_at=row["received_at"],
        lines=[
            TransferLine(ln["sku_code"], ln["quantity"], ln["quantity_received"]) for ln in lines
        ],
    )
