"""Reading stock over HTTP: availability, levels, the movement ledger and its verification."""

from __future__ import annotations

from typing import Any

import pytest

from tests.builders import random_code
from tests.e2e.api.client import ApiClient, expected_level, field_errors


@pytest.mark.covers("GET /inventory/availability")
def test_availability_sums_locations_and_answers_zero_for_unknown_skus(
    api: ApiClient, sku: str
) -> None:
    # given
    north, south = api.create_location(), api.create_location()
    api.receive(north, sku, 7)
    api.receive(south, sku, 5)
    api.reserve(sku, 2, location=south)

    # when
    response = api.get("/inventory/availability", params={"sku": f"{sku},NO-SUCH-SKU"})
    only_south = api.get("/inventory/availability", params={"sku": sku, "location": south})

    # then
    assert response.status_code == 200
    answer, unknown = response.json()
    assert (answer["sku"], answer["on_hand"], answer["reserved"], answer["available"]) == (
        sku,
        12,
        2,
        10,
    )
    assert sorted(answer["locations"], key=lambda e: e["location"]) == sorted(
        [
            {"location": north, "on_hand": 7, "reserved": 0, "safety_stock": 0, "available": 7},
            {"location": south, "on_hand": 5, "reserved": 2, "safety_stock": 0, "available": 3},
        ],
        key=lambda e: e["location"],
    )
    assert unknown == {
        "sku": "NO-SUCH-SKU",
        "available": 0,
        "on_hand": 0,
        "reserved": 0,
        "locations": [],
    }
    assert [(a["available"], len(a["locations"])) for a in only_south.json()] == [(3, 1)]


@pytest.mark.covers("GET /inventory/availability")
def test_availability_takes_repeated_sku_parameters(api: ApiClient) -> None:
    first, second = api.create_sku(), api.create_sku()

    response = api.get("/inventory/availability", params=[("sku", first), ("sku", second)])

    assert [a["sku"] for a in response.json()] == [first, second]


@pytest.mark.covers("GET /inventory/availability")
@pytest.mark.parametrize(
    "params", [{}, {"sku": ""}, {"sku": " , "}], ids=["none", "empty", "blank"]
)
def test_availability_needs_a_sku(api: ApiClient, params: dict[str, str]) -> None:
    response = api.get("/inventory/availability", params=params)

    assert response.status_code == 422
    assert list(field_errors(response)) == ["sku"]


@pytest.mark.covers("GET /inventory/availability", "PATCH /locations/{code}")
def test_availability_promises_only_what_can_be_reserved(api: ApiClient, sku: str) -> None:
    # given
    closing = api.create_location()
    api.receive(closing, sku, 5)
    assert api.patch(f"/locations/{closing}", {"is_active": False}).status_code == 200

    # when
    promised = api.get("/inventory/availability", params={"sku": sku}).json()[0]
    reserved = api.post(
        "/inventory/reservations",
        {"owner_ref": random_code("ORD"), "lines": [{"sku": sku, "quantity": 1}]},
    )

    # then: nothing is promised, and nothing can be reserved
    assert (promised["available"], promised["locations"]) == (0, [])
    assert reserved.status_code == 409


@pytest.mark.covers("GET /inventory/levels")
def test_levels_filter_by_sku_location_and_low_stock_and_page(
    api: ApiClient, warehouse: str
) -> None:
    # given
    skus = [api.create_sku() for _ in range(3)]
    for code in skus:
        api.receive(warehouse, code, 5)
    api.put("/inventory/safety-stock", {"location": warehouse, "sku": skus[1], "quantity": 5})

    # when
    first = api.get("/inventory/levels", params={"location": warehouse, "limit": 2}).json()
    rest = api.get(
        "/inventory/levels",
        params={"location": warehouse, "limit": 2, "cursor": first["next_cursor"]},
    ).json()
    low = api.get("/inventory/levels", params={"location": warehouse, "low": True}).json()
    one = api.get("/inventory/levels", params={"sku": skus[2]}).json()

    # then
    walked = [lv["sku"] for lv in first["items"] + rest["items"]]
    assert walked == skus
    assert rest["next_cursor"] is None
    assert [lv["sku"] for lv in low["items"]] == [skus[1]]
    assert one["items"] == [expected_level(skus[2], warehouse, 5)]


@pytest.mark.covers("GET /inventory/levels")
@pytest.mark.parametrize(
    ("params", "field"),
    [({"cursor": "garbage!!"}, "cursor"), ({"limit": 0}, "limit"), ({"low": "sure"}, "low")],
)
def test_bad_level_parameters_are_named(api: ApiClient, params: dict[str, Any], field: str) -> None:
    response = api.get("/inventory/levels", params=params)

    assert response.status_code == 422
    assert list(field_errors(response)) == [field]


@pytest.mark.covers("GET /inventory/movements")
def test_movements_filter_by_sku_location_kind_and_reference_newest_first(
    api: ApiClient, sku: str
) -> None:
    # given
    north, south = api.create_location(), api.create_location()
    api.receive(north, sku, 5)
    api.receive(south, sku, 3)
    reservation = api.reserve(sku, 2, location=north, owner_ref="ORD-FILTER")

    # when
    everything = api.movements(sku=sku)
    at_south = api.movements(sku=sku, location=south)
    reservations = api.movements(sku=sku, kind="reservation")
    by_reference = api.movements(reference="manual:ORD-FILTER", sku=sku)
    paged = api.get("/inventory/movements", params={"sku": sku, "limit": 2}).json()
    next_page = api.get(
        "/inventory/movements", params={"sku": sku, "limit": 2, "cursor": paged["next_cursor"]}
    ).json()

    # then
    assert [(m["kind"], m["location"]) for m in everything] == [
        ("reservation", north),
        ("receipt", south),
        ("receipt", north),
    ]
    assert [m["id"] for m in everything] == sorted((m["id"] for m in everything), reverse=True)
    assert [(m["kind"], m["on_hand_delta"]) for m in at_south] == [("receipt", 3)]
    assert [(m["reserved_delta"], m["location"]) for m in reservations] == [
        (reservation["quantity"], north)
    ]
    assert [m["kind"] for m in by_reference] == ["reservation"]
    assert [m["id"] for m in paged["items"] + next_page["items"]] == [m["id"] for m in everything]
    assert next_page["next_cursor"] is None


@pytest.mark.covers("GET /inventory/movements")
@pytest.mark.parametrize(
    ("params", "field"),
    [({"kind": "teleport"}, "kind"), ({"cursor": "%%%"}, "cursor"), ({"limit": 1001}, "limit")],
)
def test_bad_movement_parameters_are_named(
    api: ApiClient, params: dict[str, Any], field: str
) -> None:
    response = api.get("/inventory/movements", params=params)

    assert response.status_code == 422
    assert list(field_errors(response)) == [field]


@pytest.mark.covers("GET /inventory/verify")
def test_the_ledger_explains_the_stock_after_a_busy_day(
    api: ApiClient, warehouse: str, sku: str
) -> None:
    # given
    api.add_bins(warehouse, ["A-01"])
    api.receive(warehouse, sku, 10, bin="A-01")
    api.receive(warehouse, sku, 5)
    held = api.reserve(sku, 6, location=warehouse)
    api.post(f"/inventory/reservations/{held['id']}/ship", {"reference": "SHIP-1", "quantity": 4})
    api.post(
        "/inventory/adjustments",
        {"location": warehouse, "sku": sku, "quantity_delta": -3, "reason": "damaged"},
    )
    api.post("/inventory/counts", {"location": warehouse, "lines": [{"sku": sku, "counted": 6}]})

    # when
    response = api.get("/inventory/verify")

    # then
    assert response.status_code == 200
    assert response.json() == []
    assert api.level(sku, warehouse) | {"location": None} == {
        "location": None,
        "on_hand": 6,
        "reserved": 2,
        "safety_stock": 0,
        "available": 4,
    }
