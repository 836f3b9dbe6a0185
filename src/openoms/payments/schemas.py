"""Payments API shapes. Amounts are decimal strings in the order's currency."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field, IPvAnyAddress

from openoms.payments.giftcards import GiftCard
from openoms.payments.model import CardToken, PaymentMethod
from openoms.payments.services.operations import PaymentInput
from openoms.payments.services.records import Payment, Transaction
from openoms.payments.services.screening import Client
from openoms.payments.testcard import CardInput
from openoms.shared.errors import ValidationFailed
from openoms.shared.money import Money
from openoms.web.schemas import MoneyOut, Strict


def parse_amount(text: str | None, currency: str, field: str) -> int | None:
    """Raises: ValidationFailed."""
    if text is None:
        return None
    return Money.parse(text, currency, field=field).amount_minor


class CardIn(Strict):
    """Card details as the shop's checkout has them (for the token only; never stored)."""

    brand: str = Field(min_length=1, max_length=20, examples=["visa"])
    last4: str = Field(pattern=r"^[0-9]{4}$", examples=["4242"])
    exp_month: int = Field(ge=1, le=12)
    exp_year: int = Field(ge=2000, le=2100)
    fingerprint: str = Field(min_length=1, max_length=64)


class PaymentIn(Strict):
    method: PaymentMethod = Field(examples=["card"])
    gateway: str | None = Field(
        default=None, max_length=20, description="omit for the method's default gateway"
    )
    token: str | None = Field(
        default=None,
        max_length=120,
        description="card or wallet token from the provider's checkout (card, paypal)",
    )
    amount: str | None = Field(
        default=None, examples=["49.90"], description="omit for what the order still needs"
    )
    card: CardIn | None = Field(default=None, description="what the provider told the shop")

    def to_input(self, currency: str, field: str = "payment") -> PaymentInput:
        try:
            amount = parse_amount(self.amount, currency, f"{field}.amount")
        except ValidationFailed as e:
            raise ValidationFailed(e.errors, e.detail) from None
        card = CardToken(token=self.token or "", **self.card.model_dump()) if self.card else None
        return PaymentInput(self.method, self.gateway, self.token, amount, card)


class ClientIn(Strict):
    """Where the order came from, for fraud screening."""

    ip: IPvAnyAddress | None = Field(default=None, examples=["203.0.113.7"])
    device_id: str | None = Field(default=None, min_length=1, max_length=120)

    def to_client(self) -> Client:
        return Client(str(self.ip) if self.ip else None, self.device_id)


class TestCardIn(Strict):
    __test__ = False
    number: str = Field(min_length=12, max_length=30, examples=["4242 4242 4242 4242"])
    exp_month: int
    exp_year: int
    cvc: str = Field(min_length=1, max_length=4)

    def to_input(self) -> CardInput:
        return CardInput(self.number, self.exp_month, self.exp_year, self.cvc)


class CardTokenOut(BaseModel):
    token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    fingerprint: str

    @classmethod
    def of(cls, card: CardToken) -> CardTokenOut:
        return cls(**card.__dict__)


class AmountIn(Strict):
    amount: str | None = Field(default=None, examples=["10.00"], description="omit for all")
    reason: str = Field(default="", max_length=2000)


class VoidIn(Strict):
    reason: str = Field(default="", max_length=2000)


class TransactionOut(BaseModel):
    id: int
    kind: str
    status: str
    amount: MoneyOut
    gateway_reference: str | None
    error_code: str | None
    message: str
    reason: str
    actor: str
    created_at: datetime
    settled_at: datetime | None

    @classmethod
    def of(cls, t: Transaction) -> TransactionOut:
        return cls(
            id=t.id,
            kind=t.kind.value,
            status=t.status.value,
            amount=MoneyOut.of(Money(t.amount, t.currency)),
            gateway_reference=t.gateway_reference,
            error_code=t.error_code,
            message=t.message,
            reason=t.reason,
            actor=t.actor,
            created_at=t.created_at,
            settled_at=t.settled_at,
        )


class PaymentOut(BaseModel):
    id: int
    order: str
    method: str
    gateway: str | None
    reference: str | None
    state: str
    card: dict[str, str | int | None] | None
    amount: MoneyOut
    authorized: MoneyOut
    captured: MoneyOut
    refunded: MoneyOut
    capturable: MoneyOut
    refundable: MoneyOut
    pending: bool = Field(description="a movement waits for the gateway's answer")
    decline_code: str | None
    message: str
    avs: str | None
    cvc: str | None
    expires_at: datetime | None
    created_at: datetime
    transactions: list[TransactionOut]

    @classmethod
    def of(cls, p: Payment) -> PaymentOut:
        def m(amount: int) -> MoneyOut:
            return MoneyOut.of(p.money(amount))

        card = (
            {
                "brand": p.card_brand,
                "last4": p.card_last4,
                "exp_month": p.card_exp_month,
                "exp_year": p.card_exp_year,
            }
            if p.card_last4
            else None
        )
        return cls(
            id=p.id,
            order=p.order_number,
            method=p.method.value,
            gateway=p.gateway,
            reference=p.reference,
            state=p.state.value,
            card=card,
            amount=m(p.amount),
            authorized=m(p.authorized),
            captured=m(p.captured),
            refunded=m(p.refunded),
            capturable=m(max(p.capturable, 0)),
            refundable=m(max(p.refundable, 0)),
            pending=any(t.status.value == "pending" for t in p.transactions),
            decline_code=p.decline_code,
            message=p.message,
            avs=p.avs,
            cvc=p.cvc,
            expires_at=p.expires_at,
            created_at=p.created_at,
            transactions=[TransactionOut.of(t) for t in p.transactions],
        )


class GiftCardIn(Strict):
    amount: str = Field(examples=["50.00"])
    currency: str = Field(min_length=3, max_length=3, examples=["EUR"])
    customer: str | None = Field(
        default=None, pattern=r"^CUS-\d{6,18}$", description="store credit: the customer's number"
    )
    expires_on: date | None = None
    note: str = Field(default="", max_length=500)


class GiftCardOut(BaseModel):
    code: str
    initial: MoneyOut
    balance: MoneyOut
    customer: str | None
    expires_on: date | None
    is_active: bool
    note: str
    issued_by: str
    issued_at: datetime

    @classmethod
    def of(cls, card: GiftCard) -> GiftCardOut:
        return cls(
            code=card.code,
            initial=MoneyOut.of(card.money(card.initial)),
            balance=MoneyOut.of(card.money(card.balance)),
            customer=card.customer,
            expires_on=card.expires_on,
            is_active=card.is_active,
            note=card.note,
            issued_by=card.issued_by,
            issued_at=card.issued_at,
        )
