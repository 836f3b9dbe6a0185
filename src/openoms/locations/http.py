"""Locations API: warehouses and stores, zones and bins."""

from __future__ import annotations

from fastapi import APIRouter, status

from openoms.identity.model import Permission as P
from openoms.locations import services
from openoms.locations.model import LocationKind
from openoms.locations.schemas import (
    BinOut,
    BinsCreate,
    LocationCreate,
    LocationOut,
    LocationUpdate,
    ZoneCreate,
    ZoneOut,
)
from openoms.web.auth import permit
from openoms.web.deps import ReadUow, WriteUow

router = APIRouter(tags=["locations"])


@router.post(
    "/locations", status_code=status.HTTP_201_CREATED, dependencies=[permit(P.LOCATIONS_MANAGE)]
)
def create_location(body: LocationCreate, uow: WriteUow) -> LocationOut:
    return LocationOut.of(services.create_location(uow, body.to_spec()))


@router.get("/locations", dependencies=[permit(P.LOCATIONS_VIEW)])
def list_locations(
    uow: ReadUow, kind: LocationKind | None = None, active: bool | None = None
) -> list[LocationOut]:
    return [
        LocationOut.of(loc)
        for loc in services.list_locations(uow, kind=kind.value if kind else None, is_active=active)
    ]


@router.get("/locations/{code}", dependencies=[permit(P.LOCATIONS_VIEW)])
def get_location(code: str, uow: ReadUow) -> LocationOut:
    return LocationOut.of(services.get_location(uow, code))


@router.patch("/locations/{code}", dependencies=[permit(P.LOCATIONS_MANAGE)])
def update_location(code: str, body: LocationUpdate, uow: WriteUow) -> LocationOut:
    # every field of a location is required, so an explicit null changes nothing
    changes = {k: getattr(body, k) for k in body.model_fields_set if getattr(body, k) is not None}
    if body.address is not None:
        changes["address"] = body.address.model_dump()
    return LocationOut.of(services.update_location(uow, code, changes))


@router.post(
    "/locations/{code}/zones",
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(P.LOCATIONS_MANAGE)],
)
def add_zone(code: str, body: ZoneCreate, uow: WriteUow) -> ZoneOut:
    return ZoneOut.of(services.add_zone(uow, code, body.code, body.name))


@router.post(
    "/locations/{code}/bins",
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(P.LOCATIONS_MANAGE)],
)
def add_bins(code: str, body: BinsCreate, uow: WriteUow) -> list[BinOut]:
    return [BinOut.of(b) for b in services.add_bins(uow, code, body.zone, body.codes)]


@router.get("/locations/{code}/bins", dependencies=[permit(P.LOCATIONS_VIEW)])
def list_bins(code: str, uow: ReadUow) -> list[BinOut]:
    return [BinOut.of(b) for b in services.list_bins(uow, code)]
