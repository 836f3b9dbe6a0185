"""Payments: what a gateway is asked, what it answers, and the errors of impossible calls.

Pure: no framework. Amounts are ``Money`` (integer minor units), never floats. Card data
never goes further than a gateway's ``tokenize``: the rest of the system sees a token, the
brand, the last four digits and the expiry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from openoms.shared.errors import Conflict, OmsError, ValidationFailed
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
