"""Carts in and out of their tables, as ``Cart`` dataclasses; inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from openoms.carts.model import Cart, CartLine, CartStatus
from openoms.carts.orm import cart_lines, carts

_c = carts.c
_l = cart_lines.c


class CartRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, token: str) -> Cart | None:
        return self._one(sa.select(carts).where(_c.token == token))

    def lock(self, token: str) -> Cart | None:
        """The cart, its row locked until commit (PostgreSQL; SQLite writers queue anyway)."""
        return self._one(self._locking(sa.select(carts).where(_c.token == token)))

    def lock_if_free(self, token: str) -> Cart | None:
        """The cart locked, or None when another transaction holds it (PostgreSQL)."""
        query = sa.select(carts).where(_c.token == token)
        if self.conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return self._one(query)

    def add(self, cart: Cart, channel_id: int) -> int:
        cart_id = self.conn.execute(
            carts.insert()
            .values(token=cart.token, channel_id=channel_id, **self._header(cart))
            .returning(_c.id)
        ).scalar_one()
        cart.id = int(cart_id)
        self._write_lines(cart)
        return cart.id

    def save(self, cart: Cart) -> None:
        """Write the header (bumping the version) and replace the lines."""
        self.conn.execute(
            carts.update()
            .where(_c.id == cart.id)
            .values(**self._header(cart), version=_c.version + 1)
        )
        cart.version += 1
        self.conn.execute(cart_lines.delete().where(_l.cart_id == cart.id))
        self._write_lines(cart)

    def due_tokens(self, now: datetime, limit: int) -> list[str]:
        """Open carts whose time ran out, oldest expiry first."""
        return list(
            self.conn.execute(
                sa.select(_c.token)
                .where(_c.status == CartStatus.OPEN.value, _c.expires_at <= now)
                .order_by(_c.expires_at, _c.id)
                .limit(limit)
            ).scalars()
        )

    def load_many(self, rows: Sequence[Row[Any]]) -> list[Cart]:
        """Carts of the given header rows, with their lines, in one more query."""
        lines = self._lines([r.id for r in rows])
        return [_cart(r, lines.get(r.id, [])) for r in rows]

    def _one(self, query: sa.Select[Any]) -> Cart | None:
        row = self.conn.execute(query).first()
        if row is None:
            return None
        return _cart(row, self._lines([row.id]).get(row.id, []))

    def _locking(self, query: sa.Select[Any]) -> sa.Select[Any]:
        return query.with_for_update() if self.conn.dialect.name == "postgresql" else query

    def _lines(self, cart_ids: list[int]) -> dict[int, list[CartLine]]:
        if not cart_ids:
            return {}
        out: dict[int, list[CartLine]] = {}
        rows = self.conn.execute(
            sa.select(cart_lines).where(_l.cart_id.in_(cart_ids)).order_by(_l.cart_id, _l.position)
        )
        for r in rows:
            line = CartLine(r.sku_code, r.name, r.quantity, r.unit_price_amount)
            out.setdefault(r.cart_id, []).append(line)
        return out

    def _write_lines(self, cart: Cart) -> None:
        if not cart.lines:
            return
        self.conn.execute(
            cart_lines.insert(),
            [
                {
                    "cart_id": cart.id,
                    "position": i,
                    "sku_code": line.sku,
                    "name": line.name,
                    "quantity": line.quantity,
                    "unit_price_amount": line.unit_price_amount,
                }
                for i, line in enumerate(cart.lines, start=1)
            ],
        )

    @staticmethod
    def _header(cart: Cart) -> dict[str, Any]:
        return {
            "channel_code": cart.channel,
            "currency": cart.currency,
            "email": cart.email,
            "status": cart.status.value,
            "ttl_minutes": cart.ttl_minutes,
            "value_amount": cart.value_amount,
            "created_at": cart.created_at,
            "updated_at": cart.updated_at,
            "expires_at": cart.expires_at,
            "abandoned_at": cart.abandoned_at,
            "checked_out_at": cart.checked_out_at,
            "order_number": cart.order_number,
        }


def _cart(row: Row[Any], lines: list[CartLine]) -> Cart:
    return Cart(
        id=row.id,
        token=row.token,
        channel=row.channel_code,
        currency=row.currency,
        email=row.email,
        status=CartStatus(row.status),
        ttl_minutes=row.ttl_minutes,
        created_at=row.created_at,
        updated_at=row.updated_at,
        expires_at=row.expires_at,
        abandoned_at=row.abandoned_at,
        checked_out_at=row.checked_out_at,
        order_number=row.order_number,
        version=row.version,
        lines=lines,
    )
