"""Catalog over HTTP: categories and products with their variants."""

from __future__ import annotations

from typing import Any

import pytest

from tests.builders import random_barcode, random_code
from tests.e2e.api.client import ApiClient, field_errors, variant

TIMESTAMPS = ("created_at", "updated_at")


def without_timestamps(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in TIMESTAMPS}


# --- categories ----------------------------------------------------------------------------


@pytest.mark.covers("POST /categories", "GET /categories")
def test_categories_nest_and_list_in_path_order(api: ApiClient) -> None:
    # given
    parent_code, child_code = random_code("C"), random_code("C")

    # when
    parent = api.post("/categories", {"code": parent_code, "name": "Apparel"})
    child = api.post("/categories", {"code": child_code, "name": "Shirts", "parent": parent_code})
    listed = api.get("/categories")

    # then
    assert parent.status_code == 201
    assert parent.json() == {
        "code": parent_code,
        "name": "Apparel",
        "path": parent_code,
        "depth": 0,
    }
    assert child.status_code == 201
    assert child.json() == {
        "code": child_code,
        "name": "Shirts",
        "path": f"{parent_code}/{child_code}",
        "depth": 1,
    }
    assert listed.status_code == 200
    paths = [c["path"] for c in listed.json()]
    assert paths == sorted(paths)
    assert {parent_code, f"{parent_code}/{child_code}"} <= set(paths)


@pytest.mark.covers("POST /categories")
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "has space", "name": "X"}, "code"),
        ({"code": "", "name": "X"}, "code"),
        ({"code": "OK-CODE", "name": "   "}, "name"),
        ({"code": "OK-CODE"}, "name"),
    ],
)
def test_a_category_with_a_bad_field_is_refused(
    api: ApiClient, body: dict[str, Any], field: str
) -> None:
    response = api.post("/categories", body)

    assert response.status_code == 422
    assert list(field_errors(response)) == [field]


@pytest.mark.covers("POST /categories")
def test_a_category_under_an_unknown_parent_is_404(api: ApiClient) -> None:
    response = api.post(
        "/categories", {"code": random_code("C"), "name": "X", "parent": "NO-SUCH-CAT"}
    )

    assert response.status_code == 404
    assert response.json()["code"] == "category_not_found"


@pytest.mark.covers("POST /categories")
def test_a_category_code_can_be_used_once(api: ApiClient) -> None:
    existing = api.create_category()

    response = api.post("/categories", {"code": existing["code"], "name": "Again"})

    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_code"


# --- products ------------------------------------------------------------------------------


@pytest.mark.covers("POST /products", "GET /products/{code}")
def test_a_created_product_is_returned_with_its_variants(api: ApiClient) -> None:
    # given
    category = api.create_category()
    red = variant(
        name="Red M",
        prices=[{"currency": "USD", "amount": "21.99"}, {"currency": "EUR", "amount": "19.9"}],
        unit_cost={"currency": "EUR", "amount": "7.5"},
        dimensions={"length_mm": 300, "width_mm": 200, "height_mm": 20},
        attributes={"colour": "red", "size": "M"},
    )
    blue = variant(name="Blue M", barcode=None, weight_g=None, prices=[])
    code = random_code("P")
    body = {
        "code": code,
        "name": "T-shirt",
        "brand": "Acme",
        "category": category["code"],
        "description": "Cotton",
        "attributes": {"fit": "slim"},
        "skus": [red, blue],
    }

    # when
    created = api.post("/products", body)
    fetched = api.get(f"/products/{code}")

    # then
    assert created.status_code == 201
    product = created.json()
    assert without_timestamps(product) | {"skus": []} == {
        "code": code,
        "name": "T-shirt",
        "brand": "Acme",
        "category": category["path"],
        "description": "Cotton",
        "attributes": {"fit": "slim"},
        "skus": [],
    }
    first, second = product["skus"]
    assert without_timestamps(first) == {
        "code": red["code"],
        "product": code,
        "name": "Red M",
        "barcode": red["barcode"],
        "brand": "Acme",
        "category": category["path"],
        "weight_g": 500,
        "dimensions": {"length_mm": 300, "width_mm": 200, "height_mm": 20},
        "unit_cost": {"currency": "EUR", "amount": "7.50", "amount_minor": 750},
        "prices": [
            {"currency": "EUR", "amount": "19.90", "amount_minor": 1990},
            {"currency": "USD", "amount": "21.99", "amount_minor": 2199},
        ],
        "is_active": True,
        "attributes": {"colour": "red", "size": "M"},
        "version": 1,
    }
    assert (second["code"], second["barcode"], second["prices"]) == (blue["code"], None, [])
    assert fetched.status_code == 200
    assert fetched.json() == product


@pytest.mark.covers("GET /products/{code}")
def test_an_unknown_product_is_404(api: ApiClient) -> None:
    response = api.get("/products/NO-SUCH-PRODUCT")

    assert response.status_code == 404
    assert response.json()["code"] == "product_not_found"


@pytest.mark.covers("POST /products", "GET /skus/{code}")
def test_a_product_with_one_bad_variant_creates_nothing(api: ApiClient) -> None:
    # given
    good = variant()
    bad = variant(prices=[{"currency": "EUR", "amount": "1"}, {"currency": "ABC", "amount": "1"}])
    code = random_code("P")

    # when
    response = api.post("/products", {"code": code, "name": "P", "skus": [good, bad]})

    # then
    assert response.status_code == 422
    assert field_errors(response) == {
        "skus[1].prices[1].currency": "'ABC' is not an active ISO 4217 currency code"
    }
    assert api.get(f"/products/{code}").status_code == 404
    assert api.get(f"/skus/{good['code']}").status_code == 404


@pytest.mark.covers("POST /products")
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"code": "bad code!"}, "skus[1].code", "use 1-64 letters"),
        ({"weight_g": -5}, "skus[1].weight_g", "greater than or equal to 0"),
        ({"weight_g": 10_000_001}, "skus[1].weight_g", "from 0 to 10000000"),
        ({"name": " "}, "skus[1].name", "must not be empty"),
        ({"dimensions": {"length_mm": -1}}, "skus[1].dimensions.length_mm", "greater than"),
        ({"barcode": "123"}, "skus[1].barcode", "a GTIN has 8, 12, 13 or 14 digits"),
        ({"prices": [{"currency": "JPY", "amount": "1.5"}]}, "skus[1].prices[0].amount", "JPY"),
    ],
)
def test_a_bad_variant_field_is_named_by_its_path(
    api: ApiClient, overrides: dict[str, Any], field: str, message: str
) -> None:
    code = random_code("P")

    response = api.post(
        "/products", {"code": code, "name": "P", "skus": [variant(), variant(**overrides)]}
    )

    assert response.status_code == 422
    errors = field_errors(response)
    assert list(errors) == [field]
    assert message in errors[field]
    assert api.get(f"/products/{code}").status_code == 404


@pytest.mark.covers("POST /products")
def test_a_variant_code_given_twice_in_one_product_is_refused(api: ApiClient) -> None:
    twice = random_code("SKU")

    response = api.post(
        "/products",
        {"code": random_code("P"), "name": "P", "skus": [variant(code=twice), variant(code=twice)]},
    )

    assert response.status_code == 422
    assert field_errors(response) == {"skus[1].code": f"'{twice}' appears twice"}


@pytest.mark.covers("POST /products")
def test_a_product_code_can_be_used_once(api: ApiClient) -> None:
    existing = api.create_product(0)

    response = api.post("/products", {"code": existing["code"], "name": "Again", "skus": []})

    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_code"


@pytest.mark.covers("POST /products")
def test_a_product_reusing_a_sku_code_conflicts_and_creates_nothing(api: ApiClient) -> None:
    # given
    taken = api.create_sku()
    fresh = variant()
    code = random_code("P")

    # when
    response = api.post(
        "/products", {"code": code, "name": "P", "skus": [fresh, variant(code=taken)]}
    )

    # then
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_code"
    assert api.get(f"/products/{code}").status_code == 404
    assert api.get(f"/skus/{fresh['code']}").status_code == 404


@pytest.mark.covers("POST /products")
def test_a_product_reusing_a_barcode_conflicts_and_names_its_owner(api: ApiClient) -> None:
    owner = api.get_sku(api.create_sku())
    code = random_code("P")

    response = api.post(
        "/products", {"code": code, "name": "P", "skus": [variant(barcode=owner["barcode"])]}
    )

    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "duplicate_barcode"
    assert (problem["barcode"], problem["sku"]) == (owner["barcode"], owner["code"])
    assert api.get(f"/products/{code}").status_code == 404


@pytest.mark.covers("POST /products")
def test_a_product_in_an_unknown_category_is_404(api: ApiClient) -> None:
    response = api.post(
        "/products", {"code": random_code("P"), "name": "P", "category": "NO-SUCH-CAT"}
    )

    assert response.status_code == 404
    assert response.json()["code"] == "category_not_found"


@pytest.mark.covers("POST /products")
def test_a_product_create_reports_every_bad_variant_at_once(api: ApiClient) -> None:
    bad_price = variant(prices=[{"currency": "ABC", "amount": "1"}])
    bad_barcode = variant(barcode="4006381333932")

    response = api.post(
        "/products", {"code": random_code("P"), "name": "P", "skus": [bad_price, bad_barcode]}
    )

    assert response.status_code == 422
    assert set(field_errors(response)) == {"skus[0].prices[0].currency", "skus[1].barcode"}


@pytest.mark.covers("POST /products")
def test_a_barcode_given_twice_in_one_product_is_invalid_input(api: ApiClient) -> None:
    twice = random_barcode()

    response = api.post(
        "/products",
        {
            "code": random_code("P"),
            "name": "P",
            "skus": [variant(barcode=twice), variant(barcode=twice)],
        },
    )

    assert response.status_code == 422
    assert list(field_errors(response)) == ["skus[1].barcode"]


@pytest.mark.covers("PATCH /products/{code}", "GET /skus/{code}")
def test_updating_a_product_changes_what_its_skus_show(api: ApiClient) -> None:
    # given
    category = api.create_category()
    product = api.create_product(1, brand="Old brand")
    sku_code = product["skus"][0]["code"]

    # when
    response = api.patch(
        f"/products/{product['code']}",
        {"name": "Renamed", "brand": "New brand", "category": category["code"]},
    )

    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["brand"], body["category"]) == (
        "Renamed",
        "New brand",
        category["path"],
    )
    assert body["description"] == product["description"]
    sku = api.get_sku(sku_code)
    assert (sku["brand"], sku["category"]) == ("New brand", category["path"])


@pytest.mark.covers("PATCH /products/{code}")
def test_an_explicit_null_clears_a_products_brand_and_category(api: ApiClient) -> None:
    category = api.create_category()
    product = api.create_product(0, brand="Acme", category=category["code"])

    response = api.patch(f"/products/{product['code']}", {"brand": None, "category": None})

    assert response.status_code == 200
    assert (response.json()["brand"], response.json()["category"]) == (None, None)


@pytest.mark.covers("PATCH /products/{code}")
@pytest.mark.parametrize(
    ("body", "field"),
    [({"name": "  "}, "name"), ({"name": ""}, "name"), ({"brand": "x" * 121}, "brand")],
)
def test_a_product_update_with_a_bad_field_is_refused(
    api: ApiClient, body: dict[str, Any], field: str
) -> None:
    product = api.create_product(0)

    response = api.patch(f"/products/{product['code']}", body)

    assert response.status_code == 422
    assert list(field_errors(response)) == [field]
    assert api.get(f"/products/{product['code']}").json()["name"] == product["name"]


@pytest.mark.covers("PATCH /products/{code}")
def test_updating_an_unknown_product_is_404(api: ApiClient) -> None:
    response = api.patch("/products/NO-SUCH-PRODUCT", {"name": "X"})

    assert response.status_code == 404
    assert response.json()["code"] == "product_not_found"


@pytest.mark.covers("PATCH /products/{code}")
def test_moving_a_product_to_an_unknown_category_is_404_and_changes_nothing(
    api: ApiClient,
) -> None:
    product = api.create_product(0)

    response = api.patch(
        f"/products/{product['code']}", {"name": "Renamed", "category": "NO-SUCH-CAT"}
    )

    assert response.status_code == 404
    assert response.json()["code"] == "category_not_found"
    assert api.get(f"/products/{product['code']}").json()["name"] == product["name"]
