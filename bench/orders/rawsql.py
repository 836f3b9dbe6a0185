"""The minimal SQL of one order, and its parameters: what the ceiling sends per order.

One transaction: INSERT the order row (RETURNING id), INSERT its 3 lines in one statement,
3 guarded stock UPDATEs in stock-row id order, INSERT one outbox row, COMMIT.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bench.orders.bodies import ADDRESS
from bench.orders.rawshop import Item, RawShop
from bench.orders.seed import PRICE_MINOR

LINE_TAX = round(PRICE_MINOR - PRICE_MINOR / 1.21)  # 21 % VAT inside the price
ORDER_COLUMNS = (
    "number, channel_id, channel_code, external_id, customer_id, email, currency, locale,"
    " status, special_codes, billing_address, shipping_address, subtotal_amount,"
    " discount_amount, shipping_amount, tax_amount, total_amount, prices_include_tax,"
    " base_currency, base_total_amount, fx_rate, tags, sourcing, placed_at, updated_at"
)
LINE_COLUMNS = (
    "order_id, line_no, sku_id, sku_code, name, quantity_ordered, quantity_allocated,"
    " unit_price_amount, discount_amount, tax_rate, tax_amount, total_amount"
)
ORDER_JSON = (9, 10, 11, 21, 22)  # positions of the JSON columns above
RESERVE = (
    "UPDATE stock_levels SET reserved = reserved + {p}"
    " WHERE id = {p} AND on_hand - reserved - safety_stock >= {p}"
)
OUTBOX = (
    "INSERT INTO outbox_events (id, name, aggregate, payload, occurred_at)"
    " VALUES ({p}, {p}, {p}, {json}, {p})"
)
ADDRESS_JSON = json.dumps(ADDRESS)


@dataclass(frozen=True)
class Statements:
    order: str
    lines: str
    reserve: str
    outbox: str


def statements(param: str, json_param: str, lines: int) -> Statements:
    """The four statements in a driver's paramstyle (``?`` or ``%s``, JSON cast or not)."""
    order_values = [json_param if i in ORDER_JSON else param for i in range(25)]
    line_values = "(" + ", ".join([param] * 12) + ")"
    return Statements(
        order=f"INSERT INTO orders ({ORDER_COLUMNS}) VALUES ({', '.join(order_values)})"
        " RETURNING id",
        lines=f"INSERT INTO order_lines ({LINE_COLUMNS}) VALUES "
        + ", ".join([line_values] * lines),
        reserve=RESERVE.format(p=param),
        outbox=OUTBOX.format(p=param, json=json_param),
    )


class RawOrders:
    """The parameters of one client's orders; the timestamp type is the driver's."""

    def __init__(self, shop: RawShop, mix: str, lines: int, seed: int, sqlite: bool) -> None:
        self._shop = shop
        self._hot = mix == "hot"
        self._lines = lines
        self._rng = random.Random(seed)
        self._tag = f"R{seed:03d}{uuid.uuid4().hex[:4]}"
        self._sqlite = sqlite
        self._count = 0
        self.items: list[Item] = []

    def next_order(self) -> tuple[Any, ...]:
        """Choose the next order's SKUs (``items``) and return its order-row parameters."""
        self._count += 1
        shop_items = self._shop.items
        self.items = (
            list(shop_items[: self._lines])
            if self._hot
            else self._rng.sample(shop_items, self._lines)
        )
        customer_id, email = self._rng.choice(self._shop.customers)
        total = PRICE_MINOR * self._lines
        now = self._now()
        return (
            f"{self._tag}-{self._count}", self._shop.channel_id, self._shop.channel,
            f"raw-{self._tag}-{self._count}", customer_id, email, "EUR", "en", "allocated",
            "[]", ADDRESS_JSON, ADDRESS_JSON, total, 0, 0, LINE_TAX * self._lines, total,
            True, "EUR", total, "1", "[]", '["nearest"]', now, now,
        )  # fmt: skip

    def line_params(self, order_id: int) -> tuple[Any, ...]:
        params: list[Any] = []
        for no, item in enumerate(self.items, start=1):
            params += [order_id, no, item.sku_id, item.code, item.name, 1, 1]
            params += [PRICE_MINOR, 0, "0.21", LINE_TAX, PRICE_MINOR]
        return tuple(params)

    def outbox_params(self, number: str) -> tuple[Any, ...]:
        payload = {"number": number, "channel": self._shop.channel, "status": "allocated"}
        event_id, aggregate = str(uuid.uuid4()), f"order:{number}"
        return (event_id, "order.created", aggregate, json.dumps(payload), self._now())

    def _now(self) -> Any:
        now = datetime.now(UTC)
        return now.replace(tzinfo=None).isoformat(sep=" ") if self._sqlite else now
