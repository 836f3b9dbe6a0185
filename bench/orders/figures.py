"""One figure each: ping or orders through HTTP, or the raw-SQL ceiling, for N clients."""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable

from bench.clients import Client
from bench.orders.bodies import OrderMaker
from bench.orders.http1 import request_bytes
from bench.orders.load import HttpMeasurement, NextRequest, Target, measure_http
from bench.orders.raw import RawPostgresOrders, RawSqliteOrders, held_by, release
from bench.orders.rawshop import RawShop
from bench.orders.seed import Shop
from bench.timing import Measurement, Window, measure

ORDERS = "/api/v1/orders"
PING = "/api/v1/ping"


def ping(target: Target, clients: int, window: Window) -> HttpMeasurement:
    request = request_bytes(target.url, "GET", PING)
    return measure_http(target, clients, window, lambda _client: lambda: request, ok=200)


def http_orders(
    target: Target, shop: Shop, mix: str, clients: int, window: Window, lines: int
) -> HttpMeasurement:
    tag = f"{mix}{clients}-{uuid.uuid4().hex[:6]}"  # external ids unique across runs too

    def make_next(client: int) -> NextRequest:
        maker = OrderMaker(shop, mix, lines, client=f"{tag}-{client}")
        return lambda: request_bytes(target.url, "POST", ORDERS, maker.body(), token=shop.token)

    return measure_http(target, clients, window, make_next, ok=201)


def raw_orders(
    target: str,
    shop: RawShop,
    mix: str,
    clients: int,
    window: Window,
    lines: int,
    database_cpu: Callable[[], float] | None = None,
) -> Measurement:
    """The ceiling's figure; what its orders reserved is given back afterwards (also when
    the figure failed), so the ledger still explains every unit. ``probed`` holds the CPU
    of this process (the clients) and of the database server (``database_cpu``; NaN
    without), per second of window."""
    sqlite = not target.startswith("postgresql")
    made: list[RawSqliteOrders | RawPostgresOrders] = []

    def make(seed: int) -> Client:
        client = (
            RawSqliteOrders(target, shop, mix, lines, seed)
            if sqlite
            else RawPostgresOrders(target, shop, mix, lines, seed)
        )
        made.append(client)
        return client

    try:
        return measure(make, clients, window, (time.process_time, database_cpu or _unknown))
    finally:
        release(target, held_by(made))


def _unknown() -> float:
    return math.nan
