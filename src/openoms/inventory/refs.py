"""Turning the codes people and channels use into ids, through the owning domains."""

from __future__ import annotations

from collections.abc import Iterable

from openoms.catalog import services as catalog
from openoms.catalog.model import SkuNotFound
from openoms.infra.db import UnitOfWork
from openoms.locations import services as locations
from openoms.locations.model import BinNotFound, LocationNotFound


def sku_ids(uow: UnitOfWork, codes: Iterable[str]) -> dict[str, int]:
    """Raises: SkuNotFound listing every unknown code."""
    wanted = sorted(set(codes))
    found = catalog.sku_refs(uow, wanted)
    missing = [c for c in wanted if c not in found]
    if missing:
        raise SkuNotFound(f"Unknown SKU: {', '.join(missing)}.", skus=missing)
    return {code: ref[0] for code, ref in found.items()}


def location_id(uow: UnitOfWork, code: str) -> int:
    """Raises: LocationNotFound."""
    found = locations.location_refs(uow, [code])
    if code not in found:
        raise LocationNotFound(f"No location with code '{code}'.", code=code)
    return found[code]


def bin_id(uow: UnitOfWork, location_id_: int, location_code: str, code: str | None) -> int | None:
    """Raises: BinNotFound."""
    if code is None:
        return None
    found = locations.bin_id(uow, location_id_, code)
    if found is None:
        raise BinNotFound(f"No bin '{code}' at {location_code}.", bin=code)
    return found
