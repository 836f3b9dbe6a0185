from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from openoms.carts.checkout import CheckoutInput
from openoms.carts.model import MAX_LINES, MAX_QUANTITY, MAX_TTL_MINUTES, Cart
from openoms.carts.services import CartInput, LineIn
from openoms.customers.schemas import PostalAddressIO
from openoms.shared.errors import ValidationFailed
from openoms.shared.money import Money
from openoms.web.schemas import MoneyOut, Strict

SkuCode = Annotated[str, Field(min_length=1, max_length=64, examples=["TSHIRT-RED-M"])]
Quantity = Annotated[int, Field(gt=0, le=MAX_QUANTITY)]


class CartLineIn(Strict):
    sku: SkuCode
    quantity: Quantity


class CartLineQuantityIn(Strict):
    quantity: Quantity


class CartCreate(Strict):
    channel: str = Field(min_length=1, max_length=64)
    currency: str = Field(min_length=3, max_length=3, examples=["EUR"])
    email: str | None = Field(default=None, min_length=3, max_length=254)
    ttl_minutes: int | None = Field(
        default=None, ge=1, le=MAX_TTL_MINUTES, description="omit for the channel's"
    )
    lines: list[CartLineIn] = Field(default_factory=list, max_length=MAX_LINES)

    def to_input(self) -> CartInput:
        return CartInput(
            channel=self.channel,
            currency=self.currency.upper(),
            email=self.email,
            ttl_minutes=self.ttl_minutes,
            lines=[LineIn(ln.sku, ln.quantity) for ln in self.lines],
        )


class CartUpdate(Strict):
    """Any update, even an empty one, keeps the cart alive for another TTL."""

    email: str | None = Field(default=None, min_length=3, max_length=254)


class CheckoutIn(Strict):
    email: str | None = Field(
        default=None, min_length=3, max_length=254, description="required if the cart has none"
    )
    customer_name: str = Field(default="", max_length=200)
    locale: str = Field(default="en", max_length=10)
    marketing_consent: bool = False
    billing_address: PostalAddressIO
    shipping_address: PostalAddressIO | None = None
    pickup_location: str | None = Field(default=None, max_length=64)
    shipping_amount: str = Field(default="0", examples=["4.95"], description="in cart currency")
    shipping_service: str | None = Field(default=None, max_length=64)
    external_id: str | None = Field(default=None, min_length=1, max_length=120)
    notes: str = Field(default="", max_length=5000)

    def to_input(self, currency: str) -> CheckoutInput:
        """Raises: ValidationFailed (an amount the currency cannot express)."""
        shipping = Money.parse(self.shipping_amount, currency, field="shipping_amount")
        if shipping.amount_minor < 0:
            raise ValidationFailed.single("shipping_amount", "cannot be negative")
        return CheckoutInput(
            billing_address=self.billing_address.to_address(),
            shipping_address=self.shipping_address.to_address() if self.shipping_address else None,
            pickup_location=self.pickup_location,
            email=self.email,
            customer_name=self.customer_name,
            locale=self.locale,
            marketing_consent=self.marketing_consent,
            shipping_amount=shipping.amount_minor,
            shipping_service=self.shipping_service,
            external_id=self.external_id,
            notes=self.notes,
        )


class CartLineOut(BaseModel):
    sku: str
    name: str
    quantity: int
    unit_price: MoneyOut
    total: MoneyOut


class CartOut(BaseModel):
    token: str
    channel: str
    currency: str
    email: str | None
    status: str
    ttl_minutes: int
    lines: list[CartLineOut]
    value: MoneyOut
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    abandoned_at: datetime | None
    checked_out_at: datetime | None
    order_number: str | None

    @classmethod
    def of(cls, cart: Cart) -> CartOut:
        def m(amount: int) -> MoneyOut:
            return MoneyOut.of(Money(amount, cart.currency))

        return cls(
            token=cart.token,
            channel=cart.channel,
            currency=cart.currency,
            email=cart.email,
            status=cart.status.value,
            ttl_minutes=cart.ttl_minutes,
            lines=[
                CartLineOut(
                    sku=ln.sku,
                    name=ln.name,
                    quantity=ln.quantity,
                    unit_price=m(ln.unit_price_amount),
                    total=m(ln.total_amount),
                )
                for ln in cart.lines
            ],
            value=m(cart.value_amount),
            created_at=cart.created_at,
            updated_at=cart.updated_at,
            expires_at=cart.expires_at,
            abandoned_at=cart.abandoned_at,
            checked_out_at=cart.checked_out_at,
            order_number=cart.order_number,
        )
