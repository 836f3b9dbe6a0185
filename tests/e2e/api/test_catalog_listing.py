"""Listing SKUs over HTTP: keyset pages and the brand, category, text and active filters."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.builders import random_code
from tests.e2e.api.client import ApiClient, field_errors, variant


def codes(api: ApiClient, **params: Any) -> list[str]:
    response = api.get("/skus", params=params)
    assert response.status_code == 200, response.text
    return [s["code"] for s in response.json()["items"]]


def forged_cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.covers("GET /skus")
def test_walking_every_page_returns_each_sku_once_in_creation_order(api: ApiClient) -> None:
    # given
    brand = random_code("BRAND")
    created = [s["code"] for s in api.create_product(4, brand=brand)["skus"]]
    created += [s["code"] for s in api.create_product(3, brand=brand)["skus"]]

    # when
    pages: list[list[str]] = []
    cursor = None
    while True:
        params = {"brand": brand, "limit": 3} | ({"cursor": cursor} if cursor else {})
        response = api.get("/skus", params=params)
        assert response.status_code == 200
        page = response.json()
        pages.append([s["code"] for s in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break

    # then
    assert [len(p) for p in pages] == [3, 3, 1]
    walked = [code for page in pages for code in page]
    assert walked == created


@pytest.mark.covers("GET /skus")
def test_a_last_page_that_is_exactly_full_has_no_next_cursor(api: ApiClient) -> None:
    brand = random_code("BRAND")
    api.create_product(2, brand=brand)

    response = api.get("/skus", params={"brand": brand, "limit": 2})

    assert len(response.json()["items"]) == 2
    assert response.json()["next_cursor"] is None


@pytest.mark.covers("GET /skus")
@pytest.mark.parametrize(
    "cursor",
    ["garbage!!", "%%%", forged_cursor([1, 2]), forged_cursor({"after": "x"}), "bm90IGpzb24"],
    ids=["not-base64", "symbols", "json-list", "after-not-int", "base64-not-json"],
)
def test_a_cursor_the_server_did_not_issue_is_refused(api: ApiClient, cursor: str) -> None:
    response = api.get("/skus", params={"cursor": cursor})

    assert response.status_code == 422
    assert field_errors(response) == {"cursor": "the cursor is not one this server issued"}


@pytest.mark.covers("GET /skus")
@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 0}, "limit"), ({"limit": 501}, "limit"), ({"active": "maybe"}, "active")],
)
def test_bad_list_parameters_are_named(api: ApiClient, params: dict[str, Any], field: str) -> None:
    response = api.get("/skus", params=params)

    assert response.status_code == 422
    assert list(field_errors(response)) == [field]


@pytest.mark.covers("GET /skus")
def test_the_brand_filter_ignores_case(api: ApiClient) -> None:
    brand = random_code("Brand")
    mine = api.create_product(2, brand=brand)
    api.create_product(1, brand=random_code("Brand"))

    assert codes(api, brand=brand.lower()) == [s["code"] for s in mine["skus"]]


@pytest.mark.covers("GET /skus")
def test_the_category_filter_includes_sub_categories(api: ApiClient) -> None:
    # given
    parent = api.create_category()
    child = api.create_category(parent=parent["code"])
    grandchild = api.create_category(parent=child["code"])
    sibling = api.create_category()
    in_parent = api.create_sku(category=parent["code"])
    in_child = api.create_sku(category=child["code"])
    in_grandchild = api.create_sku(category=grandchild["code"])
    api.create_sku(category=sibling["code"])

    # when
    under_parent = codes(api, category=parent["code"])
    under_child = codes(api, category=child["code"])

    # then
    assert under_parent == [in_parent, in_child, in_grandchild]
    assert under_child == [in_child, in_grandchild]


@pytest.mark.covers("GET /skus")
def test_an_unknown_category_filter_is_404(api: ApiClient) -> None:
    response = api.get("/skus", params={"category": "NO-SUCH-CAT"})

    assert response.status_code == 404
    assert response.json()["code"] == "category_not_found"


@pytest.mark.covers("GET /skus")
def test_the_text_filter_matches_code_name_product_name_or_exact_barcode(api: ApiClient) -> None:
    # given
    token = random_code("Q").lower()
    by_name = api.create_product([variant(name=f"Shirt {token} red")])["skus"][0]
    by_code = api.create_product([variant(code=f"{token.upper()}-X")])["skus"][0]
    by_product = api.create_product(1, name=f"Jeans {token}")["skus"][0]
    by_barcode = api.get_sku(api.create_sku())

    # when / then
    assert codes(api, q=token.upper()) == [by_name["code"], by_code["code"], by_product["code"]]
    assert codes(api, q=by_barcode["barcode"]) == [by_barcode["code"]]
    assert codes(api, q=by_barcode["barcode"][:-1]) == []


@pytest.mark.covers("GET /skus")
def test_the_text_filter_takes_like_wildcards_literally(api: ApiClient) -> None:
    brand = random_code("BRAND")
    api.create_product([variant(name="100% cotton"), variant(name="cotton_blend")], brand=brand)

    assert len(codes(api, brand=brand, q="%")) == 1
    assert len(codes(api, brand=brand, q="_")) == 1
    assert len(codes(api, brand=brand, q="cotton")) == 2


@pytest.mark.covers("GET /skus", "POST /skus/{code}/deactivate")
def test_the_active_filter_separates_deactivated_skus(api: ApiClient) -> None:
    brand = random_code("BRAND")
    kept, dropped = (s["code"] for s in api.create_product(2, brand=brand)["skus"])
    assert api.post(f"/skus/{dropped}/deactivate").status_code == 200

    assert codes(api, brand=brand, active=True) == [kept]
    assert codes(api, brand=brand, active=False) == [dropped]
    assert codes(api, brand=brand) == [kept, dropped]


@pytest.mark.covers("GET /skus")
def test_filters_combine(api: ApiClient) -> None:
    brand = random_code("BRAND")
    category = api.create_category()
    wanted = api.create_sku(brand=brand, category=category["code"])
    api.create_sku(brand=brand)
    api.create_sku(category=category["code"])

    assert codes(api, brand=brand, category=category["code"], active=True) == [wanted]


@pytest.mark.covers("GET /skus")
def test_a_cursor_with_an_out_of_range_id_is_refused(api: ApiClient) -> None:
    response = api.get("/skus", params={"cursor": forged_cursor({"after": 10**30})})

    assert response.status_code == 422
    assert list(field_errors(response)) == ["cursor"]
