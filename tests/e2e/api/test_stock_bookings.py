"""Booking stock over HTTP: receipts, adjustments and counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.builders import random_code
from tests.e2e.api.client import ApiClient, expected_level, field_errors

# --- receipts ------------------------------------------------------------------------------


@pytest.mark.covers("POST /inventory/receipts", "GET /inventory/movements")
def test_a_receipt_adds_on_hand_and_writes_one_movement_per_line(
    api: ApiClient, warehouse: str
) -> None:
    # given
    first, second = api.create_sku(), api.create_sku()
    api.receive(warehouse, first, 4)
    reference = random_code("ASN")

    # when
    response = api.post(
        "/inventory/receipts",
        {
            "location": warehouse,
            "reference": reference,
            "lines": [
                {"sku": first, "quantity": 6},
                {"sku": second, "quantity": 3},
                {"sku": first, "quantity": 1},
            ],
        },
    )

    # then
    assert response.status_code == 201
    assert response.json() == [
        expected_level(first, warehouse, 11),
        expected_level(second, warehouse, 3),
    ]
    moved = api.movements(reference=reference)
    assert sorted((m["sku"], m["kind"], m["on_hand_delta"], m["actor"]) for m in moved) == sorted(
        [(first, "receipt", 7, api.actor), (second, "receipt", 3, api.actor)]
    )


@pytest.mark.covers("POST /inventory/receipts")
def test_a_receipt_into_a_bin_records_the_bin(api: ApiClient, warehouse: str, sku: str) -> None:
    api.add_bins(warehouse, ["A-01"])

    levels = api.receive(warehouse, sku, 5, bin="A-01")

    assert levels == [expected_level(sku, warehouse, 5)]
    assert [(m["kind"], m["bin"], m["on_hand_delta"]) for m in api.movements(sku=sku)] == [
        ("receipt", "A-01", 5)
    ]


@pytest.mark.covers("POST /inventory/receipts")
@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([{"sku": "X", "quantity": -1}], "lines[0].quantity"),
        ([{"sku": "X", "quantity": 1}, {"sku": "X", "quantity": 0}], "lines[1].quantity"),
        ([{"sku": "X", "quantity": 1_000_000_001}], "lines[0].quantity"),
        ([{"sku": "X", "quantity": 1.5}], "lines[0].quantity"),
        ([{"quantity": 1}], "lines[0].sku"),
        ([], "lines"),
    ],
)
def test_a_receipt_with_a_bad_line_is_refused(
    api: ApiClient, warehouse: str, lines: list[dict[str, Any]], field: str
) -> None:
    response = api.post("/inventory/receipts", {"location": warehouse, "lines": lines})

    assert response.status_code == 422
    assert list(field_errors(response)) == [field]


@pytest.mark.covers("POST /inventory/receipts")
def test_a_receipt_with_unknown_skus_names_them_all_and_books_nothing(
    api: ApiClient, warehouse: str, sku: str
) -> None:
    response = api.post(
        "/inventory/receipts",
        {
            "location": warehouse,
            "lines": [
                {"sku": sku, "quantity": 5},
                {"sku": "NO-SUCH-B", "quantity": 1},
                {"sku": "NO-SUCH-A", "quantity": 1},
            ],
        },
    )

    assert response.status_code == 404
    assert response.json()["code"] == "sku_not_found"
    assert response.json()["skus"] == ["NO-SUCH-A", "NO-SUCH-B"]
    assert api.level(sku, warehouse)["on_hand"] == 0
    assert api.movements(sku=sku) == []


@pytest.mark.covers("POST /inventory/receipts")
@pytest.mark.parametrize(
    ("location", "bin", "code"),
    [("NO-SUCH-LOCATION", None, "location_not_found"), (None, "Z-99", "bin_not_found")],
)
def test_a_receipt_at_an_unknown_place_is_404(
    api: ApiClient, warehouse: str, sku: str, location: str | None, bin: str | None, code: str
) -> None:
    response = api.post(
        "/inventory/receipts",
        {"location": location or warehouse, "lines": [{"sku": sku, "quantity": 1, "bin": bin}]},
    )

    assert response.status_code == 404
    assert response.json()["code"] == code
    assert api.level(sku, warehouse)["on_hand"] == 0


# --- adjustments ---------------------------------------------------------------------------


@pytest.mark.covers("POST /inventory/adjustments")
def test_adjustments_add_and_remove_stock_with_a_reason(
    api: ApiClient, warehouse: str, sku: str
) -> None:
    api.receive(warehouse, sku, 10)

    found = api.post(
        "/inventory/adjustments",
        {"location": warehouse, "sku": sku, "quantity_delta": 2, "reason": "found"},
    )
    damaged = api.post(
        "/inventory/adjustments",
        {
            "location": warehouse,
            "sku": sku,
            "quantity_delta": -5,
            "reason": "damaged",
            "reference": "RMA-1",
        },
    )

    assert found.status_code == 201
    assert found.json() == expected_level(sku, warehouse, 12)
    assert damaged.status_code == 201
    assert damaged.json() == expected_level(sku, warehouse, 7)
    adjustments = api.movements(sku=sku, kind="adjustment")
    assert [(m["on_hand_delta"], m["reason"], m["reference"]) for m in adjustments] == [
        (-5, "damaged", "RMA-1"),
        (2, "found", ""),
    ]


@pytest.mark.covers("POST /inventory/adjustments")
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"quantity_delta": 0}, "quantity_delta"),
        ({"quantity_delta": "lots"}, "quantity_delta"),
        ({"reason": "gremlins"}, "reason"),
        ({"reference": "x" * 121}, "reference"),
    ],
)
def test_an_adjustment_with_a_bad_field_is_refused(
    api: ApiClient, warehouse: str, sku: str, changes: dict[str, Any], field: str
) -> None:
    body = {"location": warehouse, "sku": sku, "quantity_delta": 1, "reason": "found"} | changes

    response = api.post("/inventory/adjustments", body)

    assert response.status_code == 422
    assert list(field_errors(response)) == [field]


@pytest.mark.covers("POST /inventory/adjustments")
def test_removing_more_than_is_on_hand_is_insufficient_stock(
    api: ApiClient, warehouse: str, sku: str
) -> None:
    api.receive(warehouse, sku, 3)

    response = api.post(
        "/inventory/adjustments",
        {"location": warehouse, "sku": sku, "quantity_delta": -4, "reason": "lost"},
    )

    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_stock"
    assert response.json()["shortages"] == [
        {"sku": sku, "location": warehouse, "requested": 4, "available": 3}
    ]
    assert api.level(sku, warehouse)["on_hand"] == 3


@pytest.mark.covers("POST /inventory/adjustments")
def test_removing_stock_below_what_is_reserved_conflicts(
    api: ApiClient, warehouse: str, sku: str
) -> None:
    # given
    api.receive(warehouse, sku, 10)
    api.reserve(sku, 8, location=warehouse)

    # when
    response = api.post(
        "/inventory/adjustments",
        {"location": warehouse, "sku": sku, "quantity_delta": -3, "reason": "damaged"},
    )

    # then
    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "stock_below_reserved"
    assert (problem["on_hand"], problem["reserved"]) == (10, 8)
    assert api.level(sku, warehouse) == {
        "location": warehouse,
        "on_hand": 10,
        "reserved": 8,
        "safety_stock": 0,
        "available": 2,
    }
    assert api.movements(sku=sku, kind="adjustment") == []


@pytest.mark.covers("POST /inventory/adjustments")
@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("location", "NO-SUCH-LOCATION", "location_not_found"),
        ("sku", "NO-SUCH-SKU", "sku_not_found"),
        ("bin", "Z-99", "bin_not_found"),
    ],
)
def test_an_adjustment_of_an_unknown_thing_is_404(
    api: ApiClient, warehouse: str, sku: str, field: str, value: str, code: str
) -> None:
    body = {"location": warehouse, "sku": sku, "quantity_delta": 1, "reason": "found"}

    response = api.post("/inventory/adjustments", body | {field: value})

    assert response.status_code == 404
    assert response.json()["code"] == code


# --- counts --------------------------------------------------------------------------------


@pytest.mark.covers("POST /inventory/counts")
def test_a_count_books_the_difference_as_count_movements(api: ApiClient, warehouse: str) -> None:
    # given
    over, under, new = api.create_sku(), api.create_sku(), api.create_sku()
    api.receive(warehouse, over, 10)
    api.receive(warehouse, under, 10)
    reference = random_code("COUNT")

    # when
    response = api.post(
        "/inventory/counts",
        {
            "location": warehouse,
            "reference": reference,
            "lines": [
                {"sku": over, "counted": 12},
                {"sku": under, "counted": 7},
                {"sku": new, "counted": 0},
            ],
        },
    )

    # then
    assert response.status_code == 201
    assert response.json() == [
        expected_level(over, warehouse, 12),
        expected_level(under, warehouse, 7),
        expected_level(new, warehouse, 0),
    ]
    counted = api.movements(reference=reference, kind="count")
    assert sorted((m["sku"], m["on_hand_delta"]) for m in counted) == sorted(
        [(over, 2), (under, -3)]
    )


@pytest.mark.covers("POST /inventory/counts")
def test_a_count_of_one_bin_changes_only_that_bin(api: ApiClient, warehouse: str, sku: str) -> None:
    api.add_bins(warehouse, ["A-01", "A-02"])
    api.receive(warehouse, sku, 5, bin="A-01")
    api.receive(warehouse, sku, 5, bin="A-02")

    response = api.post(
        "/inventory/counts",
        {"location": warehouse, "lines": [{"sku": sku, "counted": 2, "bin": "A-01"}]},
    )

    assert response.status_code == 201
    assert response.json() == [expected_level(sku, warehouse, 7)]
    [count] = api.movements(sku=sku, kind="count")
    assert (count["bin"], count["on_hand_delta"]) == ("A-01", -3)


@pytest.mark.covers("POST /inventory/counts")
@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([{"sku": "X", "counted": -1}], "lines[0].counted"),
        ([{"sku": "X", "counted": 1}, {"sku": "Y", "counted": -2}], "lines[1].counted"),
        ([{"sku": "X", "counted": 1}, {"sku": "X", "counted": 2}], "lines"),
        ([], "lines"),
    ],
)
def test_a_count_with_a_bad_line_is_refused(
    api: ApiClient, warehouse: str, lines: list[dict[str, Any]], field: str
) -> None:
    response = api.post("/inventory/counts", {"location": warehouse, "lines": lines})

    assert response.status_code == 422
    assert list(field_errors(response)) == [field]


@pytest.mark.covers("POST /inventory/counts")
def test_counting_less_than_is_reserved_conflicts_and_books_no_line(
    api: ApiClient, warehouse: str
) -> None:
    # given
    fine, held = api.create_sku(), api.create_sku()
    api.receive(warehouse, fine, 10)
    api.receive(warehouse, held, 10)
    api.reserve(held, 6, location=warehouse)

    # when
    response = api.post(
        "/inventory/counts",
        {
            "location": warehouse,
            "lines": [{"sku": fine, "counted": 4}, {"sku": held, "counted": 5}],
        },
    )

    # then
    assert response.status_code == 409
    assert response.json()["code"] == "stock_below_reserved"
    assert api.level(fine, warehouse)["on_hand"] == 10
    assert api.level(held, warehouse)["on_hand"] == 10
    assert api.movements(sku=fine, kind="count") == []


@pytest.mark.covers("POST /inventory/counts")
@pytest.mark.parametrize(
    ("location", "line", "code"),
    [
        ("NO-SUCH-LOCATION", {}, "location_not_found"),
        (None, {"sku": "NO-SUCH-SKU"}, "sku_not_found"),
        (None, {"bin": "Z-99"}, "bin_not_found"),
    ],
)
def test_a_count_of_an_unknown_thing_is_404(
    api: ApiClient,
    warehouse: str,
    sku: str,
    location: str | None,
    line: dict[str, Any],
    code: str,
) -> None:
    response = api.post(
        "/inventory/counts",
        {"location": location or warehouse, "lines": [{"sku": sku, "counted": 1} | line]},
    )

    assert response.status_code == 404
    assert response.json()["code"] == code


HUGE = 10**20  # beyond the 64-bit integers a database column holds


@pytest.mark.covers(
    "POST /inventory/adjustments",
    "POST /inventory/counts",
    "PUT /inventory/safety-stock",
    "PATCH /skus/{code}",
)
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        (
            "POST",
            "/inventory/adjustments",
            lambda sku, at: {"location": at, "sku": sku, "quantity_delta": HUGE, "reason": "found"},
        ),
        (
            "POST",
            "/inventory/counts",
            lambda sku, at: {"location": at, "lines": [{"sku": sku, "counted": HUGE}]},
        ),
        (
            "PUT",
            "/inventory/safety-stock",
            lambda sku, at: {"location": at, "sku": sku, "quantity": HUGE},
        ),
        (
            "PATCH",
            "/skus/{sku}",
            lambda _sku, _at: {"prices": [{"currency": "EUR", "amount": "1e30"}]},
        ),
    ],
    ids=["adjustment", "count", "safety-stock", "price"],
)
def test_an_absurdly_large_number_is_invalid_input(
    api: ApiClient,
    warehouse: str,
    sku: str,
    method: str,
    path: str,
    body: Callable[[str, str], dict[str, Any]],
) -> None:
    response = api.http.request(method, path.format(sku=sku), json=body(sku, warehouse))

    assert response.status_code == 422
    assert api.level(sku, warehouse)["on_hand"] == 0
