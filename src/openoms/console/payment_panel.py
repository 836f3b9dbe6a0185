"""What the order page shows of money: each payment with its transactions and the actions
the user may take on it now, what is still to cover, and the order's fraud screening.

Only reading and presenting: the payments services decide, and refuse what is not allowed.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from openoms.identity.model import Permission as P
from openoms.identity.model import Principal
from openoms.orders.model import HoldReason, Order, OrderStatus
from openoms.orders.queries import order_id_of
from openoms.payments.gateways import Gateways
from openoms.payments.model import PaymentMethod, PaymentState
from openoms.payments.services import screening
from openoms.payments.services.operations import LIVE
from openoms.payments.services.records import Payment, payments_of
from openoms.payments.services.screening import Review
from openoms.shared.errors import ValidationFailed

# Offline payments still waiting for (part of) their money: money can be recorded as
# received, or the wait stopped (void).
AWAITING = (PaymentState.AWAITING_FUNDS, PaymentState.PARTIALLY_PAID)
# What staff add to an order by hand (phone orders: mostly bank transfer or cash on delivery).
ADDABLE = (PaymentMethod.BANK_TRANSFER, PaymentMethod.CASH_ON_DELIVERY, PaymentMethod.CARD)


@dataclass(frozen=True)
class PaymentView:
    payment: Payment
    can_capture: bool  # a card or wallet authorization with something left to capture
    can_receive: bool  # an offline method waiting for money
    can_void: bool
    can_refund: bool

    @property
    def label(self) -> str:
        return self.payment.describe()

    @property
    def capturable(self) -> int:
        return max(self.payment.capturable, 0)

    @property
    def refundable(self) -> int:
        return max(self.payment.refundable, 0)

    @property
    def capture_default(self) -> str:
        """What is capturable, as the amount field shows it ("30.00")."""
        return str(self.payment.money(self.capturable).amount)

    @property
    def refund_max(self) -> str:
        return str(self.payment.money(self.refundable).amount)

    @property
    def pending(self) -> bool:
        """A movement waits for the gateway's answer."""
        return any(t.status.value == "pending" for t in self.payment.transactions)


@dataclass(frozen=True)
class PaymentsPanel:
    payments: list[PaymentView]
    uncovered: int  # what no live payment covers yet, in minor units
    can_add: bool
    methods: list[PaymentMethod]


def payments_panel(request: Request, me: Principal, order: Order) -> PaymentsPanel:
    db = request.app.state.db
    with db.reader() as uow:
        found = payments_of(uow, order_id_of(uow, order.number))
    capture, refund = me.can(P.PAYMENTS_CAPTURE), me.can(P.PAYMENTS_REFUND)
    views = [
        PaymentView(
            payment=p,
            can_capture=capture and p.method.online and p.capturable > 0,
            can_receive=capture and not p.method.online and p.state in AWAITING,
            can_void=capture and (p.voidable or (not p.method.online and p.state in AWAITING)),
            can_refund=refund and p.refundable > 0,
        )
        for p in found
    ]
    covered = sum(p.authorized or p.amount for p in found if p.state in LIVE)
    uncovered = max(order.total_amount - covered, 0)
    open_order = order.status is not OrderStatus.CANCELLED
    return PaymentsPanel(
        payments=views,
        uncovered=uncovered,
        can_add=me.can(P.ORDERS_EDIT) and open_order and uncovered > 0,
        methods=addable_methods(request.app.state.gateways),
    )


def addable_methods(gateways: Gateways) -> list[PaymentMethod]:
    """The methods staff may add here: card only when a card gateway is configured."""
    methods = []
    for method in ADDABLE:
        if method.online:
            try:
                gateways.for_method(method, None)
            except ValidationFailed:
                continue
        methods.append(method)
    return methods


def fraud_review(request: Request, order: Order) -> Review | None:
    """The screening an order waits on, when it is held for fraud review."""
    if order.status is not OrderStatus.ON_HOLD or order.hold_reason != HoldReason.FRAUD:
        return None
    return screening.review_of(request.app.state.db.reader(), order.number)
