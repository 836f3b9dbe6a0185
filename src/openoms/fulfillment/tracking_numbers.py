"""UPU S10 item identifiers: the tracking numbers postal carriers print on parcels.

``RR123456785NL`` is a two-letter service indicator, an 8-digit serial number, one check digit
and the ISO 3166 alpha-2 code of the issuing country. python-stdnum (2.2) has no S10 module,
so the check digit is computed here, as UPU standard S10 defines it.

The check digit catches every single-digit error except one kind: the standard maps both
11 - (S mod 11) = 5 and = 11 to the digit 5, so a change that moves S between those two
residues keeps a check digit of 5 (``RR123456785NL`` and ``RR123456745NL`` are both valid).
"""

from __future__ import annotations

import re

# Weights of the 8 serial digits, left to right (UPU S10, section on the check digit).
_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
_LETTERS = re.compile(r"[A-Z]{2}")
_SERIAL = re.compile(r"[0-9]{8}")
_S10 = re.compile(r"([A-Z]{2})([0-9]{8})([0-9])([A-Z]{2})")
MAX_SERIAL = 99_999_999


def check_digit(serial8: str) -> int:
    """The S10 check digit of an 8-digit serial number.

    Raises:
        ValueError: the serial is not exactly 8 ASCII digits.
    """
    if not _SERIAL.fullmatch(serial8):
        raise ValueError(f"an S10 serial number is 8 digits, got {serial8!r}")
    total = sum(int(digit) * weight for digit, weight in zip(serial8, _WEIGHTS, strict=True))
    check = 11 - total % 11
    # 11 - (S mod 11) can be 10 or 11, which are not digits: S10 maps them to 0 and 5.
    return {10: 0, 11: 5}.get(check, check)


def s10(prefix: str, serial: int, country: str) -> str:
    """The S10 identifier for a service indicator, serial number and issuing country.

    Raises:
        ValueError: the prefix or country is not two uppercase letters, or the serial is not
            an integer from 0 to 99,999,999.
    """
    if not _LETTERS.fullmatch(prefix):
        raise ValueError(f"an S10 service indicator is two uppercase letters, got {prefix!r}")
    if isinstance(serial, bool) or not isinstance(serial, int) or not 0 <= serial <= MAX_SERIAL:
        raise ValueError(f"an S10 serial number is 0 to {MAX_SERIAL:,}, got {serial!r}")
    if not _LETTERS.fullmatch(country):
        raise ValueError(f"an S10 country is two uppercase letters, got {country!r}")
    digits = f"{serial:08d}"
    return f"{prefix}{digits}{check_digit(digits)}{country}"


def compact(value: str) -> str:
    """The identifier without spaces and in upper case, as scanned or typed (``rr 1234 …``)."""
    return "".join(value.split()).upper()


def is_valid_s10(value: str) -> bool:
    """Whether ``value`` is a well-formed S10 identifier with the right check digit.

    Spaces and lower case are accepted, as printed labels group the digits.
    """
    match = _S10.fullmatch(compact(value))
    return match is not None and check_digit(match.group(2)) == int(match.group(3))
