from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from openoms.customers.schemas import PostalAddressIO
from openoms.orders.model import LINE_QUANTITIES, HoldReason, Order, SpecialCode, TimelineEvent
from openoms.orders.placement import LineInput, OrderInput, input_errors
from openoms.orders.queries import OrderSummary
from openoms.payments.schemas import ClientIn, PaymentIn
from openoms.shared.errors import FieldError, ValidationFailed
from openoms.shared.money import Money
from openoms.web.schemas import MoneyOut, Strict


class CustomerIn(Strict):
    email: str = Field(min_length=3, max_length=254)
    name: str = Field(default="", max_length=200)
    locale: str = "en"
    marketing_consent: bool = False


class OrderLineIn(Strict):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(gt=0, le=1_000_000)
    unit_price: str | None = Field(
        default=None, examples=["19.99"], description="omit to use the catalog price"
    )
    discount: str = Field(default="0", examples=["2.00"], description="off the whole line")


class OrderCreate(Strict):
    channel: str = Field(min_length=1, max_length=64)
    external_id: str | None = Field(default=None, min_length=1, max_length=120)
    customer: CustomerIn
    currency: str = Field(min_length=3, max_length=3)
    locale: str | None = None
    billing_address: PostalAddressIO
    shipping_address: PostalAddressIO | None = None
    pickup_location: str | None = None
    lines: list[OrderLineIn] = Field(min_length=1, max_length=500)
    discount: str = Field(default="0", description="order-level discount")
    shipping_amount: str = Field(default="0")
    shipping_service: str | None = Field(default=None, max_length=64)
    sales_rep: str | None = Field(default=None, max_length=120)
    notes: str = Field(default="", max_length=5000)
    tags: list[str] = Field(default_factory=list, max_length=50)
    special_codes: list[SpecialCode] = Field(default_factory=list)
    payment: PaymentIn | None = Field(
        default=None, description="pay at placement (see POST /orders/{number}/payments)"
    )
    client: ClientIn | None = Field(default=None, description="for fraud screening")

    def to_input(self) -> OrderInput:
        errors: list[FieldError] = []

        def amount(text: str | None, where: str) -> int | None:
            if text is None:
                return None
            try:
                return Money.parse(text, self.currency.upper(), field=where).amount_minor
            except ValidationFailed as e:
                errors.extend(e.errors)
                return 0

        lines = [
            LineInput(
                ln.sku,
                ln.quantity,
                amount(ln.unit_price, f"lines[{i}].unit_price"),
                amount(ln.discount, f"lines[{i}].discount") or 0,
            )
            for i, ln in enumerate(self.lines)
        ]
        data = OrderInput(
            channel=self.channel,
            email=self.customer.email,
            currency=self.currency.upper(),
            lines=lines,
            billing_address=self.billing_address.to_address(),
            shipping_address=self.shipping_address.to_address() if self.shipping_address else None,
            pickup_location=self.pickup_location,
            external_id=self.external_id,
            customer_name=self.customer.name,
            locale=self.locale or self.customer.locale,
            marketing_consent=self.customer.marketing_consent,
            discount=amount(self.discount, "discount") or 0,
            shipping_amount=amount(self.shipping_amount, "shipping_amount") or 0,
            shipping_service=self.shipping_service,
            sales_rep=self.sales_rep,
            notes=self.notes,
            tags=list(self.tags),
            special_codes=list(self.special_codes),
        )
        # the order's own rules too, so one answer names every bad field
        errors += [e for e in input_errors(data) if e.field not in {x.field for x in errors}]
        if errors:
            raise ValidationFailed(errors)
        return data


class HoldIn(Strict):
    reason: HoldReason
    note: str = Field(default="", max_length=2000)


class ReleaseIn(Strict):
    note: str = Field(default="", max_length=2000)


class CancelIn(Strict):
    reason: str = Field(min_length=1, max_length=2000)


class CancelLinesIn(Strict):
    lines: dict[int, int] = Field(
        min_length=1, description="line number -> units to cancel", examples=[{"1": 2}]
    )
    reason: str = Field(min_length=1, max_length=2000)


class LineChangeIn(Strict):
    line: int | None = Field(default=None, ge=1, description="omit to add a new line")
    sku: str | None = Field(default=None, min_length=1, max_length=64)
    quantity: int = Field(ge=0, le=1_000_000, description="the units the line should come to")
    unit_price: str | None = Field(default=None, description="a new line's price")


class ChangeSetIn(Strict):
    changes: list[LineChangeIn] = Field(min_length=1, max_length=200)


class ChangeSetOut(BaseModel):
    version: int
    total_before: MoneyOut
    total_after: MoneyOut
    balance: MoneyOut
    order: OrderOut


class AddressChangeIn(Strict):
    shipping_address: PostalAddressIO


class NoteIn(Strict):
    text: str = Field(min_length=1, max_length=5000)


class OrderLineOut(BaseModel):
    line_no: int
    sku: str
    name: str
    quantity_ordered: int
    quantity_allocated: int
    quantity_backordered: int
    quantity_shipped: int
    quantity_cancelled: int
    quantity_returned: int
    unit_price: MoneyOut
    discount: MoneyOut
    tax_rate: str
    tax: MoneyOut
    total: MoneyOut


class AllocationOut(BaseModel):
    line_no: int
    sku: str
    location: str
    quantity: int


class TotalsOut(BaseModel):
    subtotal: MoneyOut
    discount: MoneyOut
    shipping: MoneyOut
    tax: MoneyOut
    total: MoneyOut
    base_total: MoneyOut | None
    fx_rate: str | None
    prices_include_tax: bool


class OrderOut(BaseModel):
    number: str
    channel: str
    external_id: str | None
    customer: str
    email: str
    currency: str
    locale: str
    status: str
    hold_reason: str | None
    priority: int
    special_codes: list[str]
    billing_address: dict[str, Any]
    shipping_address: dict[str, Any] | None
    pickup_location: str | None
    shipping_service: str | None
    totals: TotalsOut
    sales_rep: str | None
    notes: str
    tags: list[str]
    sourcing: list[str]
    lines: list[OrderLineOut]
    allocations: list[AllocationOut]
    placed_at: datetime
    updated_at: datetime
    version: int
    payment_status: str

    @classmethod
    def of(cls, o: Order) -> OrderOut:
        """Built as one dict and validated once (pydantic-core walks the whole tree in one
        call): a model per amount cost as much again (docs/benchmarks.md)."""

        def m(amount: int) -> dict[str, Any]:
            return MoneyOut.fields(amount, o.currency)

        base = (
            MoneyOut.fields(o.base_total_amount, o.base_currency)
            if o.base_total_amount is not None
            else None
        )
        return cls.model_validate(
            {
                "number": o.number,
                "channel": o.channel,
                "external_id": o.external_id,
                "customer": f"CUS-{o.customer_id:06d}",
                "email": o.email,
                "currency": o.currency,
                "locale": o.locale,
                "status": o.status.value,
                "hold_reason": o.hold_reason,
                "priority": o.priority,
                "special_codes": o.special_codes,
                "billing_address": o.billing_address,
                "shipping_address": o.shipping_address,
                "pickup_location": o.pickup_location,
                "shipping_service": o.shipping_service,
                "totals": {
                    "subtotal": m(o.subtotal_amount),
                    "discount": m(o.discount_amount),
                    "shipping": m(o.shipping_amount),
                    "tax": m(o.tax_amount),
                    "total": m(o.total_amount),
                    "base_total": base,
                    "fx_rate": o.fx_rate,
                    "prices_include_tax": o.prices_include_tax,
                },
                "sales_rep": o.sales_rep,
                "notes": o.notes,
                "tags": o.tags,
                "sourcing": o.sourcing,
                "lines": [
                    {
                        "line_no": ln.line_no,
                        "sku": ln.sku,
                        "name": ln.name,
                        **{q: getattr(ln, q) for q in LINE_QUANTITIES},
                        "unit_price": m(ln.unit_price_amount),
                        "discount": m(ln.discount_amount),
                        "tax_rate": ln.tax_rate,
                        "tax": m(ln.tax_amount),
                        "total": m(ln.total_amount),
                    }
                    for ln in o.lines
                ],
                "allocations": [
                    {
                        "line_no": a.line_no,
                        "sku": a.sku,
                        "location": a.location,
                        "quantity": a.quantity,
                    }
                    for a in o.allocations
                ],
                "placed_at": o.placed_at,
                "updated_at": o.updated_at,
                "version": o.version,
                "payment_status": o.payment_status,
            }
        )


class OrderSummaryOut(BaseModel):
    number: str
    channel: str
    external_id: str | None
    email: str
    status: str
    priority: int
    total: MoneyOut
    placed_at: datetime
    tags: list[str]
    payment_status: str

    @classmethod
    def of(cls, s: OrderSummary) -> OrderSummaryOut:
        return cls(
            number=s.number,
            channel=s.channel,
            external_id=s.external_id,
            email=s.email,
            status=s.status,
            priority=s.priority,
            total=MoneyOut.of(Money(s.total_amount, s.currency)),
            placed_at=s.placed_at,
            tags=s.tags,
            payment_status=s.payment_status,
        )


class TimelineEventOut(BaseModel):
    at: datetime
    actor: str
    kind: str
    from_status: str | None
    to_status: str | None
    reason: str | None
    data: dict[str, Any]

    @classmethod
    def of(cls, e: TimelineEvent) -> TimelineEventOut:
        return cls(**e.__dict__)
