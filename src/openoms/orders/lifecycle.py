"""Moving an order through its state machine after placement: hold, release, cancel, notes.

Every change takes the order row with its version (optimistic lock), checks the transition
against the declared table, writes the new state and a timeline event, and emits an event,
all in one transaction.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from openoms.infra.db import UnitOfWork
from openoms.inventory.services import reservations as inventory
from openoms.orders.allocation import stock_owner
from openoms.orders.model import (
    RELEASED_BY,
    HoldNotReleasable,
    HoldReason,
    IllegalOrderTransition,
    Order,
    OrderStatus,
    check_order_transition,
)
from openoms.orders.orm import order_events, order_lines, orders
from openoms.orders.queries import load_order, order_id_of
from openoms.shared import clock
from openoms.shared.errors import Conflict, ValidationFailed
from openoms.shared.events import Event

_o = orders.c


class OrderChangedMeanwhile(Conflict):
    code = "order_changed"
    title = "Order changed meanwhile"


def hold_order(
    uow: UnitOfWork, number: str, reason: HoldReason, *, actor: str, note: str = ""
) -> Order:
    """Stop an order from moving on until released.

    Raises: OrderNotFound, IllegalOrderTransition.
    """
    with uow:
        order = load_by_number(uow, number)
        hold_in_transaction(uow, order, reason, actor=actor, note=note)
        found = load_order(uow, order.id)
        uow.commit()
    return found


def hold_in_transaction(
    uow: UnitOfWork, order: Order, reason: HoldReason, *, actor: str, note: str = ""
) -> None:
    """For other domains inside their unit of work (a declined payment, a fraud review).

    Raises: IllegalOrderTransition.
    """
    check_order_transition(order.number, order.status, OrderStatus.ON_HOLD)
    move(
        uow,
        order,
        OrderStatus.ON_HOLD,
        actor=actor,
        reason=note or reason.value,
        values={"hold_reason": reason.value, "status_before_hold": order.status.value},
        data={"hold_reason": reason.value},
    )


def release_hold(
    uow: UnitOfWork,
    number: str,
    *,
    actor: str,
    note: str = "",
    permissions: frozenset[str] | None = None,
) -> Order:
    """Let a held order go on from where it was held. With ``permissions`` (the caller's),
    a hold that needs a permission to release (``RELEASED_BY``) is refused without it.

    Raises: OrderNotFound, IllegalOrderTransition, HoldNotReleasable.
    """
    with uow:
        order = load_by_number(uow, number)
        needed = RELEASED_BY.get(HoldReason(order.hold_reason)) if order.hold_reason else None
        if permissions is not None and needed is not None and needed not in permissions:
            where = "the fraud review" if order.hold_reason == HoldReason.FRAUD else "finance"
            raise HoldNotReleasable(
                f"Order {number} is held for {order.hold_reason}; it is released by {where} "
                f"(permission {needed}).",
                number=number,
                permission=needed,
            )
        release_in_transaction(uow, order, actor=actor, note=note)
        found = load_order(uow, order.id)
        uow.commit()
    return found


def release_in_transaction(uow: UnitOfWork, order: Order, *, actor: str, note: str = "") -> None:
    """Raises: IllegalOrderTransition (not on hold)."""
    if order.status is not OrderStatus.ON_HOLD:
        raise IllegalOrderTransition(
            f"Order {order.number} is {order.status.value}, not on hold.",
            current=order.status.value,
            target="released",
        )
    before = uow.conn.execute(sa.select(_o.status_before_hold).where(_o.id == order.id)).scalar()
    target = OrderStatus(before or OrderStatus.CONFIRMED.value)
    move(
        uow,
        order,
        target,
        actor=actor,
        reason=note or "hold released",
        values={"hold_reason": None, "status_before_hold": None},
        data={},
    )


def cancel_order(uow: UnitOfWork, number: str, *, actor: str, reason: str) -> Order:
    """Cancel everything not yet shipped; reserved stock goes back. Payments are settled by
    the payments service afterwards (voided or refunded).

    Raises: OrderNotFound, IllegalOrderTransition, ValidationFailed (no reason).
    """
    if not reason.strip():
        raise ValidationFailed.single("reason", "say why the order is cancelled")
    with uow:
        order = load_by_number(uow, number)
        cancel_in_transaction(uow, order, actor=actor, reason=reason)
        found = load_order(uow, order.id)
        uow.commit()
    return found


def cancel_in_transaction(uow: UnitOfWork, order: Order, *, actor: str, reason: str) -> None:
    """Raises: IllegalOrderTransition."""
    check_order_transition(order.number, order.status, OrderStatus.CANCELLED)
    inventory.release_owner_in_transaction(uow, *stock_owner(order.id), actor=actor)
    uow.conn.execute(
        order_lines.update()
        .where(order_lines.c.order_id == order.id)
        .values(
            quantity_cancelled=order_lines.c.quantity_ordered - order_lines.c.quantity_shipped,
            quantity_allocated=0,
            quantity_backordered=0,
        )
    )
    move(
        uow,
        order,
        OrderStatus.CANCELLED,
        actor=actor,
        reason=reason,
        values={"hold_reason": None},
        data={},
    )
    uow.record(
        Event(
            "order.cancelled", {"number": order.number, "reason": reason}, f"order:{order.number}"
        )
    )


def set_payment_status(
    uow: UnitOfWork, order_id: int, status: str, *, actor: str, text: str, data: dict[str, Any]
) -> None:
    """Record a payment fact on the order: its derived payment status and a timeline entry.

    The payment status is not part of the order's state machine (it is derived from the
    payments), so the order's version is left alone: an edit in progress is not disturbed.
    """
    uow.conn.execute(
        orders.update()
        .where(_o.id == order_id)
        .values(payment_status=status, updated_at=clock.now())
    )
    write_event(uow, order_id, actor, "payment", None, None, text, data)


def add_note(uow: UnitOfWork, number: str, text: str, *, actor: str) -> Order:
    """Raises: OrderNotFound, ValidationFailed."""
    if not text.strip():
        raise ValidationFailed.single("text", "a note needs some text")
    with uow:
        order = load_by_number(uow, number)
        write_event(uow, order.id, actor, "note", None, None, text, {})
        found = load_order(uow, order.id)
        uow.commit()
    return found


def load_by_number(uow: UnitOfWork, number: str) -> Order:
    return load_order(uow, order_id_of(uow, number))


def move(
    uow: UnitOfWork,
    order: Order,
    target: OrderStatus,
    *,
    actor: str,
    reason: str,
    values: dict[str, Any],
    data: dict[str, Any],
) -> None:
    result = uow.conn.execute(
        orders.update()
        .where(_o.id == order.id, _o.version == order.version)
        .values(status=target.value, version=_o.version + 1, updated_at=clock.now(), **values)
    )
    if result.rowcount != 1:
        raise OrderChangedMeanwhile(
            f"Order {order.number} changed meanwhile; reload it.", number=order.number
        )
    write_event(uow, order.id, actor, "status_changed", order.status, target, reason, data)
    uow.record(
        Event(
            "order.status_changed",
            {
                "number": order.number,
                "from": order.status.value,
                "to": target.value,
                "reason": reason,
            },
            f"order:{order.number}",
        )
    )


def write_event(
    uow: UnitOfWork,
    order_id: int,
    actor: str,
    kind: str,
    before: OrderStatus | None,
    after: OrderStatus | None,
    reason: str | None,
    data: dict[str, Any],
    *,
    later: bool = False,
) -> None:
    """Append a timeline event; ``later``: queued with the unit of work's other rows that
    nothing reads back in the transaction (``UnitOfWork.insert_later``)."""
    row = {
        "order_id": order_id,
        "at": clock.now(),
        "actor": actor,
        "kind": kind,
        "from_status": before.value if before else None,
        "to_status": after.value if after else None,
        "reason": reason,
        "data": data,
    }
    if later:
        uow.insert_later(order_events, row)
    else:
        uow.conn.execute(_EVENT, row)


_EVENT = order_events.insert()
