"""Reservations over HTTP: reserve all or nothing, release, partly release, ship."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.builders import random_code
from tests.e2e.api.client import API, ApiClient, field_errors


def reservation_body(*lines: dict[str, Any], owner_ref: str | None = None) -> dict[str, Any]:
    return {"owner_ref": owner_ref or random_code("ORD"), "lines": list(lines)}


@pytest.mark.covers("POST /inventory/reservations", "GET /inventory/reservations/{reservation_id}")
def test_a_reservation_takes_stock_from_the_best_location_that_covers_the_line(
    api: ApiClient, sku: str
) -> None:
    # given: the preferred location cannot cover 4 units, the next one can
    preferred = api.create_location(priority=1)
    fallback = api.create_location(priority=2)
    api.receive(preferred, sku, 3)
    api.receive(fallback, sku, 10)
    owner = random_code("ORD")

    # when
    response = api.post(
        "/inventory/reservations",
        {
            "owner_type": "order_line",
            "owner_ref": owner,
            "lines": [{"sku": sku, "quantity": 4}],
            "ttl_seconds": 600,
        },
    )

    # then
    assert response.status_code == 201
    [made] = response.json()
    expires_at = datetime.fromisoformat(made.pop("expires_at"))
    assert made == {
        "id": made["id"],
        "sku": sku,
        "location": fallback,
        "quantity": 4,
        "status": "active",
        "owner_type": "order_line",
        "owner_ref": owner,
    }
    assert abs(expires_at - (datetime.now(UTC) + timedelta(seconds=600))) < timedelta(minutes=1)
    assert api.level(sku, fallback)["reserved"] == 4
    assert api.level(sku, preferred)["reserved"] == 0
    fetched = api.get(f"/inventory/reservations/{made['id']}").json()
    assert fetched | {"expires_at": None} == made | {"expires_at": None}


@pytest.mark.covers("POST /inventory/reservations")
def test_lines_for_the_same_sku_and_location_are_merged(
    api: ApiClient, warehouse: str, sku: str
) -> None:
    api.receive(warehouse, sku, 10)

    response = api.post(
        "/inventory/reservations",
        reservation_body({"sku": sku, "quantity": 2}, {"sku": sku, "quantity": 3}),
    )

    assert response.status_code == 201
    assert [(r["sku"], r["quantity"]) for r in response.json()] == [(sku, 5)]
    assert api.level(sku, warehouse)["reserved"] == 5


@pytest.mark.covers("POST /inventory/reservations")
def test_insufficient_stock_lists_every_short_line_and_reserves_nothing(
    api: ApiClient, warehouse: str
) -> None:
    # given
    plenty, scarce, empty = api.create_sku(), api.create_sku(), api.create_sku()
    api.receive(warehouse, plenty, 10)
    api.receive(warehouse, scarce, 2)
    before = api.level(plenty, warehouse)

    # when
    response = api.post(
        "/inventory/reservations",
        reservation_body(
            {"sku": plenty, "quantity": 5},
            {"sku": scarce, "quantity": 3, "location": warehouse},
            {"sku": empty, "quantity": 1},
        ),
    )

    # then
    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "insufficient_stock"
    assert sorted(problem["shortages"], key=lambda s: s["sku"]) == sorted(
        [
            {"sku": scarce, "location": warehouse, "requested": 3, "available": 2},
            {"sku": empty, "location": None, "requested": 1, "available": 0},
        ],
        key=lambda s: s["sku"],
    )
    assert scarce in problem["detail"]
    assert empty in problem["detail"]
    assert api.level(plenty, warehouse) == before
    assert api.movements(sku=plenty, kind="reservation") == []


@pytest.mark.covers("POST /inventory/reservations")
@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            reservation_body({"sku": "X", "quantity": 1}, {"sku": "Y", "quantity": 0}),
            "lines[1].quantity",
        ),
        (reservation_body({"sku": "X", "quantity": -2}), "lines[0].quantity"),
        (reservation_body(), "lines"),
        ({"lines": [{"sku": "X", "quantity": 1}]}, "owner_ref"),
        ({"owner_ref": "", "lines": [{"sku": "X", "quantity": 1}]}, "owner_ref"),
        (reservation_body({"sku": "X", "quantity": 1}) | {"owner_type": "pirate"}, "owner_type"),
        (reservation_body({"sku": "X", "quantity": 1}) | {"ttl_seconds": 0}, "ttl_seconds"),
    ],
)
def test_a_reservation_with_a_bad_field_is_refused(
    api: ApiClient, body: dict[str, Any], field: str
) -> None:
    response = api.post("/inventory/reservations", body)

    assert response.status_code == 422
    assert list(field_errors(response)) == [field]


@pytest.mark.covers("POST /inventory/reservations")
@pytest.mark.parametrize(
    ("line", "code"),
    [
        ({"sku": "NO-SUCH-SKU"}, "sku_not_found"),
        ({"location": "NO-SUCH-LOCATION"}, "location_not_found"),
    ],
)
def test_reserving_an_unknown_thing_is_404(
    api: ApiClient, sku: str, line: dict[str, Any], code: str
) -> None:
    response = api.post(
        "/inventory/reservations", reservation_body({"sku": sku, "quantity": 1} | line)
    )

    assert response.status_code == 404
    assert response.json()["code"] == code


@pytest.mark.covers("GET /inventory/reservations")
def test_reservations_list_by_owner_and_status_newest_first(
    api: ApiClient, warehouse: str, sku: str
) -> None:
    # given
    api.receive(warehouse, sku, 10)
    owner = random_code("CART")
    first = api.reserve(sku, 1, owner_ref=owner)
    second = api.reserve(sku, 2, owner_ref=owner)
    api.post(f"/inventory/reservations/{first['id']}/release", {})

    # when
    mine = api.get("/inventory/reservations", params={"owner_ref": owner}).json()
    active = api.get(
        "/inventory/reservations", params={"owner_ref": owner, "status": "active"}
    ).json()
    as_order_lines = api.get(
        "/inventory/reservations", params={"owner_ref": owner, "owner_type": "order_line"}
    ).json()

    # then
    assert [(r["id"], r["status"]) for r in mine] == [
        (second["id"], "active"),
        (first["id"], "released"),
    ]
    assert [r["id"] for r in active] == [second["id"]]
    assert as_order_lines == []


@pytest.mark.covers("GET /inventory/reservations")
@pytest.mark.parametrize(
    ("params", "field"),
    [({"status": "gone"}, "status"), ({"owner_type": "x"}, "owner_type"), ({"limit": 0}, "limit")],
)
def test_bad_reservation_filters_are_named(
    api: ApiClient, params: dict[str, Any], field: str
) -> None:
    response = api.get("/inventory/reservations", params=params)

    assert response.status_code == 422
    assert list(field_errors(response)) == [field]


@pytest.mark.covers("GET /inventory/reservations/{reservation_id}")
@pytest.mark.parametrize(("reservation_id", "status"), [("999999999", 404), ("first", 422)])
def test_an_unknown_or_malformed_reservation_id_is_refused(
    api: ApiClient, reservation_id: str, status: int
) -> None:
    response = api.get(f"/inventory/reservations/{reservation_id}")

    assert response.status_code == status
    if status == 422:
        assert list(field_errors(response)) == ["reservation_id"]
    else:
        assert response.json()["code"] == "reservation_not_found"


@pytest.mark.covers("GET /inventory/reservations/{reservation_id}")
def test_an_out_of_range_reservation_id_is_not_a_server_error(api: ApiClient) -> None:
    response = api.get(f"/inventory/reservations/{10**20}")

    assert response.status_code in (404, 422)


# --- release -------------------------------------------------------------------------------


@pytest.mark.covers("POST /inventory/reservations/{reservation_id}/release")
def test_a_partial_release_keeps_the_rest_reserved_and_a_full_one_closes_it(
    api: ApiClient, warehouse: str, sku: str
) -> None:
    # given
    api.receive(warehouse, sku, 10)
    held = api.reserve(sku, 5)

    # when
    partly = api.post(f"/inventory/reservations/{held['id']}/release", {"quantity": 2})
    level_between = api.level(sku, warehouse)
    fully = api.post(f"/inventory/reservations/{held['id']}/release", {})

    # then
    assert partly.status_code == 200
    assert (partly.json()["quantity"], partly.json()["status"]) == (3, "active")
    assert (level_between["reserved"], level_between["available"]) == (3, 7)
    assert fully.status_code == 200
    assert (fully.json()["quantity"], fully.json()["status"]) == (0, "released")
    assert api.level(sku, warehouse)["reserved"] == 0
    releases = api.movements(sku=sku, kind="release")
    assert [m["reserved_delta"] for m in releases] == [-3, -2]
    assert {m["reference"] for m in releases} == {f"manual:{held['owner_ref']}"}


@pytest.mark.covers("POST /inventory/reservations/{reservation_id}/release")
def test_a_released_reservation_cannot_be_released_again(
    api: ApiClient, warehouse: str, sku: str
) -> None:
    api.receive(warehouse, sku, 1)
    held = api.reserve(sku, 1)
    api.post(f"/inventory/reservations/{held['id']}/release", {})

    response = api.post(f"/inventory/reservations/{held['id']}/release", {})

    assert response.status_code == 409
    assert response.json()["code"] == "reservation_not_active"
    assert response.json()["detail"] == f"Reservation {held['id']} is released."
    assert api.level(sku, warehouse)["reserved"] == 0


@pytest.mark.covers("POST /inventory/reservations/{reservation_id}/release")
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"quantity": 4}, "only 3 units are reserved, not 4"),
        ({"quantity": 0}, "Input should be greater than 0"),
        ({"quantity": -1}, "Input should be greater than 0"),
    ],
)
def test_releasing_a_bad_quantity_is_refused_and_changes_nothing(
    api: ApiClient, warehouse: str, sku: str, body: dict[str, int], message: str
) -> None:
    api.receive(warehouse, sku, 3)
    held = api.reserve(sku, 3)

    response = api.post(f"/inventory/reservations/{held['id']}/release", body)

    assert response.status_code == 422
    assert field_errors(response) == {"quantity": message}
    assert api.level(sku, warehouse)["reserved"] == 3


@pytest.mark.covers("POST /inventory/reservations/{reservation_id}/release")
def test_releasing_an_unknown_reservation_is_404(api: ApiClient) -> None:
    response = api.post("/inventory/reservations/999999999/release", {})

    assert response.status_code == 404
    assert response.json()["code"] == "reservation_not_found"


# --- ship ----------------------------------------------------------------------------------


@pytest.mark.covers("POST /inventory/reservations/{reservation_id}/ship")
def test_shipping_takes_reserved_units_off_hand_in_parts(
    api: ApiClient, warehouse: str, sku: str
) -> None:
    # given
    api.receive(warehouse, sku, 10)
    held = api.reserve(sku, 6)

    # when
    first = api.post(
        f"/inventory/reservations/{held['id']}/ship", {"reference": "PARCEL-1", "quantity": 4}
    )
    rest = api.post(f"/inventory/reservations/{held['id']}/ship", {"reference": "PARCEL-2"})

    # then
    assert first.status_code == 200
    assert (first.json()["quantity"], first.json()["status"]) == (2, "active")
    assert rest.status_code == 200
    assert (rest.json()["quantity"], rest.json()["status"]) == (0, "consumed")
    assert api.level(sku, warehouse) | {"location": None} == {
        "location": None,
        "on_hand": 4,
        "reserved": 0,
        "safety_stock": 0,
        "available": 4,
    }
    shipments = api.movements(sku=sku, kind="shipment")
    assert [(m["reference"], m["on_hand_delta"], m["reserved_delta"]) for m in shipments] == [
        ("PARCEL-2", -2, -2),
        ("PARCEL-1", -4, -4),
    ]


@pytest.mark.covers("POST /inventory/reservations/{reservation_id}/ship")
def test_a_consumed_reservation_cannot_ship_again(api: ApiClient, warehouse: str, sku: str) -> None:
    api.receive(warehouse, sku, 5)
    held = api.reserve(sku, 2)
    api.post(f"/inventory/reservations/{held['id']}/ship", {"reference": "P-1"})

    again = api.post(f"/inventory/reservations/{held['id']}/ship", {"reference": "P-2"})
    release = api.post(f"/inventory/reservations/{held['id']}/release", {})

    assert again.status_code == 409
    assert again.json()["code"] == "reservation_not_active"
    assert release.status_code == 409
    assert api.level(sku, warehouse)["on_hand"] == 3


@pytest.mark.covers("POST /inventory/reservations/{reservation_id}/ship")
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "reference"),
        ({"reference": ""}, "reference"),
        ({"reference": "P", "quantity": -1}, "quantity"),
        ({"reference": "P", "quantity": 9}, "quantity"),
    ],
)
def test_shipping_with_bad_input_is_refused_and_changes_nothing(
    api: ApiClient, warehouse: str, sku: str, body: dict[str, Any], field: str
) -> None:
    api.receive(warehouse, sku, 5)
    held = api.reserve(sku, 2)

    response = api.post(f"/inventory/reservations/{held['id']}/ship", body)

    assert response.status_code == 422
    assert list(field_errors(response)) == [field]
    assert api.level(sku, warehouse)["on_hand"] == 5


@pytest.mark.covers("POST /inventory/reservations/{reservation_id}/ship")
def test_shipping_an_unknown_reservation_is_404(api: ApiClient) -> None:
    response = api.post("/inventory/reservations/999999999/ship", {"reference": "P"})

    assert response.status_code == 404
    assert response.json()["code"] == "reservation_not_found"


# --- racing ----------------------------------------------------------------------------------


@pytest.mark.covers("POST /inventory/reservations")
def test_concurrent_reservations_never_oversell(api: ApiClient, warehouse: str, sku: str) -> None:
    # given: 5 units and 12 buyers who want one each, all at once
    api.receive(warehouse, sku, 5)
    buyers = 12
    start = threading.Barrier(buyers)
    statuses: list[int] = []

    def buy() -> None:
        with httpx.Client(base_url=api.base_url + API, headers=api.headers, timeout=30) as client:
            start.wait()
            response = client.post(
                "/inventory/reservations", json=reservation_body({"sku": sku, "quantity": 1})
            )
            statuses.append(response.status_code)

    # when
    threads = [threading.Thread(target=buy) for _ in range(buyers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then
    assert sorted(statuses) == [201] * 5 + [409] * 7
    assert api.level(sku, warehouse) | {"location": None} == {
        "location": None,
        "on_hand": 5,
        "reserved": 5,
        "safety_stock": 0,
        "available": 0,
    }
