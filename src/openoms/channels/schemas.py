from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from openoms.channels.model import Channel, ChannelKind, ChannelSpec
from openoms.payments.model import CapturePolicy
from openoms.sourcing.policy import SourcingPolicy
from openoms.web.schemas import Strict


class ChannelCreate(Strict):
    code: str = Field(min_length=1, max_length=64, examples=["WEB-EU"])
    name: str = Field(min_length=1, max_length=200)
    kind: ChannelKind
    currencies: list[str] = Field(min_length=1, max_length=50, examples=[["EUR"]])
    locations: list[str] = Field(default_factory=list, description="empty: every location")
    allow_backorder: bool = False
    stock_buffer: int = Field(default=0, ge=0, le=1_000_000)
    sourcing_policy: SourcingPolicy = SourcingPolicy.NEAREST
    prices_include_tax: bool = True
    ship_from_store: bool = False
    cart_ttl_minutes: int = Field(default=30, ge=1, le=10_080)
    is_active: bool = True
    payment_capture: CapturePolicy = Field(
        default=CapturePolicy.AT_SHIPMENT,
        description="at_shipment: authorize at placement, capture per shipment; "
        "at_placement: capture at once",
    )
    fraud_rules: dict[str, Any] | None = Field(
        default=None,
        description="fraud rules and thresholds (see docs/payments.md); null: defaults",
    )

    def to_spec(self) -> ChannelSpec:
        return ChannelSpec(**self.model_dump())


class ChannelUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    currencies: list[str] | None = Field(default=None, min_length=1, max_length=50)
    locations: list[str] | None = None
    allow_backorder: bool | None = None
    stock_buffer: int | None = Field(default=None, ge=0, le=1_000_000)
    sourcing_policy: SourcingPolicy | None = None
    prices_include_tax: bool | None = None
    ship_from_store: bool | None = None
    cart_ttl_minutes: int | None = Field(default=None, ge=1, le=10_080)
    is_active: bool | None = None
    payment_capture: CapturePolicy | None = None
    fraud_rules: dict[str, Any] | None = None


class ChannelOut(ChannelCreate):
    @classmethod
    def of(cls, channel: Channel) -> ChannelOut:
        return cls(**channel.spec.__dict__)


class ChannelAvailabilityOut(BaseModel):
    sku: str
    available: int
