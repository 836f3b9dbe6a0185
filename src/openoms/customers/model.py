"""Customers: who orders, how to reach them, where they live, and what they agreed to."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from openoms.shared.errors import Conflict, FieldError, NotFound

# Deliberately permissive (RFC 5322 allows far more than shops see); the mail server decides.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AddressKind(StrEnum):
    BILLING = "billing"
    SHIPPING = "shipping"


class CustomerNotFound(NotFound):
    code = "customer_not_found"
    title = "Customer not found"


class DuplicateEmail(Conflict):
    code = "duplicate_email"
    title = "Email already belongs to a customer"


def normalize_email(email: str) -> str:
    return email.strip().lower()


def check_email(email: str, field_name: str = "email") -> list[FieldError]:
    if not EMAIL.match(email or "") or len(email) > 254:
        return [FieldError(field_name, f"'{email}' is not an email address")]
    return []


@dataclass
class PostalAddress:
    """An address as printed on a label; coordinates when the channel knows them."""

    name: str = ""
    company: str = ""
    line1: str = ""
    line2: str = ""
    city: str = ""
    postal_code: str = ""
    region: str = ""
    country: str = ""
    phone: str = ""
    latitude: float | None = None
    longitude: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """Its fields as stored in an order's or a customer's JSON column (what
        ``dataclasses.asdict`` gives, at a tenth of its cost: every order stores two)."""
        return dict(vars(self))

    def check(self, prefix: str) -> list[FieldError]:
        from openoms.locations.model import country_codes

        errors = []
        if self.country not in country_codes():
            errors.append(
                FieldError(f"{prefix}.country", f"'{self.country}' is not an ISO 3166 alpha-2 code")
            )
        for name in ("line1", "city"):
            if not getattr(self, name).strip():
                errors.append(FieldError(f"{prefix}.{name}", "must not be empty"))
        if (self.latitude is None) != (self.longitude is None):
            errors.append(
                FieldError(f"{prefix}.latitude", "give both latitude and longitude, or neither")
            )
        return errors


@dataclass
class Address:
    id: int
    kind: AddressKind
    is_default: bool
    address: PostalAddress


@dataclass
class CustomerSpec:
    email: str
    name: str = ""
    company: str = ""
    phones: list[str] = field(default_factory=list)
    locale: str = "en"
    tags: list[str] = field(default_factory=list)
    marketing_consent: bool = False
    notes: str = ""

    def check(self) -> list[FieldError]:
        errors = check_email(self.email)
        if len(self.name) > 200:
            errors.append(FieldError("name", "at most 200 characters"))
        if not re.match(r"^[a-z]{2,3}([_-][A-Za-z]{2,4})?$", self.locale or ""):
            errors.append(
                FieldError("locale", f"'{self.locale}' is not a locale such as en or de_DE")
            )
        return errors


def customer_number(customer_id: int) -> str:
    return f"CUS-{customer_id:06d}"


def customer_id_of(number: str) -> int | None:
    """The id inside a customer number, or None when it is not one."""
    match = re.fullmatch(r"CUS-(\d{1,18})", number)
    return int(match.group(1)) if match else None


@dataclass
class Customer:
    id: int
    spec: CustomerSpec
    emails: list[str]
    addresses: list[Address]
    created_at: datetime
    updated_at: datetime
    consent_changed_at: datetime | None = None

    @property
    def email(self) -> str:
        return self.spec.email

    @property
    def number(self) -> str:
        return customer_number(self.id)
