"""Catalog over HTTP: SKUs, their barcodes and their prices."""

from __future__ import annotations

import pytest
from stdnum import ean

from tests.builders import random_barcode
from tests.e2e.api.client import ApiClient, field_errors, variant


def gtin(length: int) -> str:
    body = random_barcode()[: length - 1]
    return body + ean.calc_check_digit(body)


# --- SKUs ----------------------------------------------------------------------------------


@pytest.mark.covers("POST /skus", "GET /skus/{code}")
def test_a_variant_added_to_a_product_inherits_its_brand(api: ApiClient) -> None:
    product = api.create_product(0, brand="Acme")
    body = variant(product=product["code"], prices=[{"currency": "JPY", "amount": "1500"}])

    created = api.post("/skus", body)
    fetched = api.get(f"/skus/{body['code']}")

    assert created.status_code == 201
    sku = created.json()
    assert (sku["code"], sku["product"], sku["brand"], sku["version"]) == (
        body["code"],
        product["code"],
        "Acme",
        1,
    )
    assert sku["prices"] == [{"currency": "JPY", "amount": "1500", "amount_minor": 1500}]
    assert fetched.status_code == 200
    assert fetched.json() == sku
    assert len(api.get(f"/products/{product['code']}").json()["skus"]) == 1


@pytest.mark.covers("GET /skus/{code}")
def test_an_unknown_sku_is_404(api: ApiClient) -> None:
    response = api.get("/skus/NO-SUCH-SKU")

    assert response.status_code == 404
    assert response.json()["code"] == "sku_not_found"


@pytest.mark.covers("POST /skus")
def test_a_variant_of_an_unknown_product_is_404(api: ApiClient) -> None:
    response = api.post("/skus", variant(product="NO-SUCH-PRODUCT"))

    assert response.status_code == 404
    assert response.json()["code"] == "product_not_found"


@pytest.mark.covers("POST /skus")
def test_a_sku_code_can_be_used_once(api: ApiClient) -> None:
    product = api.create_product(1)
    taken = product["skus"][0]["code"]

    response = api.post("/skus", variant(product=product["code"], code=taken))

    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_code"
    assert response.json()["detail"] == f"SKU code '{taken}' is already in use."


@pytest.mark.covers("POST /skus")
def test_a_barcode_can_belong_to_one_sku_only(api: ApiClient) -> None:
    product = api.create_product(1)
    owner = product["skus"][0]

    response = api.post("/skus", variant(product=product["code"], barcode=owner["barcode"]))

    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_barcode"
    assert response.json()["sku"] == owner["code"]


@pytest.mark.covers("POST /skus")
def test_a_sku_without_its_product_is_refused(api: ApiClient) -> None:
    response = api.post("/skus", variant())

    assert response.status_code == 422
    assert field_errors(response) == {"product": "Field required"}


@pytest.mark.covers("PATCH /skus/{code}")
def test_updating_a_sku_replaces_its_prices_and_bumps_its_version(api: ApiClient) -> None:
    # given
    code = api.create_sku()
    new_barcode = random_barcode()

    # when
    response = api.patch(
        f"/skus/{code}",
        {
            "name": "Renamed",
            "barcode": new_barcode,
            "prices": [{"currency": "KWD", "amount": "1.234"}, {"currency": "EUR", "amount": "5"}],
            "weight_g": None,
        },
    )

    # then
    assert response.status_code == 200
    sku = response.json()
    assert (sku["name"], sku["barcode"], sku["weight_g"], sku["version"]) == (
        "Renamed",
        new_barcode,
        None,
        2,
    )
    assert sku["prices"] == [
        {"currency": "EUR", "amount": "5.00", "amount_minor": 500},
        {"currency": "KWD", "amount": "1.234", "amount_minor": 1234},
    ]
    assert api.get_sku(code) == sku


@pytest.mark.covers("PATCH /skus/{code}")
@pytest.mark.parametrize(
    ("price", "field", "message"),
    [
        ({"currency": "EUR", "amount": "2"}, "prices[1].currency", "EUR is given twice"),
        ({"currency": "ABC", "amount": "2"}, "prices[1].currency", "'ABC' is not an active"),
        ({"currency": "EURO", "amount": "2"}, "prices[1].currency", "at most 3 characters"),
        ({"currency": "JPY", "amount": "100.5"}, "prices[1].amount", "JPY amounts have 0"),
        ({"currency": "KWD", "amount": "1.2345"}, "prices[1].amount", "KWD amounts have 3"),
        ({"currency": "USD", "amount": "1.999"}, "prices[1].amount", "USD amounts have 2"),
        ({"currency": "USD", "amount": "ten"}, "prices[1].amount", "'ten' is not a number"),
        ({"currency": "USD", "amount": "NaN"}, "prices[1].amount", "must be a finite number"),
    ],
)
def test_a_bad_price_is_named_by_its_index_and_changes_nothing(
    api: ApiClient, price: dict[str, str], field: str, message: str
) -> None:
    code = api.create_sku()
    before = api.get_sku(code)

    response = api.patch(
        f"/skus/{code}", {"prices": [{"currency": "EUR", "amount": "1.00"}, price]}
    )

    assert response.status_code == 422
    errors = field_errors(response)
    assert list(errors) == [field]
    assert message in errors[field]
    assert api.get_sku(code) == before


@pytest.mark.covers("PATCH /skus/{code}")
@pytest.mark.parametrize(
    ("currency", "amount", "shown", "minor"),
    [
        ("JPY", "1500", "1500", 1500),
        ("KWD", "1.234", "1.234", 1234),
        ("EUR", "19.9", "19.90", 1990),
    ],
)
def test_prices_keep_the_decimals_of_their_currency(
    api: ApiClient, currency: str, amount: str, shown: str, minor: int
) -> None:
    code = api.create_sku()

    response = api.patch(f"/skus/{code}", {"prices": [{"currency": currency, "amount": amount}]})

    assert response.status_code == 200
    assert response.json()["prices"] == [
        {"currency": currency, "amount": shown, "amount_minor": minor}
    ]


@pytest.mark.covers("PATCH /skus/{code}")
def test_a_negative_price_is_named_by_its_index(api: ApiClient) -> None:
    code = api.create_sku()

    response = api.patch(
        f"/skus/{code}",
        {"prices": [{"currency": "EUR", "amount": "1"}, {"currency": "USD", "amount": "-1"}]},
    )

    assert response.status_code == 422
    assert list(field_errors(response)) == ["prices[1].amount"]


@pytest.mark.covers("PATCH /skus/{code}")
def test_a_sku_cannot_take_another_skus_barcode(api: ApiClient) -> None:
    owner = api.get_sku(api.create_sku())
    code = api.create_sku()

    response = api.patch(f"/skus/{code}", {"barcode": owner["barcode"]})

    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_barcode"
    assert api.get_sku(code)["barcode"] != owner["barcode"]


@pytest.mark.covers("PATCH /skus/{code}")
def test_a_sku_code_cannot_change(api: ApiClient) -> None:
    code = api.create_sku()

    response = api.patch(f"/skus/{code}", {"code": "NEW-CODE"})

    assert response.status_code == 422
    assert field_errors(response) == {"code": "Extra inputs are not permitted"}


@pytest.mark.covers("PATCH /skus/{code}")
def test_updating_an_unknown_sku_is_404(api: ApiClient) -> None:
    response = api.patch("/skus/NO-SUCH-SKU", {"name": "X"})

    assert response.status_code == 404
    assert response.json()["code"] == "sku_not_found"


@pytest.mark.covers("PATCH /skus/{code}")
def test_a_null_sku_name_is_invalid_input(api: ApiClient) -> None:
    code = api.create_sku()

    response = api.patch(f"/skus/{code}", {"name": None})

    assert response.status_code == 422
    assert list(field_errors(response)) == ["name"]


@pytest.mark.covers("PATCH /skus/{code}")
def test_a_null_is_active_is_invalid_input(api: ApiClient) -> None:
    code = api.create_sku()

    response = api.patch(f"/skus/{code}", {"is_active": None})

    assert response.status_code == 422
    assert list(field_errors(response)) == ["is_active"]


@pytest.mark.covers("POST /skus/{code}/deactivate", "POST /skus/{code}/activate")
def test_a_sku_can_be_deactivated_and_activated_again(api: ApiClient) -> None:
    code = api.create_sku()

    deactivated = api.post(f"/skus/{code}/deactivate")
    activated = api.post(f"/skus/{code}/activate")

    assert deactivated.status_code == 200
    assert (deactivated.json()["is_active"], deactivated.json()["version"]) == (False, 2)
    assert activated.status_code == 200
    assert (activated.json()["is_active"], activated.json()["version"]) == (True, 3)


@pytest.mark.covers("POST /skus/{code}/deactivate", "POST /skus/{code}/activate")
@pytest.mark.parametrize("action", ["deactivate", "activate"])
def test_activating_an_unknown_sku_is_404(api: ApiClient, action: str) -> None:
    response = api.post(f"/skus/NO-SUCH-SKU/{action}")

    assert response.status_code == 404
    assert response.json()["code"] == "sku_not_found"


# --- barcodes ------------------------------------------------------------------------------


@pytest.mark.covers("GET /skus/by-barcode/{barcode}")
def test_a_sku_is_found_by_its_barcode(api: ApiClient) -> None:
    sku = api.get_sku(api.create_sku())

    response = api.get(f"/skus/by-barcode/{sku['barcode']}")

    assert response.status_code == 200
    assert response.json() == sku


@pytest.mark.covers("GET /skus/by-barcode/{barcode}", "PATCH /skus/{code}")
def test_a_changed_barcode_no_longer_finds_the_sku(api: ApiClient) -> None:
    sku = api.get_sku(api.create_sku())
    assert api.patch(f"/skus/{sku['code']}", {"barcode": None}).status_code == 200

    response = api.get(f"/skus/by-barcode/{sku['barcode']}")

    assert response.status_code == 404
    assert response.json()["code"] == "sku_not_found"
    assert response.json()["barcode"] == sku["barcode"]


@pytest.mark.covers("POST /skus")
@pytest.mark.parametrize("length", [8, 12, 13, 14])
def test_every_gtin_length_is_accepted(api: ApiClient, length: int) -> None:
    product = api.create_product(0)
    barcode = gtin(length)

    response = api.post("/skus", variant(product=product["code"], barcode=barcode))

    assert response.status_code == 201
    assert response.json()["barcode"] == barcode


@pytest.mark.covers("POST /skus")
@pytest.mark.parametrize(
    "barcode",
    ["40063813339AB", "4006381333 31", "1234567", "123456789", "400638133393112", ""],
    ids=["letters", "space", "7-digits", "9-digits", "15-digits", "empty"],
)
def test_a_barcode_that_is_not_a_gtin_is_refused(api: ApiClient, barcode: str) -> None:
    product = api.create_product(0)

    response = api.post("/skus", variant(product=product["code"], barcode=barcode))

    assert response.status_code == 422
    assert field_errors(response) == {"barcode": "a GTIN has 8, 12, 13 or 14 digits"}


@pytest.mark.covers("POST /skus")
def test_a_wrong_check_digit_names_the_expected_one(api: ApiClient) -> None:
    product = api.create_product(0)
    good = random_barcode()
    wrong = good[:-1] + str((int(good[-1]) + 3) % 10)

    response = api.post("/skus", variant(product=product["code"], barcode=wrong))

    assert response.status_code == 422
    assert field_errors(response) == {
        "barcode": f"check digit is {wrong[-1]}, expected {good[-1]} for {wrong}"
    }


@pytest.mark.covers("POST /skus")
@pytest.mark.parametrize(
    "barcode", ["²" * 13, "٤٠٠٦٣٨١٣٣٣٩٣١"], ids=["superscript", "arabic-indic"]
)
def test_a_barcode_of_non_ascii_digits_is_not_a_gtin(api: ApiClient, barcode: str) -> None:
    product = api.create_product(0)

    response = api.post("/skus", variant(product=product["code"], barcode=barcode))

    assert response.status_code == 422
    assert field_errors(response) == {"barcode": "a GTIN has 8, 12, 13 or 14 digits"}
