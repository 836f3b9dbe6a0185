"""Location use cases."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa

from openoms.infra.db import UnitOfWork
from openoms.locations.model import (
    Address,
    Bin,
    DuplicateLocationCode,
    Location,
    LocationKind,
    LocationNotFound,
    LocationSpec,
    Zone,
    ZoneNotFound,
    check_bin_code,
)
from openoms.locations.orm import locations as locations_table
from openoms.locations.repository import LocationRepository, spec_values
from openoms.shared import clock
from openoms.shared.errors import FieldError, ValidationFailed


def create_location(uow: UnitOfWork, spec: LocationSpec) -> Location:
    """Open a warehouse or store.

    Raises: ValidationFailed, DuplicateLocationCode.
    """
    errors = spec.check()
    if errors:
        raise ValidationFailed(errors)
    with uow:
        repo = LocationRepository(uow.conn)
        if repo.get(spec.code):
            raise DuplicateLocationCode(f"Location '{spec.code}' already exists.", code=spec.code)
        now = clock.now()
        repo.add({**spec_values(spec), "created_at": now, "updated_at": now})
        created = repo.get(spec.code)
        uow.commit()
    assert created is not None
    return created


def update_location(uow: UnitOfWork, code: str, changes: dict[str, Any]) -> Location:
    """Change anything but the code; ``address`` replaces the whole address.

    Raises: LocationNotFound, ValidationFailed.
    """
    with uow:
        repo = LocationRepository(uow.conn)
        current = _get_or_raise(repo, code)
        fields = {k: v for k, v in changes.items() if k != "code"}
        if isinstance(fields.get("address"), dict):
            fields["address"] = Address(**fields["address"])
        spec = replace(current.spec, **fields)
        errors = spec.check()
        if errors:
            raise ValidationFailed(errors)
        repo.update(current.id, {**spec_values(spec), "updated_at": clock.now()})
        updated = repo.get(code)
        uow.commit()
    assert updated is not None
    return updated


def get_location(uow: UnitOfWork, code: str) -> Location:
    """Raises: LocationNotFound."""
    with uow:
        return _get_or_raise(LocationRepository(uow.conn), code)


def list_locations(
    uow: UnitOfWork, *, kind: str | None = None, is_active: bool | None = None
) -> list[Location]:
    with uow:
        return LocationRepository(uow.conn).list_locations(kind=kind, is_active=is_active)


def add_zone(uow: UnitOfWork, location_code: str, code: str, name: str) -> Zone:
    """Raises: LocationNotFound, ValidationFailed, DuplicateLocationCode."""
    errors = check_bin_code(code)
    if errors:
        raise ValidationFailed(errors)
    with uow:
        repo = LocationRepository(uow.conn)
        location = _get_or_raise(repo, location_code)
        if any(z.code == code for z in location.zones):
            raise DuplicateLocationCode(f"Zone '{code}' already exists at {location_code}.")
        zone = repo.add_zone(location.id, code, name or code)
        uow.commit()
    return zone


def add_bins(uow: UnitOfWork, location_code: str, zone_code: str, codes: list[str]) -> list[Bin]:
    """Add bins to a zone (``A-01-01``…); all or nothing.

    Raises: LocationNotFound, ZoneNotFound, ValidationFailed, DuplicateLocationCode.
    """
    errors = [
        FieldError(f"codes[{i}]", e.message) for i, c in enumerate(codes) for e in check_bin_code(c)
    ]
    if not codes:
        errors.append(FieldError("codes", "give at least one bin code"))
    if len(set(codes)) != len(codes):
        errors.append(FieldError("codes", "a bin code appears twice"))
    if errors:
        raise ValidationFailed(errors)
    with uow:
        repo = LocationRepository(uow.conn)
        location = _get_or_raise(repo, location_code)
        zone = next((z for z in location.zones if z.code == zone_code), None)
        if zone is None:
            raise ZoneNotFound(f"No zone '{zone_code}' at {location_code}.", zone=zone_code)
        taken = repo.existing_bin_codes(location.id, codes)
        if taken:
            raise DuplicateLocationCode(
                f"Bins already exist at {location_code}: {', '.join(sorted(taken))}.",
                bins=sorted(taken),
            )
        repo.add_bins(location.id, zone.id, codes)
        created = [b for b in repo.list_bins(location.id) if b.code in set(codes)]
        uow.commit()
    return created


def list_bins(uow: UnitOfWork, location_code: str) -> list[Bin]:
    """Bins in walking order (zone, then bin code). Raises: LocationNotFound."""
    with uow:
        repo = LocationRepository(uow.conn)
        return repo.list_bins(_get_or_raise(repo, location_code).id)


def location_refs(uow: UnitOfWork, codes: list[str]) -> dict[str, int]:
    """code -> id for the codes that exist; for other domains inside their transaction."""
    return LocationRepository(uow.conn).refs(codes)


def location_refs_by_id(uow: UnitOfWork, ids: list[int]) -> dict[str, int]:
    """code -> id for the given ids, inside the caller's transaction."""
    return LocationRepository(uow.conn).refs_by_id(ids)


def active_location_ids() -> sa.Select[tuple[int]]:
    """A query of the ids of active locations, for other domains to use as a subquery."""
    return sa.select(locations_table.c.id).where(locations_table.c.is_active.is_(True))


def active_site_facts() -> sa.Select[Any]:
    """Active locations with what order sourcing needs (id, code, kind, coordinates,
    priority, can_ship, can_pickup), for other domains to join."""
    t = locations_table.c
    return sa.select(
        t.id,
        t.code,
        t.kind,
        t.latitude,
        t.longitude,
        t.priority,
        t.can_ship,
        t.can_pickup,
        t.daily_order_capacity,
        t.timezone,
    ).where(t.is_active.is_(True))


def active_ranking() -> sa.Select[tuple[int, str, int]]:
    """Active locations' id, code and priority, for other domains to join."""
    return sa.select(
        locations_table.c.id, locations_table.c.code, locations_table.c.priority
    ).where(locations_table.c.is_active.is_(True))


@dataclass(frozen=True)
class SiteInfo:
    code: str
    kind: LocationKind
    latitude: float
    longitude: float
    priority: int
    can_ship: bool
    can_pickup: bool
    country: str


def active_sites(uow: UnitOfWork) -> list[SiteInfo]:
    """Active locations as order sourcing needs them; inside the caller's transaction."""
    return [
        SiteInfo(
            loc.code,
            loc.spec.kind,
            loc.spec.latitude,
            loc.spec.longitude,
            loc.spec.priority,
            loc.spec.can_ship,
            loc.spec.can_pickup,
            loc.spec.address.country,
        )
        for loc in LocationRepository(uow.conn).list_locations(is_active=True)
    ]


def ranked_active(uow: UnitOfWork) -> list[tuple[int, str]]:
    """(id, code) of active locations, best first (priority, then code); inside a transaction."""
    return LocationRepository(uow.conn).ranked_active()


def bin_id(uow: UnitOfWork, location_id: int, code: str) -> int | None:
    """The id of a bin at a location, inside the caller's transaction."""
    found = LocationRepository(uow.conn).get_bin(location_id, code)
    return found.id if found else None


def _get_or_raise(repo: LocationRepository, code: str) -> Location:
    location = repo.get(code)
    if location is None:
        raise LocationNotFound(f"No location with code '{code}'.", code=code)
    return location
