"""Reading and writing payment rows: the payment's view, its transactions, and the order's
derived payment status."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from openoms.infra.db import UnitOfWork
from openoms.orders import lifecycle
from openoms.orders.queries import load_order
from openoms.payments.model import (
    PaymentAmounts,
    PaymentMethod,
    PaymentNotFound,
    PaymentState,
    TransactionKind,
    TransactionStatus,
    order_payment_status,
)
from openoms.payments.orm import payment_transactions, payments
from openoms.shared import clock
from openoms.shared.events import Event
from openoms.shared.money import Money

_p = payments.c
_t = payment_transactions.c


@dataclass(frozen=True)
class Transaction:
    id: int
    kind: TransactionKind
    status: TransactionStatus
    amount: int
    currency: str
    idempotency_key: str
    gateway_reference: str | None
    error_code: str | None
    message: str
    reason: str
    actor: str
    created_at: datetime
    settled_at: datetime | None


@dataclass(frozen=True)
class Payment:
    id: int
    order_id: int
    order_number: str
    method: PaymentMethod
    gateway: str | None
    token: str | None
    reference: str | None
    card_brand: str | None
    card_last4: str | None
    card_exp_month: int | None
    card_exp_year: int | None
    card_fingerprint: str | None
    currency: str
    amount: int
    authorized: int
    captured: int
    capture_pending: int
    refunded: int
    refund_pending: int
    state: PaymentState
    decline_code: str | None
    message: str
    avs: str | None
    cvc: str | None
    expires_at: datetime | None
    created_at: datetime
    transactions: list[Transaction]

    @property
    def capturable(self) -> int:
        if self.state not in (
            PaymentState.AUTHORIZED,
            PaymentState.PARTIALLY_CAPTURED,
            PaymentState.AWAITING_FUNDS,
            PaymentState.PARTIALLY_PAID,
        ):
            return 0
        return self.authorized - self.captured - self.capture_pending

    @property
    def refundable(self) -> int:
        return self.captured - self.refunded - self.refund_pending

    @property
    def voidable(self) -> bool:
        return (
            self.method.online
            and self.state in (PaymentState.AUTHORIZED, PaymentState.PARTIALLY_CAPTURED)
            and self.capture_pending == 0
            and self.authorized > self.captured
        )

    def describe(self) -> str:
        """How people name the payment: "visa •••• 4242", "bank transfer"."""
        if self.card_last4:
            return f"{self.card_brand or 'card'} •••• {self.card_last4}"
        return self.method.value.replace("_", " ")

    def money(self, amount: int) -> Money:
        return Money(amount, self.currency)


def load_payment(uow: UnitOfWork, payment_id: int) -> Payment:
    """Raises: PaymentNotFound."""
    row = uow.conn.execute(sa.select(payments).where(_p.id == payment_id)).first()
    if row is None:
        raise PaymentNotFound(f"No payment {payment_id}.", id=payment_id)
    return _payment(uow, row)


def payments_of(uow: UnitOfWork, order_id: int) -> list[Payment]:
    rows = uow.conn.execute(sa.select(payments).where(_p.order_id == order_id).order_by(_p.id))
    return [_payment(uow, r) for r in rows]


def _payment(uow: UnitOfWork, row: Row[Any]) -> Payment:
    from openoms.orders.orm import orders

    number = uow.conn.execute(sa.select(orders.c.number).where(orders.c.id == row.order_id))
    txns = uow.conn.execute(
        sa.select(payment_transactions).where(_t.payment_id == row.id).order_by(_t.id)
    )
    return Payment(
        id=row.id,
        order_id=row.order_id,
        order_number=str(number.scalar()),
        method=PaymentMethod(row.method),
        gateway=row.gateway,
        token=row.token,
        reference=row.reference,
        card_brand=row.card_brand,
        card_last4=row.card_last4,
        card_exp_month=row.card_exp_month,
        card_exp_year=row.card_exp_year,
        card_fingerprint=row.card_fingerprint,
        currency=row.currency,
        amount=row.amount,
        authorized=row.authorized_amount,
        captured=row.captured_amount,
        capture_pending=row.capture_pending,
        refunded=row.refunded_amount,
        refund_pending=row.refund_pending,
        state=PaymentState(row.state),
        decline_code=row.decline_code,
        message=row.message,
        avs=row.avs,
        cvc=row.cvc,
        expires_at=row.expires_at,
        created_at=row.created_at,
        transactions=[
            Transaction(
                t.id,
                TransactionKind(t.kind),
                TransactionStatus(t.status),
                t.amount,
                t.currency,
                t.idempotency_key,
                t.gateway_reference,
                t.error_code,
                t.message,
                t.reason,
                t.actor,
                t.created_at,
                t.settled_at,
            )
            for t in txns
        ],
    )


def insert_transaction(
    uow: UnitOfWork,
    payment: Payment,
    kind: TransactionKind,
    amount: int,
    *,
    actor: str,
    reason: str = "",
    key: str | None = None,
    status: TransactionStatus = TransactionStatus.PENDING,
) -> tuple[int, str]:
    """A new transaction row with its own idempotency key (the gateway is asked with it,
    again and again until it answers). Returns (id, key)."""
    now = clock.now()
    key = key or f"oms-{uuid.uuid4().hex}"
    new_id = uow.conn.execute(
        payment_transactions.insert()
        .values(
            payment_id=payment.id,
            order_id=payment.order_id,
            kind=kind.value,
            status=status.value,
            amount=amount,
            currency=payment.currency,
            idempotency_key=key,
            actor=actor,
            reason=reason,
            created_at=now,
            settled_at=now if status is not TransactionStatus.PENDING else None,
        )
        .returning(_t.id)
    ).scalar_one()
    return int(new_id), key


def settle_transaction(
    uow: UnitOfWork,
    txn_id: int,
    status: TransactionStatus,
    *,
    gateway_reference: str | None = None,
    error_code: str | None = None,
    message: str = "",
) -> None:
    uow.conn.execute(
        payment_transactions.update()
        .where(_t.id == txn_id)
        .values(
            status=status.value,
            gateway_reference=gateway_reference,
            error_code=error_code,
            message=message,
            settled_at=clock.now(),
        )
    )


def refresh_order(
    uow: UnitOfWork,
    order_id: int,
    *,
    actor: str,
    text: str,
    data: dict[str, Any],
    event: Event | None = None,
) -> str:
    """Derive the order's payment status again and note the fact on its timeline.
    Returns the new payment status."""
    order = load_order(uow, order_id)
    amounts = [
        PaymentAmounts(p.state, p.authorized, p.captured, p.refunded)
        for p in payments_of(uow, order_id)
    ]
    status = order_payment_status(order.total_amount, amounts).value
    lifecycle.set_payment_status(
        uow, order_id, status, actor=actor, text=text, data={**data, "payment_status": status}
    )
    if event is not None:
        uow.record(event)
    return status


def payment_event(name: str, payment: Payment, amount: int, **extra: Any) -> Event:
    return Event(
        name,
        {
            "order": payment.order_number,
            "payment_id": payment.id,
            "method": payment.method.value,
            "gateway": payment.gateway,
            "amount": amount,
            "currency": payment.currency,
            **extra,
        },
        f"order:{payment.order_number}",
    )
