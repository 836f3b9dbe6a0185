"""The database budget of one ``POST /api/v1/orders``, the whole request in-process: the
token check, placement, fraud screening, the audit entry and the response. A deterministic
guard on the round trips the order benchmark pays for (docs/benchmarks.md)."""

from __future__ import annotations

import asyncio
from typing import Any

import anyio.to_thread
import httpx
import pytest

from openoms.accounting import services as accounting
from openoms.identity.model import Permission
from openoms.infra.db import Database
from openoms.infra.settings import Settings
from openoms.web.app import create_app
from tests.builders import make_channel, make_location, make_skus, make_token, random_code, stock
from tests.integration.payment_setup import gateways_for
from tests.sql_events import Recorded, recorded

# place_order (2 on PostgreSQL, 12 on SQLite with its BEGIN IMMEDIATE), screening (the
# velocity counts with the customer's history, its row, its timeline event), the audit entry:
# on PostgreSQL the counts are read with the placement's first reads, and the rest is
# queued with the order's rows and written by the stock hold's statement, before it locks
# the stock rows
BUDGET = {"postgresql": 2, "sqlite": 16}
ADDRESS = {
    "name": "Ann Buyer",
    "line1": "Oudegracht 1",
    "postal_code": "3511 AA",
    "city": "Utrecht",
    "country": "NL",
    "latitude": 52.09,
    "longitude": 5.12,
}


def test_an_unpaid_order_through_the_api_is_one_commit_and_few_statements(
    db: Database, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a shop whose token was used a moment ago and whose customer exists
    skus = make_skus(db, 3)
    site = make_location(db, lat=52.37, lon=4.89).code
    for sku in skus:
        stock(db, sku, site, 10)
    accounting.set_tax_rate(db.uow(), "NL", "", "0.21", "BTW")
    channel = make_channel(db)
    token = make_token(db, frozenset({Permission.ORDERS_CREATE}))
    email = f"{random_code('c').lower()}@example.com"
    settings = Settings(
        secret_key="k" * 40,
        embedded_worker=False,
        mail_folder=str(tmp_path),
        token_cache_seconds=60,
    )
    app = create_app(settings, db, gateways=gateways_for(db), carrier_apis={})

    def body() -> dict[str, Any]:
        return {
            "channel": channel,
            "external_id": random_code("X"),
            "customer": {"email": email, "name": "Ann Buyer"},
            "currency": "EUR",
            "billing_address": ADDRESS,
            "shipping_address": ADDRESS,
            "lines": [{"sku": sku, "quantity": 1} for sku in skus],
        }

    hops: list[str] = []  # trips to a worker thread (starlette's run_in_threadpool)
    to_thread = anyio.to_thread.run_sync

    async def counted(func: Any, *args: Any, **kwargs: Any) -> Any:
        hops.append(getattr(func, "__name__", repr(func)))
        return await to_thread(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)

    async def place_two() -> tuple[list[int], Recorded]:
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://oms") as client:
            first = await client.post("/api/v1/orders", json=body(), headers=headers)
            hops.clear()
            with recorded(db.engine) as sent:
                second = await client.post("/api/v1/orders", json=body(), headers=headers)
            again = [s.sql[:90] for s in sent.statements if not s.compiled_once]
            assert not again, "compiled at every order:\n" + "\n".join(again)
            return [first.status_code, second.status_code], sent

    # when
    codes, sent = asyncio.run(place_two())
    statements = [s.sql for s in sent.statements]
    # then
    assert codes == [201, 201]
    assert sent.commits == 1
    # one trip to a worker thread: the handler, which also serializes its response
    assert len(hops) == 1, hops
    budget = BUDGET[db.engine.dialect.name]
    assert len(statements) <= budget, f"{len(statements)} statements:\n" + "\n".join(
        s[:90] for s in statements
    )
    # the audit entry is written before the stock rows are locked, not while they are: by
    # a statement of its own before the hold, or first thing in the hold's own statement
    # (tests/integration/test_writes_first.py watches it happen)
    audit = next(i for i, s in enumerate(statements) if "INSERT INTO audit_log" in s)
    hold = next(i for i, s in enumerate(statements) if "stock_levels" in s and "UPDATE" in s)
    if audit == hold:
        at_once = statements[hold]
        assert at_once.index("INSERT INTO audit_log") < at_once.index("FOR UPDATE")
        assert "WHERE (SELECT count(*) FROM first_done) >= 0" in at_once
    else:
        assert audit < hold
