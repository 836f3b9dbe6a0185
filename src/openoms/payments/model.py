"""Payments: what a gateway is asked, what it answers, and the errors of impossible calls.

Pure: no framework. Amounts are ``Money`` (integer minor units), never floats. Card data
never goes further than a gateway's ``tokenize``: the rest of the system sees a token, the
brand, the last four digits and the expiry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from openoms.shared.errors import Conflict, NotFound, OmsError, ValidationFailed
from openoms.shared.money import Money


class AuthorizationStatus(StrEnum):
    AUTHORIZED = "authorized"
    PARTIALLY_CAPTURED = "partially_captured"
    CAPTURED = "captured"
    VOIDED = "voided"
    EXPIRED = "expired"
    DECLINED = "declined"


class CheckResult(StrEnum):
    """What the issuer said of the address (AVS) or the security code (CVC)."""

    PASS = "pass"
    FAIL = "fail"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class CardToken:
    """A card as the rest of the system may keep it."""

    token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    fingerprint: str  # the same card gives the same fingerprint (fraud velocity rules)


@dataclass(frozen=True)
class Authorization:
    """A gateway's answer to an authorization: approved (with a reference) or declined."""

    reference: str | None
    amount: Money
    approved: bool
    decline_code: str | None = None
    message: str = ""
    avs: CheckResult = CheckResult.UNAVAILABLE
    cvc: CheckResult = CheckResult.UNAVAILABLE
    expires_at: datetime | None = None


@dataclass(frozen=True)
class GatewayPayment:
    """What the gateway holds for one authorization."""

    reference: str
    status: AuthorizationStatus
    authorized: Money
    captured: Money
    refunded: Money
    expires_at: datetime

    @property
    def capturable(self) -> Money:
        if self.status in (AuthorizationStatus.VOIDED, AuthorizationStatus.EXPIRED):
            return Money(0, self.authorized.currency)
        return self.authorized - self.captured

    @property
    def refundable(self) -> Money:
        return self.captured - self.refunded


class InvalidCard(ValidationFailed):
    code = "invalid_card"
    title = "Card details are not valid"


class PaymentDeclined(Conflict):
    code = "payment_declined"
    title = "Payment declined"


class ImpossiblePaymentCall(Conflict):
    """A call no gateway would accept: capture more than authorized, refund more than
    captured, capture after void or expiry, a different request under a used key."""

    code = "impossible_payment_call"
    title = "Payment call refused"


class UnknownPayment(OmsError):
    code = "unknown_payment"
    kind = "not_found"
    title = "Payment not found at the gateway"


class GatewayUnavailable(OmsError):
    """The gateway could not be reached or answered with a server error. Nothing is known
    to have happened: the same call may be retried with the same idempotency key."""

    code = "gateway_unavailable"
    kind = "unavailable"
    title = "Payment gateway unavailable"


class GatewayMisconfigured(OmsError):
    """The gateway refused this installation's credentials or permissions (a wrong, revoked
    or restricted key): an operator must fix the settings; retrying does not help."""

    code = "gateway_misconfigured"
    kind = "unavailable"
    title = "Payment gateway misconfigured"


class Gateway(Protocol):
    """What the payments service asks of any card or wallet gateway.

    Every call that changes money takes an idempotency key: the same key with the same
    request must never move money twice (gateways keep keys for at least 24 hours).
    A decline is an answer (``Authorization.approved`` false), not an error.

    ``token`` is what the shop's checkout obtained from the provider: a saved card token
    (test gateway), a Stripe PaymentMethod id, or an approved PayPal order id. The returned
    ``reference`` is what later calls name the payment by.

    Errors: UnknownPayment, ImpossiblePaymentCall (refused by the gateway's rules),
    GatewayUnavailable (network error, timeout, 5xx: retry with the same key).
    """

    name: str

    def authorize(self, token: str, amount: Money, *, idempotency_key: str) -> Authorization: ...

    def capture(self, reference: str, amount: Money, *, idempotency_key: str) -> GatewayPayment: ...

    def void(self, reference: str, *, idempotency_key: str) -> GatewayPayment: ...

    def refund(self, reference: str, amount: Money, *, idempotency_key: str) -> GatewayPayment: ...

    def status(self, reference: str) -> GatewayPayment: ...


# --- payments as the order management system keeps them ----------------------------------


class PaymentMethod(StrEnum):
    CARD = "card"  # through a card gateway (test card, Stripe)
    PAYPAL = "paypal"
    GIFT_CARD = "gift_card"  # a gift card or store credit: its balance pays
    BANK_TRANSFER = "bank_transfer"  # awaiting funds until a statement line matches
    CASH_ON_DELIVERY = "cash_on_delivery"  # collected by the driver or the store
    INVOICE = "invoice"  # B2B, on payment terms

    @property
    def online(self) -> bool:
        """Taken through a gateway (authorize, capture, void, refund there)."""
        return self in (PaymentMethod.CARD, PaymentMethod.PAYPAL, PaymentMethod.GIFT_CARD)


class PaymentState(StrEnum):
    """One payment's state, as the system knows it."""

    PENDING = "pending"  # recorded; the gateway has not answered yet
    AUTHORIZED = "authorized"
    PARTIALLY_CAPTURED = "partially_captured"
    CAPTURED = "captured"
    AWAITING_FUNDS = "awaiting_funds"  # offline: bank transfer, cash on delivery, invoice
    PARTIALLY_PAID = "partially_paid"  # offline: part of it received
    PAID = "paid"  # offline: all of it received
    VOIDED = "voided"
    FAILED = "failed"  # declined, or refused by the gateway


class TransactionKind(StrEnum):
    AUTHORIZATION = "authorization"
    CAPTURE = "capture"  # also money received for an offline method
    VOID = "void"
    REFUND = "refund"


class TransactionStatus(StrEnum):
    PENDING = "pending"  # asked; the answer is not recorded yet (a retry asks again)
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class CapturePolicy(StrEnum):
    """When a channel's card payments are captured."""

    AT_SHIPMENT = "at_shipment"  # authorize at placement, capture per shipment
    AT_PLACEMENT = "at_placement"  # capture at once


class OrderPaymentStatus(StrEnum):
    UNPAID = "unpaid"
    AUTHORIZED = "authorized"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    FAILED = "failed"


@dataclass(frozen=True)
class PaymentAmounts:
    """What one payment holds, in minor units of the order's currency."""

    state: PaymentState
    authorized: int  # for offline methods: the amount expected
    captured: int  # money received
    refunded: int


def order_payment_status(total: int, payments: list[PaymentAmounts]) -> OrderPaymentStatus:
    """The order's payment status, derived from its payments alone.

    Money received less money given back decides: anything refunded makes it (partially)
    refunded; else received ≥ total is paid, some received is partially paid; else a live
    authorization is authorized; else a failed attempt with nothing better is failed.
    """
    captured = sum(p.captured for p in payments)
    refunded = sum(p.refunded for p in payments)
    if refunded > 0:
        return (
            OrderPaymentStatus.REFUNDED
            if refunded >= captured
            else OrderPaymentStatus.PARTIALLY_REFUNDED
        )
    if captured > 0:
        return OrderPaymentStatus.PAID if captured >= total else OrderPaymentStatus.PARTIALLY_PAID
    live = (PaymentState.AUTHORIZED, PaymentState.PARTIALLY_CAPTURED)
    if any(p.state in live and p.authorized > p.captured for p in payments):
        return OrderPaymentStatus.AUTHORIZED
    if payments and all(p.state in (PaymentState.FAILED, PaymentState.VOIDED) for p in payments):
        return (
            OrderPaymentStatus.FAILED
            if any(p.state is PaymentState.FAILED for p in payments)
            else OrderPaymentStatus.UNPAID
        )
    return OrderPaymentStatus.UNPAID


class PaymentNotFound(NotFound):
    code = "payment_not_found"
    title = "Payment not found"


class PaymentNotAllowed(Conflict):
    """A payment action the payment's method or state does not allow (capture a bank
    transfer through a gateway, refund more than was received, …)."""

    code = "payment_not_allowed"
    title = "Not allowed for this payment"
