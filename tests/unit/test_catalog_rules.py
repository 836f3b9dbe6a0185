import pytest

from openoms.catalog.model import SkuSpec, check_barcode, check_code
from openoms.shared.errors import ValidationFailed
from openoms.shared.money import Money


@pytest.mark.parametrize(
    "barcode", ["96385074", "036000291452", "4006381333931", "10614141000415", None]
)
def test_accepts_gtin_8_12_13_and_14_with_a_right_check_digit(barcode: str | None) -> None:
    assert check_barcode(barcode) == []


def test_a_wrong_check_digit_names_the_expected_one() -> None:
    [error] = check_barcode("4006381333932")
    assert error.field == "barcode"
    assert "expected 1" in error.message


@pytest.mark.parametrize(
    "barcode", ["12345", "40063813339311", "ABCDEFGHIJKLM", "4006381333 93", ""]
)
def test_refuses_barcodes_of_the_wrong_shape(barcode: str) -> None:
    [error] = check_barcode(barcode)
    assert "8, 12, 13 or 14 digits" in error.message or "check digit" in error.message


@pytest.mark.parametrize("code", ["", " A", "A B", "-A", "A/B", "x" * 65])
def test_refuses_codes_that_cannot_sit_in_a_url(code: str) -> None:
    assert check_code(code)


def test_a_sku_reports_every_bad_field_at_once() -> None:
    spec = SkuSpec(
        code="bad code",
        name=" ",
        barcode="123",
        weight_g=-1,
        prices={"EUR": Money(-1, "EUR")},
    )
    with pytest.raises(ValidationFailed) as e:
        spec.validate(prefix="skus[2].")
    fields = {err.field for err in e.value.errors}
    assert fields == {
        "skus[2].code",
        "skus[2].name",
        "skus[2].barcode",
        "skus[2].weight_g",
        "skus[2].prices.EUR",
    }
