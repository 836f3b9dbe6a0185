from __future__ import annotations

from pydantic import BaseModel, Field

from openoms.locations.model import Address, Bin, Location, LocationKind, LocationSpec, Zone
from openoms.web.schemas import Strict


class AddressIO(Strict):
    line1: str = ""
    line2: str = ""
    city: str = ""
    postal_code: str = ""
    region: str = ""
    country: str = Field(min_length=2, max_length=2, examples=["NL"])


class LocationCreate(Strict):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    kind: LocationKind
    address: AddressIO
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    timezone: str = "UTC"
    can_ship: bool = True
    can_pickup: bool = False
    accepts_returns: bool = True
    priority: int = Field(default=100, ge=0, le=10_000)
    is_active: bool = True
    daily_order_capacity: int | None = Field(default=None, ge=1, le=1_000_000)

    def to_spec(self) -> LocationSpec:
        data = self.model_dump(exclude={"address"})
        return LocationSpec(address=Address(**self.address.model_dump()), **data)


class LocationUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    address: AddressIO | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    timezone: str | None = None
    can_ship: bool | None = None
    can_pickup: bool | None = None
    accepts_returns: bool | None = None
    priority: int | None = Field(default=None, ge=0, le=10_000)
    is_active: bool | None = None
    daily_order_capacity: int | None = Field(default=None, ge=1, le=1_000_000)


class ZoneCreate(Strict):
    code: str = Field(min_length=1, max_length=32)
    name: str = ""


class BinsCreate(Strict):
    zone: str = Field(min_length=1, max_length=32)
    codes: list[str] = Field(min_length=1, max_length=2000)


class ZoneOut(BaseModel):
    code: str
    name: str

    @classmethod
    def of(cls, z: Zone) -> ZoneOut:
        return cls(code=z.code, name=z.name)


class BinOut(BaseModel):
    code: str
    zone: str

    @classmethod
    def of(cls, b: Bin) -> BinOut:
        return cls(code=b.code, zone=b.zone_code)


class LocationOut(BaseModel):
    code: str
    name: str
    kind: LocationKind
    address: AddressIO
    latitude: float
    longitude: float
    timezone: str
    can_ship: bool
    can_pickup: bool
    accepts_returns: bool
    priority: int
    is_active: bool
    daily_order_capacity: int | None
    zones: list[ZoneOut]

    @classmethod
    def of(cls, loc: Location) -> LocationOut:
        s = loc.spec
        return cls(
            code=s.code,
            name=s.name,
            kind=s.kind,
            address=AddressIO(**s.address.__dict__),
            latitude=s.latitude,
            longitude=s.longitude,
            timezone=s.timezone,
            can_ship=s.can_ship,
            can_pickup=s.can_pickup,
            accepts_returns=s.accepts_returns,
            priority=s.priority,
            is_active=s.is_active,
            daily_order_capacity=s.daily_order_capacity,
            zones=[ZoneOut.of(z) for z in loc.zones],
        )
