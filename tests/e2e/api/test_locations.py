"""Locations over HTTP: warehouses and stores, their zones and bins."""

from __future__ import annotations

from typing import Any

import pytest

from tests.builders import random_code
from tests.e2e.api.client import ApiClient, field_errors, location_body


@pytest.mark.covers("POST /locations", "GET /locations/{code}")
def test_a_created_location_is_returned_as_given(api: ApiClient) -> None:
    body = location_body(kind="store", can_pickup=True, priority=5)

    created = api.post("/locations", body)
    fetched = api.get(f"/locations/{body['code']}")

    assert created.status_code == 201
    assert created.json() == {
        "code": body["code"],
        "name": "Test warehouse",
        "kind": "store",
        "address": {
            "line1": "Street 1",
            "line2": "",
            "city": "Amsterdam",
            "postal_code": "1012",
            "region": "",
            "country": "NL",
        },
        "latitude": 52.37,
        "longitude": 4.89,
        "timezone": "Europe/Amsterdam",
        "can_ship": True,
        "can_pickup": True,
        "accepts_returns": True,
        "priority": 5,
        "is_active": True,
        "daily_order_capacity": None,
        "zones": [],
    }
    assert fetched.status_code == 200
    assert fetched.json() == created.json()


@pytest.mark.covers("GET /locations/{code}")
def test_an_unknown_location_is_404(api: ApiClient) -> None:
    response = api.get("/locations/NO-SUCH-LOCATION")

    assert response.status_code == 404
    assert response.json()["code"] == "location_not_found"


@pytest.mark.covers("POST /locations")
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"code": "no spaces"}, "code"),
        ({"name": "  "}, "name"),
        ({"kind": "depot"}, "kind"),
        ({"latitude": 90.5}, "latitude"),
        ({"longitude": -181}, "longitude"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"priority": -1}, "priority"),
        ({"address": {"country": "QQ"}}, "address.country"),
        ({"address": {"country": "NLD"}}, "address.country"),
        ({"address": {"city": "Amsterdam"}}, "address.country"),
    ],
)
def test_a_location_with_a_bad_field_is_refused(
    api: ApiClient, overrides: dict[str, Any], field: str
) -> None:
    body = location_body(**overrides)

    response = api.post("/locations", body)

    assert response.status_code == 422
    assert list(field_errors(response)) == [field]
    assert api.get(f"/locations/{body['code']}").status_code == 404


@pytest.mark.covers("POST /locations")
@pytest.mark.parametrize("country", ["ZZ", "EZ"])
def test_a_region_that_is_not_a_country_is_refused(api: ApiClient, country: str) -> None:
    response = api.post("/locations", location_body(address={"country": country}))

    assert response.status_code == 422
    assert list(field_errors(response)) == ["address.country"]


@pytest.mark.covers("POST /locations")
def test_a_location_code_can_be_used_once(api: ApiClient, warehouse: str) -> None:
    response = api.post("/locations", location_body(code=warehouse))

    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_code"


@pytest.mark.covers("GET /locations")
def test_locations_list_by_priority_and_filter_by_kind_and_active(api: ApiClient) -> None:
    # given
    store = api.create_location(kind="store", priority=0)
    closed = api.create_location(kind="store", priority=0, is_active=False)
    depot = api.create_location(priority=0)

    # when
    stores = [loc["code"] for loc in api.get("/locations", params={"kind": "store"}).json()]
    inactive = [loc["code"] for loc in api.get("/locations", params={"active": False}).json()]
    everything = api.get("/locations").json()

    # then
    assert store in stores
    assert closed in stores
    assert depot not in stores
    assert closed in inactive
    assert store not in inactive
    ranks = [(loc["priority"], loc["code"]) for loc in everything]
    assert ranks == sorted(ranks)


@pytest.mark.covers("GET /locations")
def test_an_unknown_location_kind_filter_is_refused(api: ApiClient) -> None:
    response = api.get("/locations", params={"kind": "depot"})

    assert response.status_code == 422
    assert list(field_errors(response)) == ["kind"]


@pytest.mark.covers("PATCH /locations/{code}")
def test_updating_a_location_replaces_the_whole_address(api: ApiClient, warehouse: str) -> None:
    response = api.patch(
        f"/locations/{warehouse}",
        {"priority": 7, "is_active": False, "address": {"city": "Berlin", "country": "DE"}},
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["priority"], body["is_active"]) == (7, False)
    assert body["address"] == {
        "line1": "",
        "line2": "",
        "city": "Berlin",
        "postal_code": "",
        "region": "",
        "country": "DE",
    }
    assert body["name"] == "Test warehouse"
    assert api.get(f"/locations/{warehouse}").json() == body


@pytest.mark.covers("PATCH /locations/{code}")
def test_an_explicit_null_leaves_a_location_field_unchanged(api: ApiClient, warehouse: str) -> None:
    response = api.patch(f"/locations/{warehouse}", {"name": None, "timezone": None})

    assert response.status_code == 200
    assert (response.json()["name"], response.json()["timezone"]) == (
        "Test warehouse",
        "Europe/Amsterdam",
    )


@pytest.mark.covers("PATCH /locations/{code}")
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "Nowhere/Land"}, "timezone"),
        ({"latitude": -91}, "latitude"),
        ({"address": {"country": "XQ"}}, "address.country"),
        ({"code": "NEW"}, "code"),
    ],
)
def test_a_location_update_with_a_bad_field_changes_nothing(
    api: ApiClient, warehouse: str, body: dict[str, Any], field: str
) -> None:
    before = api.get(f"/locations/{warehouse}").json()

    response = api.patch(f"/locations/{warehouse}", body)

    assert response.status_code == 422
    assert list(field_errors(response)) == [field]
    assert api.get(f"/locations/{warehouse}").json() == before


@pytest.mark.covers("PATCH /locations/{code}")
def test_updating_an_unknown_location_is_404(api: ApiClient) -> None:
    response = api.patch("/locations/NO-SUCH-LOCATION", {"priority": 1})

    assert response.status_code == 404
    assert response.json()["code"] == "location_not_found"


# --- zones and bins ------------------------------------------------------------------------


@pytest.mark.covers("POST /locations/{code}/zones", "GET /locations/{code}")
def test_a_zone_is_added_to_a_location(api: ApiClient, warehouse: str) -> None:
    response = api.post(f"/locations/{warehouse}/zones", {"code": "B", "name": "Bulk"})
    unnamed = api.post(f"/locations/{warehouse}/zones", {"code": "A"})

    assert response.status_code == 201
    assert response.json() == {"code": "B", "name": "Bulk"}
    assert unnamed.json() == {"code": "A", "name": "A"}
    assert api.get(f"/locations/{warehouse}").json()["zones"] == [
        {"code": "A", "name": "A"},
        {"code": "B", "name": "Bulk"},
    ]


@pytest.mark.covers("POST /locations/{code}/zones")
def test_a_zone_code_can_be_used_once_per_location(api: ApiClient, warehouse: str) -> None:
    api.post(f"/locations/{warehouse}/zones", {"code": "A"})

    response = api.post(f"/locations/{warehouse}/zones", {"code": "A"})

    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_code"


@pytest.mark.covers("POST /locations/{code}/zones")
@pytest.mark.parametrize(("body", "field"), [({"code": "A 1"}, "code"), ({"code": ""}, "code")])
def test_a_bad_zone_code_is_refused(
    api: ApiClient, warehouse: str, body: dict[str, Any], field: str
) -> None:
    response = api.post(f"/locations/{warehouse}/zones", body)

    assert response.status_code == 422
    assert list(field_errors(response)) == [field]


@pytest.mark.covers("POST /locations/{code}/zones")
def test_a_zone_at_an_unknown_location_is_404(api: ApiClient) -> None:
    response = api.post("/locations/NO-SUCH-LOCATION/zones", {"code": "A"})

    assert response.status_code == 404
    assert response.json()["code"] == "location_not_found"


@pytest.mark.covers("POST /locations/{code}/bins", "GET /locations/{code}/bins")
def test_bins_are_listed_in_walking_order(api: ApiClient, warehouse: str) -> None:
    # given
    api.post(f"/locations/{warehouse}/zones", {"code": "B"})
    api.post(f"/locations/{warehouse}/zones", {"code": "A"})

    # when
    in_b = api.post(f"/locations/{warehouse}/bins", {"zone": "B", "codes": ["B-02", "B-01"]})
    in_a = api.post(f"/locations/{warehouse}/bins", {"zone": "A", "codes": ["A-01"]})
    listed = api.get(f"/locations/{warehouse}/bins")

    # then
    assert in_b.status_code == 201
    assert in_b.json() == [{"code": "B-01", "zone": "B"}, {"code": "B-02", "zone": "B"}]
    assert in_a.json() == [{"code": "A-01", "zone": "A"}]
    assert listed.status_code == 200
    assert listed.json() == [
        {"code": "A-01", "zone": "A"},
        {"code": "B-01", "zone": "B"},
        {"code": "B-02", "zone": "B"},
    ]


@pytest.mark.covers("GET /locations/{code}/bins")
def test_the_bins_of_an_unknown_location_are_404(api: ApiClient) -> None:
    response = api.get("/locations/NO-SUCH-LOCATION/bins")

    assert response.status_code == 404
    assert response.json()["code"] == "location_not_found"


@pytest.mark.covers("POST /locations/{code}/bins")
@pytest.mark.parametrize(
    ("codes", "errors"),
    [
        (
            ["A-01", "bad bin"],
            {"codes[1]": "use 1-32 letters, digits, '.', '_' or '-' (e.g. A-01-03)"},
        ),
        (["A-01", "A-01"], {"codes": "a bin code appears twice"}),
        ([], {"codes": "List should have at least 1 item after validation, not 0"}),
    ],
    ids=["bad-code", "twice", "none"],
)
def test_bad_bin_codes_are_refused_and_add_no_bin(
    api: ApiClient, warehouse: str, codes: list[str], errors: dict[str, str]
) -> None:
    api.post(f"/locations/{warehouse}/zones", {"code": "A"})

    response = api.post(f"/locations/{warehouse}/bins", {"zone": "A", "codes": codes})

    assert response.status_code == 422
    assert field_errors(response) == errors
    assert api.get(f"/locations/{warehouse}/bins").json() == []


@pytest.mark.covers("POST /locations/{code}/bins")
def test_existing_bins_conflict_and_none_of_the_batch_is_added(
    api: ApiClient, warehouse: str
) -> None:
    api.add_bins(warehouse, ["A-01", "A-02"])

    response = api.post(
        f"/locations/{warehouse}/bins", {"zone": "A", "codes": ["A-03", "A-02", "A-01"]}
    )

    assert response.status_code == 409
    assert response.json()["bins"] == ["A-01", "A-02"]
    assert [b["code"] for b in api.get(f"/locations/{warehouse}/bins").json()] == ["A-01", "A-02"]


@pytest.mark.covers("POST /locations/{code}/bins")
@pytest.mark.parametrize(
    ("location", "zone", "code"),
    [("NO-SUCH-LOCATION", "A", "location_not_found"), (None, "Z", "zone_not_found")],
)
def test_bins_in_an_unknown_place_are_404(
    api: ApiClient, warehouse: str, location: str | None, zone: str, code: str
) -> None:
    api.post(f"/locations/{warehouse}/zones", {"code": "A"})

    response = api.post(
        f"/locations/{location or warehouse}/bins", {"zone": zone, "codes": [random_code("B")]}
    )

    assert response.status_code == 404
    assert response.json()["code"] == code
