"""Warehouses and stores, their zones and bins."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache

from babel import Locale

from openoms.shared.errors import Conflict, FieldError, NotFound

BIN_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,31}$")


class LocationKind(StrEnum):
    WAREHOUSE = "warehouse"
    STORE = "store"


class LocationNotFound(NotFound):
    code = "location_not_found"
    title = "Location not found"


class BinNotFound(NotFound):
    code = "bin_not_found"
    title = "Bin not found"


class ZoneNotFound(NotFound):
    code = "zone_not_found"
    title = "Zone not found"


class DuplicateLocationCode(Conflict):
    code = "duplicate_code"
    title = "Code already in use"


# CLDR territories that are not countries: the EU, the eurozone, the UN, "unknown",
# "outlying Oceania" and pseudo-locales.
NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"})


@cache
def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes known to CLDR (XK, Kosovo, included)."""
    codes = (str(c) for c in Locale("en").territories)
    return frozenset(c for c in codes if len(c) == 2 and c.isalpha() and c not in NOT_COUNTRIES)


@dataclass
class Address:
    line1: str = ""
    line2: str = ""
    city: str = ""
    postal_code: str = ""
    region: str = ""
    country: str = ""

    def check(self, prefix: str = "address.") -> list[FieldError]:
        if self.country not in country_codes():
            return [
                FieldError(f"{prefix}country", f"'{self.country}' is not an ISO 3166 alpha-2 code")
            ]
        return []


@dataclass
class LocationSpec:
    code: str
    name: str
    kind: LocationKind
    address: Address
    latitude: float
    longitude: float
    timezone: str = "UTC"
    can_ship: bool = True
    can_pickup: bool = False
    accepts_returns: bool = True
    priority: int = 100
    is_active: bool = True
    daily_order_capacity: int | None = None  # orders it can take per local day; None: no limit

    def check(self) -> list[FieldError]:
        from openoms.catalog.model import check_code  # the same code rule everywhere

        errors = [*check_code(self.code), *self.address.check()]
        if not self.name.strip():
            errors.append(FieldError("name", "must not be empty"))
        if not -90 <= self.latitude <= 90:
            errors.append(FieldError("latitude", "must be between -90 and 90"))
        if not -180 <= self.longitude <= 180:
            errors.append(FieldError("longitude", "must be between -180 and 180"))
        if self.timezone not in zoneinfo.available_timezones():
            errors.append(FieldError("timezone", f"'{self.timezone}' is not an IANA time zone"))
        if self.daily_order_capacity is not None and not 1 <= self.daily_order_capacity <= 10**6:
            errors.append(FieldError("daily_order_capacity", "must be 1 to 1000000, or empty"))
        if not 0 <= self.priority <= 10_000:
            errors.append(FieldError("priority", "must be between 0 and 10000 (lower ships first)"))
        return errors


@dataclass
class Zone:
    id: int
    code: str
    name: str


@dataclass
class Bin:
    id: int
    code: str
    zone_code: str


@dataclass
class Location:
    id: int
    spec: LocationSpec
    zones: list[Zone] = field(default_factory=list)

    @property
    def code(self) -> str:
        return self.spec.code


def check_bin_code(code: str) -> list[FieldError]:
    if not BIN_CODE.match(code or ""):
        return [FieldError("code", "use 1-32 letters, digits, '.', '_' or '-' (e.g. A-01-03)")]
    return []
