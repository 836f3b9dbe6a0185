"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect

from openoms.shared.clock import as_utc


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC in and out; ``timestamptz`` on PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use openoms.shared.clock")
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002 (the signature is SQLAlchemy's)
    ) -> datetime | None:
        return None if value is None else as_utc(value)


JSON: Any = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
