"""Moving money: authorize, capture, void, refund, and money received for offline methods.

A gateway call never runs inside a database transaction. Each movement is three steps:

1. one transaction reserves the amount on the payment row with a guarded update (what is
   captured and being captured never exceeds what was authorized; what is refunded and
   being refunded never exceeds what was captured: the database checks it too) and writes
   the movement as a *pending* transaction with a fresh idempotency key;
2. the gateway is called with that key;
3. a second transaction records the answer, moves the totals, derives the order's payment
   status again, writes the timeline and the event.

Two captures or refunds racing therefore cannot take more than there is, whichever
database. If the process stops between 1 and 3, or the gateway cannot be reached, the
movement stays pending and :func:`settle_pending` asks the gateway again with the same key,
so nothing is ever taken twice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from openoms.infra.db import Database, UnitOfWork
from openoms.orders.queries import load_order, order_id_of
from openoms.payments.gateways import Gateways
from openoms.payments.giftcards import normalize_code
from openoms.payments.model import (
    Authorization,
    CardToken,
    GatewayPayment,
    GatewayUnavailable,
    ImpossiblePaymentCall,
    PaymentMethod,
    PaymentNotAllowed,
    PaymentState,
    TransactionKind,
    TransactionStatus,
    UnknownPayment,
)
from openoms.payments.orm import payment_transactions, payments
from openoms.payments.services.records import (
    Payment,
    Transaction,
    insert_transaction,
    load_payment,
    payment_event,
    payments_of,
    refresh_order,
    settle_transaction,
)
from openoms.shared import clock
from openoms.shared.errors import FieldError, ValidationFailed
from openoms.shared.money import Money

_p = payments.c
_t = payment_transactions.c

# States in which a payment still covers (part of) the order.
LIVE = (
    PaymentState.PENDING,
    PaymentState.AUTHORIZED,
    PaymentState.PARTIALLY_CAPTURED,
    PaymentState.CAPTURED,
    PaymentState.AWAITING_FUNDS,
    PaymentState.PARTIALLY_PAID,
    PaymentState.PAID,
)


@dataclass(frozen=True)
class PaymentInput:
    method: PaymentMethod
    gateway: str | None = None  # None: the method's default gateway
    token: str | None = None  # from the provider's checkout (online methods)
    amount: int | None = None  # minor units; None: what the order still needs
    card: CardToken | None = None  # brand, last 4, expiry, fingerprint (never the number)


def input_errors(data: PaymentInput) -> list[FieldError]:
    errors = []
    if data.method.online and not (data.token or "").strip():
        errors.append(FieldError("payment.token", f"{data.method.value} payments need a token"))
    if not data.method.online and data.token:
        errors.append(FieldError("payment.token", f"{data.method.value} payments take no token"))
    if not data.method.online and data.gateway:
        errors.append(FieldError("payment.gateway", f"{data.method.value} payments use no gateway"))
    if data.amount is not None and data.amount <= 0:
        errors.append(FieldError("payment.amount", "must be greater than zero"))
    return errors


# --- starting a payment ------------------------------------------------------------------


def start_payment(
    db: Database, gateways: Gateways, number: str, data: PaymentInput, *, actor: str
) -> Payment:
    """Record a payment for an order and, for an online method, authorize it.

    A decline is recorded (the payment fails; see ``order_payments`` for the hold), not
    raised. Raises: ValidationFailed, OrderNotFound, PaymentNotAllowed (nothing left to
    pay, a cancelled order).
    """
    errors = input_errors(data)
    if errors:
        raise ValidationFailed(errors)
    gateway = gateways.for_method(data.method, data.gateway) if data.method.online else None
    card = data.card
    if card is None and gateway == "test_card" and gateways.test_card is not None:
        card = gateways.test_card.card(data.token or "")
    if gateway == "gift_card":
        code = normalize_code(data.token or "")
        data = replace(data, token=code)
        card = CardToken(code, "gift card", code[-4:], 0, 0, "")
    with db.uow() as uow:
        order = load_order(uow, order_id_of(uow, number))
        if order.status.value == "cancelled":
            raise PaymentNotAllowed(f"Order {number} is cancelled.", number=number)
        covered = sum(
            p.authorized or p.amount for p in payments_of(uow, order.id) if p.state in LIVE
        )
        amount = data.amount if data.amount is not None else order.total_amount - covered
        if amount <= 0 or covered + amount > order.total_amount:
            left = Money(max(0, order.total_amount - covered), order.currency)
            raise PaymentNotAllowed(
                f"Order {number} needs {left.format()} more; a payment of "
                f"{Money(max(amount, 0), order.currency).format()} does not fit.",
                number=number,
                needed=left.amount_minor,
            )
        now = clock.now()
        offline = not data.method.online
        payment_id = uow.conn.execute(
            payments.insert()
            .values(
                order_id=order.id,
                method=data.method.value,
                gateway=gateway,
                token=data.token,
                card_brand=card.brand if card else None,
                card_last4=card.last4 if card else None,
                card_exp_month=card.exp_month if card and card.exp_month else None,
                card_exp_year=card.exp_year if card and card.exp_year else None,
                card_fingerprint=card.fingerprint if card and card.fingerprint else None,
                currency=order.currency,
                amount=amount,
                authorized_amount=amount if offline else 0,
                state=(PaymentState.AWAITING_FUNDS if offline else PaymentState.PENDING).value,
                created_at=now,
                updated_at=now,
            )
            .returning(_p.id)
        ).scalar_one()
        payment = load_payment(uow, payment_id)
        txn = None
        if offline:
            refresh_order(
                uow,
                order.id,
                actor=actor,
                text=f"Awaiting {payment.describe()} of {payment.money(amount).format()}",
                data={"payment_id": payment_id, "method": data.method.value, "amount": amount},
            )
        else:
            txn = insert_transaction(
                uow, payment, TransactionKind.AUTHORIZATION, amount, actor=actor
            )
        uow.commit()
    if txn is not None:
        return _authorize(db, gateways, payment, txn[0], txn[1], actor=actor)
    return _reload(db, payment_id)


def _authorize(
    db: Database, gateways: Gateways, payment: Payment, txn_id: int, key: str, *, actor: str
) -> Payment:
    gateway = gateways.get(payment.gateway or "")
    money = payment.money(payment.amount)
    try:
        answer = gateway.authorize(payment.token or "", money, idempotency_key=key)
    except GatewayUnavailable:
        return _reload(db, payment.id)  # stays pending; the worker asks again
    except (ImpossiblePaymentCall, UnknownPayment) as e:
        answer = Authorization(None, money, approved=False, decline_code=e.code, message=e.detail)
    with db.uow() as uow:
        current = load_payment(uow, payment.id)
        if current.state is not PaymentState.PENDING:
            return current  # answered meanwhile (the worker's retry)
        _record_authorization(uow, current, txn_id, answer, actor=actor)
        uow.commit()
    return _reload(db, payment.id)


def _record_authorization(
    uow: UnitOfWork, payment: Payment, txn_id: int, answer: Authorization, *, actor: str
) -> None:
    money = payment.money(payment.amount)
    values: dict[str, Any] = {
        "avs": answer.avs.value,
        "cvc": answer.cvc.value,
        "message": answer.message,
        "updated_at": clock.now(),
        "version": _p.version + 1,
    }
    if answer.approved:
        values.update(
            state=PaymentState.AUTHORIZED.value,
            reference=answer.reference,
            authorized_amount=answer.amount.amount_minor,
            expires_at=answer.expires_at,
        )
        settle_transaction(
            uow,
            txn_id,
            TransactionStatus.SUCCEEDED,
            gateway_reference=answer.reference,
            message=answer.message,
        )
        text = f"Authorized {money.format()} on {payment.describe()}"
        event = payment_event("payment.authorized", payment, payment.amount)
    else:
        values.update(state=PaymentState.FAILED.value, decline_code=answer.decline_code)
        settle_transaction(
            uow,
            txn_id,
            TransactionStatus.FAILED,
            error_code=answer.decline_code,
            message=answer.message,
        )
        text = (
            f"Payment of {money.format()} on {payment.describe()} failed: "
            f"{answer.message or answer.decline_code}"
        )
        event = payment_event(
            "payment.failed",
            payment,
            payment.amount,
            decline_code=answer.decline_code,
            message=answer.message,
        )
    uow.conn.execute(payments.update().where(_p.id == payment.id).values(**values))
    refresh_order(
        uow,
        payment.order_id,
        actor=actor,
        text=text,
        data={
            "payment_id": payment.id,
            "transaction": "authorization",
            "amount": payment.amount,
            "approved": answer.approved,
            "decline_code": answer.decline_code,
            "avs": answer.avs.value,
            "cvc": answer.cvc.value,
        },
        event=event,
    )


# --- capture -----------------------------------------------------------------------------


def capture(
    db: Database,
    gateways: Gateways,
    payment_id: int,
    amount: int | None,
    *,
    actor: str,
    reason: str = "",
) -> Payment:
    """Take ``amount`` (None: all that is left) of an authorization, or record money
    received for an offline method (bank transfer, cash on delivery, invoice).

    Raises: PaymentNotFound, PaymentNotAllowed (more than is left, wrong state),
    ImpossiblePaymentCall (refused by the gateway), GatewayUnavailable (the capture stays
    pending and is asked again by the worker).
    """
    with db.uow() as uow:
        payment = load_payment(uow, payment_id)
        take = payment.capturable if amount is None else amount
        if take <= 0:
            raise PaymentNotAllowed(
                f"Nothing is left to capture on payment {payment_id} ({payment.state.value}).",
                payment_id=payment_id,
            )
        _reserve(
            uow,
            payment,
            _p.capture_pending,
            take,
            guard=_p.captured_amount + _p.capture_pending + take <= _p.authorized_amount,
            states=(
                PaymentState.AUTHORIZED,
                PaymentState.PARTIALLY_CAPTURED,
                PaymentState.AWAITING_FUNDS,
                PaymentState.PARTIALLY_PAID,
            ),
            refusal=lambda p: (
                f"Cannot capture {p.money(take).format()}: "
                f"{p.money(max(p.capturable, 0)).format()} is left on payment {p.id}."
            ),
        )
        txn_id, key = insert_transaction(
            uow, payment, TransactionKind.CAPTURE, take, actor=actor, reason=reason
        )
        if not payment.method.online:
            _settle_capture(uow, payment.id, txn_id, take, None, actor=actor)
            uow.commit()
            return _reload(db, payment_id)
        uow.commit()
    return _call_capture(db, gateways, payment, txn_id, key, take, actor=actor)


def _call_capture(
    db: Database,
    gateways: Gateways,
    payment: Payment,
    txn_id: int,
    key: str,
    take: int,
    *,
    actor: str,
) -> Payment:
    gateway = gateways.get(payment.gateway or "")
    try:
        answer = gateway.capture(payment.reference or "", payment.money(take), idempotency_key=key)
    except (ImpossiblePaymentCall, UnknownPayment) as e:
        _fail(db, payment, txn_id, _p.capture_pending, take, e.code, e.detail, actor=actor)
        raise
    with db.uow() as uow:
        if _still_pending(uow, txn_id):
            _settle_capture(uow, payment.id, txn_id, take, answer, actor=actor)
            uow.commit()
    return _reload(db, payment.id)


def _settle_capture(
    uow: UnitOfWork,
    payment_id: int,
    txn_id: int,
    take: int,
    answer: GatewayPayment | None,
    *,
    actor: str,
) -> None:
    uow.conn.execute(
        payments.update()
        .where(_p.id == payment_id)
        .values(
            capture_pending=_p.capture_pending - take,
            captured_amount=_p.captured_amount + take,
            updated_at=clock.now(),
            version=_p.version + 1,
        )
    )
    payment = load_payment(uow, payment_id)
    full = payment.captured >= payment.authorized
    if payment.method.online:
        state = PaymentState.CAPTURED if full else PaymentState.PARTIALLY_CAPTURED
    else:
        state = PaymentState.PAID if full else PaymentState.PARTIALLY_PAID
    uow.conn.execute(payments.update().where(_p.id == payment_id).values(state=state.value))
    settle_transaction(
        uow,
        txn_id,
        TransactionStatus.SUCCEEDED,
        gateway_reference=answer.reference if answer else None,
    )
    verb = "Captured" if payment.method.online else "Received"
    refresh_order(
        uow,
        payment.order_id,
        actor=actor,
        text=f"{verb} {payment.money(take).format()} on {payment.describe()}",
        data={"payment_id": payment_id, "transaction": "capture", "amount": take},
        event=payment_event("payment.captured", payment, take, captured_total=payment.captured),
    )


def receive_in_transaction(
    uow: UnitOfWork, payment_id: int, amount: int, *, actor: str, reason: str = ""
) -> Payment:
    """Money received for an offline method (bank transfer, cash on delivery, invoice),
    inside the caller's transaction: an invoice payment, a bank statement line.

    Raises: PaymentNotFound, PaymentNotAllowed (an online method, more than is awaited).
    """
    payment = load_payment(uow, payment_id)
    if payment.method.online:
        raise PaymentNotAllowed(
            f"Payment {payment_id} is taken through {payment.gateway}; capture it there.",
            payment_id=payment_id,
        )
    _reserve(
        uow,
        payment,
        _p.capture_pending,
        amount,
        guard=_p.captured_amount + _p.capture_pending + amount <= _p.authorized_amount,
        states=(PaymentState.AWAITING_FUNDS, PaymentState.PARTIALLY_PAID),
        refusal=lambda p: (
            f"Cannot record {p.money(amount).format()}: "
            f"{p.money(max(p.capturable, 0)).format()} is awaited on payment {p.id}."
        ),
    )
    txn_id, _ = insert_transaction(
        uow, payment, TransactionKind.CAPTURE, amount, actor=actor, reason=reason
    )
    _settle_capture(uow, payment.id, txn_id, amount, None, actor=actor)
    return load_payment(uow, payment_id)


def outstanding_on_terms(uow: UnitOfWork, order_ids: sa.Select[Any]) -> int:
    """What the orders (a select of order ids) still owe on payment terms (method
    ``invoice``): expected and not received, in minor units of their currency."""
    owed = uow.conn.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(_p.authorized_amount - _p.captured_amount), 0)
        ).where(
            _p.order_id.in_(order_ids.scalar_subquery()),
            _p.method == PaymentMethod.INVOICE.value,
            _p.state.in_([PaymentState.AWAITING_FUNDS.value, PaymentState.PARTIALLY_PAID.value]),
        )
    ).scalar_one()
    return int(owed)


# --- void --------------------------------------------------------------------------------


def void(
    db: Database, gateways: Gateways, payment_id: int, *, actor: str, reason: str = ""
) -> Payment:
    """Release what is authorized and not captured; for an offline method, stop waiting for
    the money. Raises: PaymentNotFound, PaymentNotAllowed, ImpossiblePaymentCall,
    GatewayUnavailable."""
    with db.uow() as uow:
        payment = load_payment(uow, payment_id)
        if payment.method.online and not payment.voidable:
            raise PaymentNotAllowed(
                f"Payment {payment_id} is {payment.state.value}; "
                + ("refund it instead." if payment.captured else "there is nothing to void."),
                payment_id=payment_id,
            )
        release = payment.authorized - payment.captured
        offline_open = (PaymentState.AWAITING_FUNDS, PaymentState.PARTIALLY_PAID)
        if not payment.method.online and payment.state not in offline_open:
            raise PaymentNotAllowed(
                f"Payment {payment_id} is {payment.state.value}; there is nothing to void.",
                payment_id=payment_id,
            )
        # Lower the authorization to what is captured: no capture can start any more.
        result = uow.conn.execute(
            payments.update()
            .where(
                _p.id == payment_id,
                _p.version == _version(uow, payment_id),
                _p.capture_pending == 0,
                _p.authorized_amount == payment.authorized,
            )
            .values(
                authorized_amount=_p.captured_amount,
                updated_at=clock.now(),
                version=_p.version + 1,
            )
        )
        if result.rowcount != 1:
            raise PaymentNotAllowed(
                f"Payment {payment_id} is being captured or changed meanwhile; try again.",
                payment_id=payment_id,
            )
        txn_id, key = insert_transaction(
            uow, payment, TransactionKind.VOID, release, actor=actor, reason=reason
        )
        if not payment.method.online:
            _settle_void(uow, payment_id, txn_id, release, actor=actor)
            uow.commit()
            return _reload(db, payment_id)
        uow.commit()
    return _call_void(db, gateways, payment, txn_id, key, release, actor=actor)


def _call_void(
    db: Database,
    gateways: Gateways,
    payment: Payment,
    txn_id: int,
    key: str,
    release: int,
    *,
    actor: str,
) -> Payment:
    gateway = gateways.get(payment.gateway or "")
    try:
        gateway.void(payment.reference or "", idempotency_key=key)
    except (ImpossiblePaymentCall, UnknownPayment) as e:
        _fail(db, payment, txn_id, _p.authorized_amount, -release, e.code, e.detail, actor=actor)
        raise
    with db.uow() as uow:
        if _still_pending(uow, txn_id):
            _settle_void(uow, payment.id, txn_id, release, actor=actor)
            uow.commit()
    return _reload(db, payment.id)


def _settle_void(
    uow: UnitOfWork, payment_id: int, txn_id: int, release: int, *, actor: str
) -> None:
    payment = load_payment(uow, payment_id)
    if payment.captured == 0:
        state = PaymentState.VOIDED
    else:
        state = PaymentState.CAPTURED if payment.method.online else PaymentState.PAID
    uow.conn.execute(payments.update().where(_p.id == payment_id).values(state=state.value))
    settle_transaction(uow, txn_id, TransactionStatus.SUCCEEDED)
    refresh_order(
        uow,
        payment.order_id,
        actor=actor,
        text=f"Voided {payment.money(release).format()} on {payment.describe()}",
        data={"payment_id": payment_id, "transaction": "void", "amount": release},
        event=payment_event("payment.voided", payment, release),
    )


# --- refund ------------------------------------------------------------------------------


def refund(
    db: Database,
    gateways: Gateways,
    payment_id: int,
    amount: int | None,
    *,
    actor: str,
    reason: str = "",
) -> Payment:
    """Give back ``amount`` (None: all that is refundable) of what was captured. For an
    offline method the refund is recorded as paid out by the merchant.

    Raises: PaymentNotFound, PaymentNotAllowed (more than is refundable),
    ImpossiblePaymentCall, GatewayUnavailable (stays pending; the worker asks again).
    """
    with db.uow() as uow:
        payment = load_payment(uow, payment_id)
        give = payment.refundable if amount is None else amount
        if give <= 0:
            raise PaymentNotAllowed(
                f"Nothing is refundable on payment {payment_id}.", payment_id=payment_id
            )
        _reserve(
            uow,
            payment,
            _p.refund_pending,
            give,
            guard=_p.refunded_amount + _p.refund_pending + give <= _p.captured_amount,
            states=None,
            refusal=lambda p: (
                f"Cannot refund {p.money(give).format()}: "
                f"{p.money(max(p.refundable, 0)).format()} of payment {p.id} is refundable."
            ),
        )
        txn_id, key = insert_transaction(
            uow, payment, TransactionKind.REFUND, give, actor=actor, reason=reason
        )
        if not payment.method.online:
            _settle_refund(uow, payment.id, txn_id, give, None, actor=actor)
            uow.commit()
            return _reload(db, payment_id)
        uow.commit()
    return _call_refund(db, gateways, payment, txn_id, key, give, actor=actor)


def _call_refund(
    db: Database,
    gateways: Gateways,
    payment: Payment,
    txn_id: int,
    key: str,
    give: int,
    *,
    actor: str,
) -> Payment:
    gateway = gateways.get(payment.gateway or "")
    try:
        answer = gateway.refund(payment.reference or "", payment.money(give), idempotency_key=key)
    except (ImpossiblePaymentCall, UnknownPayment) as e:
        _fail(db, payment, txn_id, _p.refund_pending, give, e.code, e.detail, actor=actor)
        raise
    with db.uow() as uow:
        if _still_pending(uow, txn_id):
            _settle_refund(uow, payment.id, txn_id, give, answer, actor=actor)
            uow.commit()
    return _reload(db, payment.id)


def _settle_refund(
    uow: UnitOfWork,
    payment_id: int,
    txn_id: int,
    give: int,
    answer: GatewayPayment | None,
    *,
    actor: str,
) -> None:
    uow.conn.execute(
        payments.update()
        .where(_p.id == payment_id)
        .values(
            refund_pending=_p.refund_pending - give,
            refunded_amount=_p.refunded_amount + give,
            updated_at=clock.now(),
            version=_p.version + 1,
        )
    )
    settle_transaction(
        uow,
        txn_id,
        TransactionStatus.SUCCEEDED,
        gateway_reference=answer.reference if answer else None,
    )
    payment = load_payment(uow, payment_id)
    refresh_order(
        uow,
        payment.order_id,
        actor=actor,
        text=f"Refunded {payment.money(give).format()} on {payment.describe()}",
        data={"payment_id": payment_id, "transaction": "refund", "amount": give},
        event=payment_event("payment.refunded", payment, give, refunded_total=payment.refunded),
    )


# --- pending movements -------------------------------------------------------------------

PENDING_AFTER = timedelta(seconds=30)  # younger ones may still be answered by their caller


def settle_pending(db: Database, gateways: Gateways, *, limit: int = 50) -> int:
    """Ask the gateway again, with the same idempotency key, about every movement left
    pending (the process stopped, or the gateway could not be reached). Returns how many
    were answered."""
    cutoff = clock.now() - PENDING_AFTER
    with db.reader() as uow:
        rows = uow.conn.execute(
            sa.select(_t.id, _t.payment_id)
            .where(_t.status == TransactionStatus.PENDING.value, _t.created_at < cutoff)
            .order_by(_t.id)
            .limit(limit)
        ).all()
    done = 0
    for txn_id, payment_id in rows:
        with db.reader() as uow:
            payment = load_payment(uow, payment_id)
        txn = next(t for t in payment.transactions if t.id == txn_id)
        try:
            _retry(db, gateways, payment, txn)
        except (GatewayUnavailable, ImpossiblePaymentCall, UnknownPayment, ValidationFailed):
            continue  # still unreachable, or recorded as failed
        done += 1
    return done


def _retry(db: Database, gateways: Gateways, payment: Payment, txn: Transaction) -> None:
    actor = "system:payments"
    if txn.kind is TransactionKind.AUTHORIZATION:
        after = _authorize(db, gateways, payment, txn.id, txn.idempotency_key, actor=actor)
        if after.state is PaymentState.PENDING:
            raise GatewayUnavailable("still no answer")
    elif txn.kind is TransactionKind.CAPTURE:
        _call_capture(db, gateways, payment, txn.id, txn.idempotency_key, txn.amount, actor=actor)
    elif txn.kind is TransactionKind.VOID:
        _call_void(db, gateways, payment, txn.id, txn.idempotency_key, txn.amount, actor=actor)
    else:
        _call_refund(db, gateways, payment, txn.id, txn.idempotency_key, txn.amount, actor=actor)


# --- helpers -----------------------------------------------------------------------------


def _reserve(
    uow: UnitOfWork,
    payment: Payment,
    column: sa.Column[Any],
    amount: int,
    *,
    guard: sa.ColumnElement[bool],
    states: tuple[PaymentState, ...] | None,
    refusal: Any,
) -> None:
    """Raise ``column`` by ``amount`` if the guard holds on the row as it is now (on
    PostgreSQL a concurrent update is waited for and the guard checked again).

    Raises: PaymentNotAllowed.
    """
    where = [_p.id == payment.id, guard]
    if states is not None:
        where.append(_p.state.in_([s.value for s in states]))
    result = uow.conn.execute(
        payments.update().where(*where).values({column: column + amount, "updated_at": clock.now()})
    )
    if result.rowcount != 1:
        now = load_payment(uow, payment.id)
        raise PaymentNotAllowed(refusal(now), payment_id=payment.id, state=now.state.value)


def _fail(
    db: Database,
    payment: Payment,
    txn_id: int,
    column: sa.Column[Any],
    amount: int,
    code: str,
    message: str,
    *,
    actor: str,
) -> None:
    """The gateway refused: give back what step 1 reserved and record why."""
    with db.uow() as uow:
        if not _still_pending(uow, txn_id):
            return
        uow.conn.execute(
            payments.update()
            .where(_p.id == payment.id)
            .values({column: column - amount, "updated_at": clock.now()})
        )
        settle_transaction(uow, txn_id, TransactionStatus.FAILED, error_code=code, message=message)
        refresh_order(
            uow,
            payment.order_id,
            actor=actor,
            text=f"The gateway refused a movement on {payment.describe()}: {message}",
            data={"payment_id": payment.id, "transaction_id": txn_id, "error": code},
        )
        uow.commit()


def _still_pending(uow: UnitOfWork, txn_id: int) -> bool:
    status = uow.conn.execute(
        sa.select(_t.status).where(_t.id == txn_id).with_for_update()
    ).scalar()
    return status == TransactionStatus.PENDING.value


def _version(uow: UnitOfWork, payment_id: int) -> int:
    return int(uow.conn.execute(sa.select(_p.version).where(_p.id == payment_id)).scalar_one())


def _reload(db: Database, payment_id: int) -> Payment:
    with db.reader() as uow:
        return load_payment(uow, payment_id)
