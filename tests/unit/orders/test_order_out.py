"""An order as the API answers it: every amount in the order's currency, with its decimals."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from openoms.orders.model import Allocation, Order, OrderLine, OrderStatus
from openoms.orders.schemas import OrderOut
from openoms.shared.money import Money
from openoms.web.schemas import MoneyOut

AT = datetime(2026, 12, 7, 10, 1, 39, 906596, tzinfo=UTC)


def _order(currency: str, base: int | None, *, shipping: dict[str, str] | None) -> Order:
    line = OrderLine(
        line_no=1,
        sku="TEE-S",
        name="Tee, small",
        quantity_ordered=3,
        unit_price_amount=1999,
        discount_amount=5,
        tax_rate="0.21",
        tax_amount=1041,
        total_amount=5992,
        quantity_allocated=2,
        quantity_backordered=1,
    )
    return Order(
        id=7,
        number="SO-000007",
        channel="WEB",
        external_id=None,
        customer_id=42,
        email="ann@example.com",
        currency=currency,
        locale="en",
        status=OrderStatus.ALLOCATED,
        hold_reason=None,
        priority=2,
        special_codes=["rush"],
        billing_address={"name": "Ann", "country": "NL"},
        shipping_address=shipping,
        pickup_location=None,
        shipping_service="standard",
        subtotal_amount=5997,
        discount_amount=5,
        shipping_amount=-1,  # any integer: the response says what the order holds
        tax_amount=1041,
        total_amount=5991,
        prices_include_tax=True,
        base_currency="EUR",
        base_total_amount=base,
        fx_rate="1.25" if base is not None else None,
        sales_rep=None,
        notes="",
        tags=["vip"],
        sourcing=["WH-AMS can ship every line."],
        placed_at=AT,
        updated_at=AT,
        version=3,
        lines=[line],
        allocations=[Allocation(1, "TEE-S", "WH-AMS", 2, reservation_id=9)],
    )


def _money(amount: int, currency: str) -> dict[str, object]:
    return MoneyOut.of(Money(amount, currency)).model_dump()


@pytest.mark.parametrize("currency", ["EUR", "JPY", "KWD"])
@pytest.mark.parametrize("base", [None, 4793])
def test_every_amount_is_the_orders_money(currency: str, base: int | None) -> None:
    out = json.loads(OrderOut.of(_order(currency, base, shipping=None)).model_dump_json())
    totals = out["totals"]
    for name, amount in [
        ("subtotal", 5997),
        ("discount", 5),
        ("shipping", -1),
        ("tax", 1041),
        ("total", 5991),
    ]:
        assert totals[name] == _money(amount, currency)
    assert totals["base_total"] == (None if base is None else _money(base, "EUR"))
    assert totals["fx_rate"] == ("1.25" if base is not None else None)
    [line] = out["lines"]
    assert line["unit_price"] == _money(1999, currency)
    assert line["total"] == _money(5992, currency)
    assert line["quantity_backordered"] == 1
    assert line["quantity_shipped"] == 0
    assert out["allocations"] == [
        {"line_no": 1, "sku": "TEE-S", "location": "WH-AMS", "quantity": 2}
    ]


def test_the_order_answers_with_every_field_it_holds() -> None:
    order = _order("KWD", None, shipping={"name": "Ann", "country": "KW"})
    out = json.loads(OrderOut.of(order).model_dump_json())
    assert out["customer"] == "CUS-000042"
    assert out["status"] == "allocated"
    assert out["shipping_address"] == {"name": "Ann", "country": "KW"}
    assert out["totals"]["total"] == {"currency": "KWD", "amount": "5.991", "amount_minor": 5991}
    assert out["placed_at"] == "2026-12-07T10:01:39.906596Z"
    assert out["special_codes"] == ["rush"]
    assert out["payment_status"] == "unpaid"
    assert set(out) == set(OrderOut.model_fields)
