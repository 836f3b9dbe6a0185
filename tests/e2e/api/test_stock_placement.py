"""Placing stock over HTTP: safety stock and relocations between bins."""

from __future__ import annotations

from typing import Any

import pytest

from tests.builders import random_code
from tests.e2e.api.client import ApiClient, expected_level, field_errors

# --- safety stock --------------------------------------------------------------------------


@pytest.mark.covers("PUT /inventory/safety-stock", "GET /inventory/availability")
def test_safety_stock_is_held_back_from_what_can_be_promised(
    api: ApiClient, warehouse: str, sku: str
) -> None:
    # given
    api.receive(warehouse, sku, 10)

    # when
    response = api.put(
        "/inventory/safety-stock", {"location": warehouse, "sku": sku, "quantity": 4}
    )
    too_much = api.post(
        "/inventory/reservations",
        {"owner_ref": random_code("ORD"), "lines": [{"sku": sku, "quantity": 7}]},
    )

    # then
    assert response.status_code == 200
    assert response.json() == expected_level(sku, warehouse, 10, safety=4)
    assert api.level(sku, warehouse) == {k: v for k, v in response.json().items() if k != "sku"}
    assert too_much.status_code == 409
    assert too_much.json()["shortages"] == [
        {"sku": sku, "location": None, "requested": 7, "available": 6}
    ]
    assert api.reserve(sku, 6)["quantity"] == 6
    assert api.movements(sku=sku, kind="reservation")[0]["on_hand_delta"] == 0


@pytest.mark.covers("PUT /inventory/safety-stock")
def test_safety_stock_can_be_set_before_any_stock_arrives(
    api: ApiClient, warehouse: str, sku: str
) -> None:
    response = api.put(
        "/inventory/safety-stock", {"location": warehouse, "sku": sku, "quantity": 2}
    )

    assert response.status_code == 200
    assert response.json() == expected_level(sku, warehouse, 0, safety=2)


@pytest.mark.covers("PUT /inventory/safety-stock")
@pytest.mark.parametrize(
    ("changes", "field"), [({"quantity": -1}, "quantity"), ({"quantity": None}, "quantity")]
)
def test_a_bad_safety_stock_is_refused(
    api: ApiClient, warehouse: str, sku: str, changes: dict[str, Any], field: str
) -> None:
    body = {"location": warehouse, "sku": sku, "quantity": 1} | changes

    response = api.put("/inventory/safety-stock", body)

    assert response.status_code == 422
    assert list(field_errors(response)) == [field]


@pytest.mark.covers("PUT /inventory/safety-stock")
@pytest.mark.parametrize(
    ("field", "value", "code"),
    [("location", "NO-SUCH-LOCATION", "location_not_found"), ("sku", "NO-SUCH", "sku_not_found")],
)
def test_safety_stock_of_an_unknown_thing_is_404(
    api: ApiClient, warehouse: str, sku: str, field: str, value: str, code: str
) -> None:
    body = {"location": warehouse, "sku": sku, "quantity": 1}

    response = api.put("/inventory/safety-stock", body | {field: value})

    assert response.status_code == 404
    assert response.json()["code"] == code


# --- relocations ---------------------------------------------------------------------------


@pytest.mark.covers("POST /inventory/relocations")
def test_loose_stock_is_put_away_and_moved_between_bins(
    api: ApiClient, warehouse: str, sku: str
) -> None:
    # given
    api.add_bins(warehouse, ["A-01", "A-02"])
    api.receive(warehouse, sku, 10)

    # when
    put_away = api.post(
        "/inventory/relocations",
        {"location": warehouse, "sku": sku, "quantity": 6, "to_bin": "A-01"},
    )
    moved = api.post(
        "/inventory/relocations",
        {"location": warehouse, "sku": sku, "quantity": 4, "from_bin": "A-01", "to_bin": "A-02"},
    )

    # then
    assert put_away.status_code == 201
    assert put_away.json() == expected_level(sku, warehouse, 10)
    assert moved.status_code == 201
    assert moved.json() == expected_level(sku, warehouse, 10)
    relocations = api.movements(sku=sku, kind="relocation")
    assert [(m["bin"], m["on_hand_delta"]) for m in reversed(relocations)] == [
        (None, -6),
        ("A-01", 6),
        ("A-01", -4),
        ("A-02", 4),
    ]


@pytest.mark.covers("POST /inventory/relocations")
@pytest.mark.parametrize(
    ("source", "quantity", "movable"), [(None, 7, 6), ("A-01", 5, 4)], ids=["loose", "bin"]
)
def test_moving_more_than_the_source_holds_is_insufficient_stock(
    api: ApiClient, warehouse: str, sku: str, source: str | None, quantity: int, movable: int
) -> None:
    # given: 4 units in A-01, 6 loose
    api.add_bins(warehouse, ["A-01", "A-02"])
    api.receive(warehouse, sku, 4, bin="A-01")
    api.receive(warehouse, sku, 6)

    # when
    response = api.post(
        "/inventory/relocations",
        {
            "location": warehouse,
            "sku": sku,
            "quantity": quantity,
            "from_bin": source,
            "to_bin": "A-02",
        },
    )

    # then
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_stock"
    assert response.json()["shortages"][0]["available"] == movable
    assert api.movements(sku=sku, kind="relocation") == []


@pytest.mark.covers("POST /inventory/relocations")
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"from_bin": "A-01", "to_bin": "A-01"}, "to_bin"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": -3}, "quantity"),
        ({"to_bin": None}, "to_bin"),
    ],
)
def test_a_bad_relocation_is_refused(
    api: ApiClient, warehouse: str, sku: str, changes: dict[str, Any], field: str
) -> None:
    body = {"location": warehouse, "sku": sku, "quantity": 1, "to_bin": "A-02"} | changes

    response = api.post("/inventory/relocations", body)

    assert response.status_code == 422
    assert list(field_errors(response)) == [field]


@pytest.mark.covers("POST /inventory/relocations")
@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"to_bin": "Z-99"}, "bin_not_found"),
        ({"from_bin": "Z-99"}, "bin_not_found"),
        ({"sku": "NO-SUCH-SKU"}, "sku_not_found"),
        ({"location": "NO-SUCH-LOCATION"}, "location_not_found"),
    ],
)
def test_a_relocation_of_an_unknown_thing_is_404(
    api: ApiClient, warehouse: str, sku: str, changes: dict[str, Any], code: str
) -> None:
    api.add_bins(warehouse, ["A-01"])
    api.receive(warehouse, sku, 1)
    body = {"location": warehouse, "sku": sku, "quantity": 1, "to_bin": "A-01"} | changes

    response = api.post("/inventory/relocations", body)

    assert response.status_code == 404
    assert response.json()["code"] == code
