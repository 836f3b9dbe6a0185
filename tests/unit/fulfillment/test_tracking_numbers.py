import pytest

from openoms.fulfillment.tracking_numbers import check_digit, compact, is_valid_s10, s10


def test_the_upu_example_is_valid() -> None:
    assert is_valid_s10("RR123456785NL")
    assert check_digit("12345678") == 5


def test_builds_the_upu_example() -> None:
    assert s10("RR", 12345678, "NL") == "RR123456785NL"


def test_pads_small_serials_to_eight_digits() -> None:
    assert s10("CP", 42, "DE") == "CP00000042" + str(check_digit("00000042")) + "DE"


def test_a_check_of_ten_becomes_zero() -> None:
    # 8 * 7 = 56, 56 mod 11 = 1, 11 - 1 = 10
    assert check_digit("00000008") == 0
    assert is_valid_s10("EE000000080GB")


def test_a_check_of_eleven_becomes_five() -> None:
    # 1 * 9 + 5 * 7 = 44, 44 mod 11 = 0, 11 - 0 = 11
    assert check_digit("00000015") == 5
    assert check_digit("00000000") == 5
    assert s10("LX", 15, "FR") == "LX000000155FR"


def _single_digit_changes(value: str) -> list[str]:
    return [
        value[:i] + digit + value[i + 1 :]
        for i in range(2, 11)
        for digit in "0123456789"
        if digit != value[i]
    ]


def _raw_check(serial8: str) -> int:
    return 11 - sum(int(d) * w for d, w in zip(serial8, (8, 6, 4, 2, 3, 5, 9, 7), strict=True)) % 11


@pytest.mark.parametrize(
    "value", ["EE000000080GB", "CP314159268DE", "RA876543216DE", "RR123456799NL"]
)
def test_every_single_digit_change_is_detected_when_the_check_digit_is_not_5(value: str) -> None:
    assert value[10] != "5"
    assert is_valid_s10(value)
    for changed in _single_digit_changes(value):
        assert not is_valid_s10(changed), changed


def test_a_check_digit_5_cannot_tell_a_raw_5_from_a_raw_11() -> None:
    # S10 maps both 11 - (S mod 11) = 5 and = 11 to the digit 5, so a single-digit change that
    # moves S between those two residues goes unnoticed. That is the standard, not a bug.
    value = "RR123456785NL"
    undetected = [changed for changed in _single_digit_changes(value) if is_valid_s10(changed)]
    assert undetected == [
        "RR323456785NL",
        "RR113456785NL",
        "RR127456785NL",
        "RR123156785NL",
        "RR123436785NL",
        "RR123457785NL",
        "RR123456745NL",
    ]
    assert _raw_check(value[2:10]) == 5
    assert all(_raw_check(changed[2:10]) == 11 for changed in undetected)
    assert not any(is_valid_s10(value[:10] + d + "NL") for d in "012346789")


def test_every_built_identifier_is_valid() -> None:
    for serial in range(0, 100_000_000, 999_983):
        assert is_valid_s10(s10("RA", serial, "BE"))


def test_accepts_spaces_and_lower_case_as_on_labels() -> None:
    assert compact(" rr 123 456 785 nl ") == "RR123456785NL"
    assert is_valid_s10("rr 123 456 785 nl")


@pytest.mark.parametrize(
    "value",
    ["", "RR12345678NL", "RR1234567855NL", "R1123456785NL", "RR123456785N1", "RR12345678XNL"],
)
def test_malformed_identifiers_are_not_valid(value: str) -> None:
    assert not is_valid_s10(value)


@pytest.mark.parametrize(
    ("prefix", "serial", "country"),
    [
        ("rr", 1, "NL"),
        ("R", 1, "NL"),
        ("RRR", 1, "NL"),
        ("R1", 1, "NL"),
        ("RR", -1, "NL"),
        ("RR", 100_000_000, "NL"),
        ("RR", True, "NL"),
        ("RR", 1, "nl"),
        ("RR", 1, "NLD"),
        ("RR", 1, ""),
    ],
)
def test_refuses_bad_parts(prefix: str, serial: int, country: str) -> None:
    with pytest.raises(ValueError, match="S10"):
        s10(prefix, serial, country)


@pytest.mark.parametrize("serial", ["1234567", "123456789", "1234567a", "", "１２３４５６７８"])
def test_check_digit_refuses_anything_but_eight_digits(serial: str) -> None:
    with pytest.raises(ValueError, match="8 digits"):
        check_digit(serial)
