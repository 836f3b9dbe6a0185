from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from openoms.locations.model import Address, Bin, Location, LocationKind, LocationSpec, Zone
from openoms.locations.orm import bins, locations, zones


class LocationRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, code: str) -> Location | None:
        row = self.conn.execute(sa.select(locations).where(locations.c.code == code)).first()
        if row is None:
            return None
        location = _location(row)
        location.zones = self.list_zones(location.id)
        return location

    def list_locations(
        self, *, kind: str | None = None, is_active: bool | None = None
    ) -> list[Location]:
        query = sa.select(locations).order_by(locations.c.priority, locations.c.code)
        if kind:
            query = query.where(locations.c.kind == kind)
        if is_active is not None:
            query = query.where(locations.c.is_active == is_active)
        return [_location(r) for r in self.conn.execute(query)]

    def ranked_active(self) -> list[tuple[int, str]]:
        rows = self.conn.execute(
            sa.select(locations.c.id, locations.c.code)
            .where(locations.c.is_active.is_(True))
            .order_by(locations.c.priority, locations.c.code)
        )
        return [(r.id, r.code) for r in rows]

    def refs_by_id(self, ids: list[int]) -> dict[str, int]:
        rows = self.conn.execute(
            sa.select(locations.c.code, locations.c.id).where(locations.c.id.in_(ids))
        )
        return {r.code: r.id for r in rows}

    def refs(self, codes: list[str]) -> dict[str, int]:
        rows = self.conn.execute(
            sa.select(locations.c.code, locations.c.id).where(locations.c.code.in_(codes))
        )
        return {r.code: r.id for r in rows}

    def add(self, values: dict[str, Any]) -> int:
        return int(
            self.conn.execute(
                locations.insert().values(**values).returning(locations.c.id)
            ).scalar_one()
        )

    def update(self, location_id: int, values: dict[str, Any]) -> None:
        self.conn.execute(locations.update().where(locations.c.id == location_id).values(**values))

    def list_zones(self, location_id: int) -> list[Zone]:
        rows = self.conn.execute(
            sa.select(zones).where(zones.c.location_id == location_id).order_by(zones.c.code)
        )
        return [Zone(r.id, r.code, r.name) for r in rows]

    def add_zone(self, location_id: int, code: str, name: str) -> Zone:
        zone_id = self.conn.execute(
            zones.insert()
            .values(location_id=location_id, code=code, name=name)
            .returning(zones.c.id)
        ).scalar_one()
        return Zone(zone_id, code, name)

    def get_bin(self, location_id: int, code: str) -> Bin | None:
        row = self.conn.execute(
            sa.select(bins.c.id, bins.c.code, zones.c.code.label("zone_code"))
            .select_from(bins.join(zones, bins.c.zone_id == zones.c.id))
            .where(bins.c.location_id == location_id, bins.c.code == code)
        ).first()
        return Bin(row.id, row.code, row.zone_code) if row else None

    def list_bins(self, location_id: int) -> list[Bin]:
        rows = self.conn.execute(
            sa.select(bins.c.id, bins.c.code, zones.c.code.label("zone_code"))
            .select_from(bins.join(zones, bins.c.zone_id == zones.c.id))
            .where(bins.c.location_id == location_id)
            .order_by(zones.c.code, bins.c.code)
        )
        return [Bin(r.id, r.code, r.zone_code) for r in rows]

    def add_bins(self, location_id: int, zone_id: int, codes: list[str]) -> None:
        self.conn.execute(
            bins.insert(),
            [{"location_id": location_id, "zone_id": zone_id, "code": c} for c in codes],
        )

    def existing_bin_codes(self, location_id: int, codes: list[str]) -> set[str]:
        rows = self.conn.execute(
            sa.select(bins.c.code).where(bins.c.location_id == location_id, bins.c.code.in_(codes))
        )
        return {r.code for r in rows}


def spec_values(spec: LocationSpec) -> dict[str, Any]:
    a = spec.address
    return {
        "code": spec.code,
        "name": spec.name,
        "kind": spec.kind.value,
        "address_line1": a.line1,
        "address_line2": a.line2,
        "city": a.city,
        "postal_code": a.postal_code,
        "region": a.region,
        "country": a.country,
        "latitude": spec.latitude,
        "longitude": spec.longitude,
        "timezone": spec.timezone,
        "can_ship": spec.can_ship,
        "can_pickup": spec.can_pickup,
        "accepts_returns": spec.accepts_returns,
        "priority": spec.priority,
        "is_active": spec.is_active,
        "daily_order_capacity": spec.daily_order_capacity,
    }


def _location(row: Row[Any]) -> Location:
    spec = LocationSpec(
        code=row.code,
        name=row.name,
        kind=LocationKind(row.kind),
        address=Address(
            row.address_line1, row.address_line2, row.city, row.postal_code, row.region, row.country
        ),
        latitude=row.latitude,
        longitude=row.longitude,
        timezone=row.timezone,
        can_ship=row.can_ship,
        can_pickup=row.can_pickup,
        accepts_returns=row.accepts_returns,
        priority=row.priority,
        is_active=row.is_active,
        daily_order_capacity=row.daily_order_capacity,
    )
    return Location(row.id, spec)
