"""Sales channels: where orders come from, and what each may sell."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from openoms.payments.model import CapturePolicy
from openoms.shared.errors import Conflict, FieldError, NotFound, ValidationFailed
from openoms.shared.money import active_currencies
from openoms.sourcing.policy import SourcingPolicy


class ChannelKind(StrEnum):
    WEB_SHOP = "web_shop"
    MARKETPLACE = "marketplace"
    POINT_OF_SALE = "point_of_sale"
    PHONE = "phone"
    B2B = "b2b"
    KIOSK = "kiosk"


class ChannelNotFound(NotFound):
    code = "channel_not_found"
    title = "Channel not found"


class ChannelInactive(Conflict):
    code = "channel_inactive"
    title = "Channel is not active"


class DuplicateChannel(Conflict):
    code = "duplicate_code"
    title = "Code already in use"


@dataclass
class ChannelSpec:
    code: str
    name: str
    kind: ChannelKind
    currencies: list[str]
    locations: list[str] = field(default_factory=list)  # empty: every active location
    allow_backorder: bool = False
    stock_buffer: int = 0
    sourcing_policy: SourcingPolicy = SourcingPolicy.NEAREST
    prices_include_tax: bool = True
    ship_from_store: bool = False
    cart_ttl_minutes: int = 30
    is_active: bool = True
    payment_capture: CapturePolicy = CapturePolicy.AT_SHIPMENT
    fraud_rules: dict[str, Any] | None = None  # None: the default rules

    def check(self) -> list[FieldError]:
        from openoms.catalog.model import check_code

        errors = check_code(self.code)
        if not self.name.strip():
            errors.append(FieldError("name", "must not be empty"))
        if not self.currencies:
            errors.append(FieldError("currencies", "give at least one currency"))
        known = active_currencies()
        errors += [
            FieldError(f"currencies[{i}]", f"'{c}' is not an active ISO 4217 currency code")
            for i, c in enumerate(self.currencies)
            if c not in known
        ]
        if len(set(self.currencies)) != len(self.currencies):
            errors.append(FieldError("currencies", "a currency is listed twice"))
        if not 0 <= self.stock_buffer <= 1_000_000:
            errors.append(FieldError("stock_buffer", "must be between 0 and 1000000"))
        if not 1 <= self.cart_ttl_minutes <= 7 * 24 * 60:
            errors.append(FieldError("cart_ttl_minutes", "must be between 1 and 10080"))
        if self.fraud_rules is not None:
            from openoms.payments.fraud import FraudConfig

            try:
                FraudConfig.from_dict(self.fraud_rules)
            except ValidationFailed as e:
                errors += [FieldError(f"fraud_rules.{x.field}", x.message) for x in e.errors]
        return errors


@dataclass
class Channel:
    id: int
    spec: ChannelSpec

    @property
    def code(self) -> str:
        return self.spec.code

    def sells_in(self, currency: str) -> bool:
        return currency in self.spec.currencies

    def may_ship_from(self, location: str) -> bool:
        return not self.spec.locations or location in self.spec.locations

    def promisable(self, available: int) -> int:
        """What the channel may sell of ``available`` units: its buffer is held back."""
        return max(0, available - self.spec.stock_buffer)
