"""Every table of every domain on one MetaData, for migrations and schema checks."""

from __future__ import annotations

from openoms.catalog import orm as catalog_orm
from openoms.infra import idempotency, outbox, sequences
from openoms.infra.db import metadata
from openoms.inventory import orm as inventory_orm
from openoms.locations import orm as locations_orm

_ALL = (catalog_orm, locations_orm, inventory_orm, idempotency, outbox, sequences)
target_metadata = metadata
