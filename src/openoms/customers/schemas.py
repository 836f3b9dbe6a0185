from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from pydantic import BaseModel, Field

from openoms.customers.model import AddressKind, Customer, CustomerSpec, PostalAddress
from openoms.web.schemas import Strict


class PostalAddressIO(Strict):
    name: str = Field(default="", max_length=200)
    company: str = Field(default="", max_length=200)
    line1: str = Field(default="", max_length=200)
    line2: str = Field(default="", max_length=200)
    city: str = Field(default="", max_length=120)
    postal_code: str = Field(default="", max_length=20)
    region: str = Field(default="", max_length=120)
    country: str = Field(min_length=2, max_length=2, examples=["NL"])
    phone: str = Field(default="", max_length=40)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)

    def to_address(self) -> PostalAddress:
        return PostalAddress(**self.model_dump())

    @classmethod
    def of(cls, address: PostalAddress) -> PostalAddressIO:
        return cls(**asdict(address))


class AddressIn(Strict):
    kind: AddressKind
    address: PostalAddressIO


class CustomerCreate(Strict):
    email: str = Field(min_length=3, max_length=254)
    name: str = Field(default="", max_length=200)
    company: str = Field(default="", max_length=200)
    phones: list[str] = Field(default_factory=list, max_length=10)
    locale: str = "en"
    tags: list[str] = Field(default_factory=list, max_length=50)
    marketing_consent: bool = False
    notes: str = ""
    addresses: list[AddressIn] = Field(default_factory=list, max_length=20)

    def to_spec(self) -> CustomerSpec:
        return CustomerSpec(**self.model_dump(exclude={"addresses"}))


class CustomerUpdate(Strict):
    name: str | None = Field(default=None, max_length=200)
    company: str | None = Field(default=None, max_length=200)
    phones: list[str] | None = Field(default=None, max_length=10)
    locale: str | None = None
    tags: list[str] | None = Field(default=None, max_length=50)
    marketing_consent: bool | None = None
    notes: str | None = None


class EmailIn(Strict):
    email: str = Field(min_length=3, max_length=254)


class AddressOut(BaseModel):
    id: int
    kind: AddressKind
    is_default: bool
    address: PostalAddressIO


class CustomerOut(BaseModel):
    number: str
    email: str
    emails: list[str]
    name: str
    company: str
    phones: list[str]
    locale: str
    tags: list[str]
    marketing_consent: bool
    consent_changed_at: datetime | None
    notes: str
    addresses: list[AddressOut]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, c: Customer) -> CustomerOut:
        return cls(
            number=c.number,
            email=c.email,
            emails=c.emails,
            name=c.spec.name,
            company=c.spec.company,
            phones=c.spec.phones,
            locale=c.spec.locale,
            tags=c.spec.tags,
            marketing_consent=c.spec.marketing_consent,
            consent_changed_at=c.consent_changed_at,
            notes=c.spec.notes,
            addresses=[
                AddressOut(
                    id=a.id,
                    kind=a.kind,
                    is_default=a.is_default,
                    address=PostalAddressIO.of(a.address),
                )
                for a in c.addresses
            ],
            created_at=c.created_at,
            updated_at=c.updated_at,
        )
