"""What the warehouse works with, as data: standard boxes, carriers and their services
(zones, weight breaks, transit days, cut-off), each location's picking strategy and each
channel's promise and rate policy."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from openoms.catalog.model import check_code
from openoms.fulfillment import rates
from openoms.fulfillment.model import BoxNotFound, CarrierNotFound, PickStrategy
from openoms.fulfillment.orm import (
    boxes,
    carrier_services,
    carriers,
    channel_fulfilment,
    location_fulfilment,
)
from openoms.fulfillment.packing import BoxType
from openoms.infra.db import UnitOfWork
from openoms.infra.upsert import insert_for
from openoms.shared.errors import Conflict, FieldError, ValidationFailed
from openoms.shared.money import MAX_MINOR, validate_currency

CARRIER_APIS = frozenset({"shippo"})  # the carrier APIs an adapter speaks
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_PREFIX = re.compile(r"^[A-Z]{2}$")


# ---------------------------------------------------------------- boxes


@dataclass(frozen=True)
class BoxSpec:
    code: str
    name: str
    length_mm: int
    width_mm: int
    height_mm: int
    tare_g: int
    max_weight_g: int
    cost: int
    currency: str
    is_active: bool = True

    def check(self) -> list[FieldError]:
        errors = check_code(self.code)
        if not self.name.strip():
            errors.append(FieldError("name", "must not be empty"))
        for name in ("length_mm", "width_mm", "height_mm"):
            if not 1 <= getattr(self, name) <= 5_000:
                errors.append(FieldError(name, "must be 1 to 5000 mm"))
        if not 0 <= self.tare_g <= 100_000:
            errors.append(FieldError("tare_g", "must be 0 to 100000 g"))
        if not self.tare_g < self.max_weight_g <= 1_000_000:
            errors.append(FieldError("max_weight_g", "must be more than the tare, at most 1000 kg"))
        if not 0 <= self.cost < MAX_MINOR:
            errors.append(FieldError("cost", "must be zero or more"))
        try:
            validate_currency(self.currency)
        except ValidationFailed as e:
            errors += e.errors
        return errors

    def box_type(self) -> BoxType:
        return BoxType(
            self.code,
            self.name,
            self.length_mm,
            self.width_mm,
            self.height_mm,
            self.tare_g,
            self.max_weight_g,
            self.cost,
        )


def save_box(uow: UnitOfWork, spec: BoxSpec, *, create: bool = True) -> BoxSpec:
    """Create a box (``create``) or change an existing one, by code.

    Raises: ValidationFailed, DuplicateCode, BoxNotFound.
    """
    errors = spec.check()
    if errors:
        raise ValidationFailed(errors)
    values = {k: getattr(spec, k) for k in BoxSpec.__dataclass_fields__}
    with uow:
        _write(uow, boxes, values, create, BoxNotFound(f"No box '{spec.code}'.", box=spec.code))
        uow.commit()
    return spec


class DuplicateCode(Conflict):
    code = "duplicate_code"
    title = "Code already in use"


def _write(
    uow: UnitOfWork, table: sa.Table, values: dict[str, Any], create: bool, missing: Exception
) -> None:
    code = values["code"]
    exists = uow.conn.execute(sa.select(table.c.id).where(table.c.code == code)).first()
    if create and exists is not None:
        raise DuplicateCode(f"'{code}' exists already; change it instead.", code=code)
    if not create and exists is None:
        raise missing
    if create:
        uow.conn.execute(table.insert().values(**values))
    else:
        uow.conn.execute(sa.update(table).where(table.c.code == code).values(**values))


def list_boxes(uow: UnitOfWork, *, active_only: bool = False) -> list[BoxSpec]:
    with uow:
        return boxes_in_transaction(uow, active_only=active_only)


def boxes_in_transaction(uow: UnitOfWork, *, active_only: bool = True) -> list[BoxSpec]:
    query = sa.select(boxes).order_by(boxes.c.cost, boxes.c.code)
    if active_only:
        query = query.where(boxes.c.is_active)
    return [_box(r) for r in uow.conn.execute(query).mappings()]


def get_box(uow: UnitOfWork, code: str) -> BoxSpec:
    """Raises: BoxNotFound."""
    with uow:
        row = uow.conn.execute(sa.select(boxes).where(boxes.c.code == code)).mappings().first()
    if row is None:
        raise BoxNotFound(f"No box '{code}'.", box=code)
    return _box(row)


def _box(row: Any) -> BoxSpec:
    return BoxSpec(**{k: row[k] for k in BoxSpec.__dataclass_fields__})


# ---------------------------------------------------------------- carriers


@dataclass(frozen=True)
class CarrierSpec:
    code: str
    name: str
    tracking_url: str
    tracking_prefix: str  # the two letters that start its tracking numbers (UPU S10)
    dim_divisor: int = 5000
    is_active: bool = True
    api: str | None = None  # a carrier API buys its labels ("shippo"); None: our own

    def carrier(self) -> rates.Carrier:
        return rates.Carrier(self.code, self.name, self.tracking_url, self.dim_divisor)

    def check(self) -> list[FieldError]:
        errors = check_code(self.code) + rates.validate_carrier(self.carrier())
        if not _PREFIX.match(self.tracking_prefix):
            errors.append(FieldError("tracking_prefix", "must be two capital letters, e.g. JD"))
        if self.api is not None and self.api not in CARRIER_APIS:
            errors.append(
                FieldError("api", f"must be one of {', '.join(sorted(CARRIER_APIS))}, or empty")
            )
        return errors


def save_carrier(uow: UnitOfWork, spec: CarrierSpec, *, create: bool = True) -> CarrierSpec:
    """Raises: ValidationFailed, DuplicateCode, CarrierNotFound."""
    errors = spec.check()
    if errors:
        raise ValidationFailed(errors)
    values = {k: getattr(spec, k) for k in CarrierSpec.__dataclass_fields__}
    with uow:
        missing = CarrierNotFound(f"No carrier '{spec.code}'.", carrier=spec.code)
        _write(uow, carriers, values, create, missing)
        uow.commit()
    return spec


def list_carriers(uow: UnitOfWork) -> list[CarrierSpec]:
    with uow:
        return carriers_in_transaction(uow, active_only=False)


def carriers_in_transaction(uow: UnitOfWork, *, active_only: bool = True) -> list[CarrierSpec]:
    query = sa.select(carriers).order_by(carriers.c.code)
    if active_only:
        query = query.where(carriers.c.is_active)
    return [
        CarrierSpec(**{k: r[k] for k in CarrierSpec.__dataclass_fields__})
        for r in uow.conn.execute(query).mappings()
    ]


# ---------------------------------------------------------------- services


@dataclass(frozen=True)
class ServiceSpec:
    """A carrier service as it is stored and sent: plain values, checked by ``rates``."""

    carrier: str
    code: str
    name: str
    currency: str
    zones: list[dict[str, Any]]  # {"zone", "country", "postal_prefix", "origin"}
    breaks: list[dict[str, Any]]  # {"zone", "up_to_g", "base", "per_kg"}
    transit_days: dict[str, int]  # zone -> days
    cutoff: str = "17:00"
    fuel_surcharge_pct: str = "0"
    max_weight_g: int | None = None
    is_active: bool = True
    api_service: str | None = None  # the carrier API's name for it (e.g. "usps_priority")

    def level(self) -> rates.ServiceLevel:
        """Raises: ValidationFailed (malformed rows)."""
        try:
            return rates.ServiceLevel(
                carrier=self.carrier,
                code=self.code,
                name=self.name,
                currency=self.currency,
                zones=tuple(
                    rates.ZoneRule(
                        str(z["zone"]),
                        str(z["country"]).upper(),
                        str(z.get("postal_prefix") or ""),
                        z.get("origin") or None,
                    )
                    for z in self.zones
                ),
                breaks=tuple(
                    rates.RateBreak(
                        str(b["zone"]), int(b["up_to_g"]), int(b["base"]), int(b.get("per_kg", 0))
                    )
                    for b in self.breaks
                ),
                transit_days=tuple((str(k), int(v)) for k, v in sorted(self.transit_days.items())),
                cutoff=time.fromisoformat(self.cutoff),
                fuel_surcharge_pct=Decimal(self.fuel_surcharge_pct),
                max_weight_g=self.max_weight_g,
            )
        except (KeyError, TypeError, ValueError, InvalidOperation) as e:
            raise ValidationFailed(
                [FieldError("service", f"malformed zones, breaks or numbers: {e}")]
            ) from e

    def check(self) -> list[FieldError]:
        errors = check_code(self.code)
        if not _HHMM.match(self.cutoff):
            return [*errors, FieldError("cutoff", "use HH:MM, e.g. 17:00")]
        try:
            level = self.level()
        except ValidationFailed as e:
            return errors + e.errors
        return errors + rates.validate_service(level)


def save_service(uow: UnitOfWork, spec: ServiceSpec, *, create: bool = True) -> ServiceSpec:
    """Create a carrier service (``create``) or change an existing one, by code.

    Raises: ValidationFailed, DuplicateCode, CarrierNotFound.
    """
    errors = spec.check()
    if errors:
        raise ValidationFailed(errors)
    values = {
        "carrier_code": spec.carrier,
        "code": spec.code,
        "name": spec.name,
        "currency": spec.currency,
        "zones": spec.zones,
        "breaks": spec.breaks,
        "transit_days": spec.transit_days,
        "cutoff": spec.cutoff,
        "fuel_surcharge_pct": spec.fuel_surcharge_pct,
        "max_weight_g": spec.max_weight_g,
        "is_active": spec.is_active,
        "api_service": spec.api_service,
    }
    with uow:
        known = uow.conn.execute(
            sa.select(carriers.c.id).where(carriers.c.code == spec.carrier)
        ).first()
        if known is None:
            raise CarrierNotFound(f"No carrier '{spec.carrier}'.", carrier=spec.carrier)
        missing = CarrierNotFound(f"No carrier service '{spec.code}'.", service=spec.code)
        _write(uow, carrier_services, values, create, missing)
        uow.commit()
    return spec


def list_services(uow: UnitOfWork) -> list[ServiceSpec]:
    with uow:
        return services_in_transaction(uow, active_only=False)


def services_in_transaction(uow: UnitOfWork, *, active_only: bool = True) -> list[ServiceSpec]:
    s = carrier_services.c
    query = sa.select(carrier_services).order_by(s.carrier_code, s.code)
    if active_only:
        query = query.join(carriers, carriers.c.code == s.carrier_code).where(
            s.is_active, carriers.c.is_active
        )
    return [
        ServiceSpec(
            carrier=r["carrier_code"],
            code=r["code"],
            name=r["name"],
            currency=r["currency"],
            zones=list(r["zones"]),
            breaks=list(r["breaks"]),
            transit_days=dict(r["transit_days"]),
            cutoff=r["cutoff"],
            fuel_surcharge_pct=r["fuel_surcharge_pct"],
            max_weight_g=r["max_weight_g"],
            is_active=r["is_active"],
            api_service=r["api_service"],
        )
        for r in uow.conn.execute(query).mappings()
    ]


# ---------------------------------------------------------------- per location, per channel


@dataclass(frozen=True)
class LocationSettings:
    location: str
    pick_strategy: PickStrategy = PickStrategy.SINGLE
    batch_size: int = 8
    pickup_days: int = 7  # uncollected pickup orders go back to stock after this many days

    def check(self) -> list[FieldError]:
        errors = []
        if not 1 <= self.batch_size <= 100:
            errors.append(FieldError("batch_size", "must be 1 to 100 orders"))
        if not 1 <= self.pickup_days <= 90:
            errors.append(FieldError("pickup_days", "must be 1 to 90 days"))
        return errors


def location_settings(uow: UnitOfWork, location: str, *, check: bool = False) -> LocationSettings:
    """Inside the caller's transaction; the defaults when none were saved.

    Raises: LocationNotFound (``check``: the location must exist).
    """
    if check:
        from openoms.locations import services as locations
        from openoms.locations.model import LocationNotFound

        if location not in locations.location_refs(uow, [location]):
            raise LocationNotFound(f"No location '{location}'.", location=location)
    row = (
        uow.conn.execute(
            sa.select(location_fulfilment).where(location_fulfilment.c.location_code == location)
        )
        .mappings()
        .first()
    )
    if row is None:
        return LocationSettings(location)
    return LocationSettings(
        location, PickStrategy(row["pick_strategy"]), row["batch_size"], row["pickup_days"]
    )


def save_location_settings(uow: UnitOfWork, spec: LocationSettings) -> LocationSettings:
    """Raises: ValidationFailed, LocationNotFound."""
    from openoms.locations import services as locations
    from openoms.locations.model import LocationNotFound

    errors = spec.check()
    if errors:
        raise ValidationFailed(errors)
    values = {
        "location_code": spec.location,
        "pick_strategy": spec.pick_strategy.value,
        "batch_size": spec.batch_size,
        "pickup_days": spec.pickup_days,
    }
    with uow:
        if spec.location not in locations.location_refs(uow, [spec.location]):
            raise LocationNotFound(f"No location '{spec.location}'.", location=spec.location)
        stmt = insert_for(uow.conn, location_fulfilment).values(**values)
        uow.conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["location_code"],
                set_={k: v for k, v in values.items() if k != "location_code"},
            )
        )
        uow.commit()
    return spec


@dataclass(frozen=True)
class ChannelPromise:
    channel: str
    cutoff: str = "14:00"  # orders before it (local time of the location) leave that day
    handling_days: int = 0
    delivery_days: int = 3  # working days from leaving to the door, as promised
    rate_policy: rates.RatePolicy = rates.RatePolicy.CHEAPEST_ON_TIME
    follow_up_days: int = 7  # after delivery, the mail asking for a rating; 0: none

    def check(self) -> list[FieldError]:
        errors = []
        if not 0 <= self.follow_up_days <= 90:
            errors.append(FieldError("follow_up_days", "must be 0 (none) to 90 days"))
        if not _HHMM.match(self.cutoff):
            errors.append(FieldError("cutoff", "use HH:MM, e.g. 14:00"))
        if not 0 <= self.handling_days <= 30:
            errors.append(FieldError("handling_days", "must be 0 to 30"))
        if not 0 <= self.delivery_days <= 60:
            errors.append(FieldError("delivery_days", "must be 0 to 60"))
        return errors


def channel_promise(uow: UnitOfWork, channel: str, *, check: bool = False) -> ChannelPromise:
    """Inside the caller's transaction; the defaults when none were saved.

    Raises: ChannelNotFound (``check``: the channel must exist).
    """
    if check:
        from openoms.channels import services as channels

        channels.get_in_transaction(uow, channel)
    c = channel_fulfilment.c
    row = uow.conn.execute(sa.select(channel_fulfilment).where(c.channel_code == channel))
    found = row.mappings().first()
    if found is None:
        return ChannelPromise(channel)
    return ChannelPromise(
        channel,
        found["cutoff"],
        found["handling_days"],
        found["delivery_days"],
        rates.RatePolicy(found["rate_policy"]),
        found["follow_up_days"],
    )


def save_channel_promise(uow: UnitOfWork, spec: ChannelPromise) -> ChannelPromise:
    """Raises: ValidationFailed, ChannelNotFound."""
    from openoms.channels import services as channels

    errors = spec.check()
    if errors:
        raise ValidationFailed(errors)
    values = {
        "channel_code": spec.channel,
        "cutoff": spec.cutoff,
        "handling_days": spec.handling_days,
        "delivery_days": spec.delivery_days,
        "rate_policy": spec.rate_policy.value,
        "follow_up_days": spec.follow_up_days,
    }
    with uow:
        channels.get_in_transaction(uow, spec.channel)
        stmt = insert_for(uow.conn, channel_fulfilment).values(**values)
        uow.conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["channel_code"],
                set_={k: v for k, v in values.items() if k != "channel_code"},
            )
        )
        uow.commit()
    return spec
