"""Bank statement CSV import and matching received money to open orders and invoices."""

from __future__ import annotations

from datetime import date

import pytest

from openoms.receivables.statement import (
    COLUMN_ALIASES,
    ItemKind,
    Match,
    MatchOutcome,
    ParsedStatement,
    Receivable,
    StatementError,
    StatementLine,
    UnreadableStatement,
    match,
    parse_statement,
    reference_pattern,
)
from openoms.shared.errors import ValidationFailed
from openoms.shared.money import Money

# --- Parsing -----------------------------------------------------------------------------


def only_line(parsed: ParsedStatement) -> StatementLine:
    assert parsed.errors == []
    assert len(parsed.lines) == 1
    return parsed.lines[0]


def test_comma_delimited_with_iso_dates_and_every_column() -> None:
    parsed = parse_statement(
        "Date,Amount,Currency,Reference,Counterparty,Transaction ID\n"
        "2026-11-20,1234.56,EUR,Order SO-000123,Acme GmbH,TX-1\n"
        '2026-11-21,"-1,000.00",usd,Rent,Landlord,TX-2\n'
    )
    assert parsed.errors == []
    assert parsed.lines == [
        StatementLine(
            2, date(2026, 11, 20), Money(123_456, "EUR"), "Order SO-000123", "Acme GmbH", "TX-1"
        ),
        StatementLine(3, date(2026, 11, 21), Money(-100_000, "USD"), "Rent", "Landlord", "TX-2"),
    ]
    assert parsed.lines[0].is_credit
    assert not parsed.lines[0].is_debit
    assert parsed.lines[1].is_debit
    assert not parsed.lines[1].is_credit


def test_semicolon_delimited_german_export_with_preamble_and_aliases() -> None:
    parsed = parse_statement(
        "Kontonummer;DE02120300000000202051\n"
        "Zeitraum;01.11.2026 - 30.11.2026\n"
        "\n"
        "Buchungstag;Wertstellung;Auftraggeber/Empfänger;Verwendungszweck;Betrag (EUR);Währung\n"
        "20.11.2026;21.11.2026;Acme GmbH;Rechnung INV-2026-00042;1.234,56;EUR\n"
        "21.11.2026;22.11.2026;Vermieter;Miete November;-12.500,00;EUR\n"
        "22.11.26;22.11.26;Beta AG;SO 7;0,5;EUR\n"
    )
    assert parsed.errors == []
    first, second, third = parsed.lines
    assert first.row == 5
    assert first.booked == date(2026, 11, 20)  # the booking day, not the value date
    assert first.amount == Money(123_456, "EUR")
    assert first.counterparty == "Acme GmbH"
    assert first.reference == "Rechnung INV-2026-00042"
    assert first.transaction_id is None
    assert second.amount == Money(-1_250_000, "EUR")
    assert second.is_debit
    assert third.booked == date(2026, 11, 22)
    assert third.amount == Money(50, "EUR")


def test_tab_delimited_with_default_currency() -> None:
    line = only_line(
        parse_statement(
            "Booking Date\tDescription\tAmount\tName\n20/11/2026\tINV-2026-00042\t99.90\tAcme\n",
            default_currency="GBP",
        )
    )
    assert line.booked == date(2026, 11, 20)
    assert line.amount == Money(9_990, "GBP")
    assert line.reference == "INV-2026-00042"
    assert line.counterparty == "Acme"


def test_headers_are_compared_without_case_punctuation_or_units() -> None:
    line = only_line(
        parse_statement(
            "\ufeffBOOKING_DATE;Remittance-Information;AMOUNT (EUR);Payer Name\n"
            "2026-11-20;SO-1;5,00;Acme\n",
            default_currency="EUR",
        )
    )
    assert line.amount == Money(500, "EUR")
    assert line.counterparty == "Acme"


def test_every_reference_column_is_read() -> None:
    line = only_line(
        parse_statement(
            "Date,Reference,Description,Amount\n2026-11-20,E2E-9,Payment SO-000123,10.00\n",
            default_currency="EUR",
        )
    )
    assert line.reference == "E2E-9 / Payment SO-000123"


@pytest.mark.parametrize(
    ("cell", "minor"),
    [
        ("1.234,56", 123_456),
        ("1,234.56", 123_456),
        ("1234,56", 123_456),
        ("1234.56", 123_456),
        ("1 234,56", 123_456),
        ("1\u00a0234,56", 123_456),
        ("1'234.56", 123_456),
        ("1.234.567,89", 123_456_789),
        ("-1.234,56", -123_456),
        ("\u22121.234,56", -123_456),
        ("1.234,56-", -123_456),
        ("(1,234.56)", -123_456),
        ("+12,5", 1_250),
        ("12", 1_200),
        ("0,01", 1),
    ],
)
def test_amount_formats(cell: str, minor: int) -> None:
    line = only_line(
        parse_statement(f'Date;Reference;Amount\n2026-11-20;x;"{cell}"\n', default_currency="EUR")
    )
    assert line.amount == Money(minor, "EUR")


def test_amounts_are_exact_in_the_currency_minor_units() -> None:
    parsed = parse_statement(
        "Date;Reference;Amount;Currency\n"
        "2026-11-20;a;1.500;JPY\n"
        "2026-11-20;b;1.234,567;KWD\n"
        "2026-11-20;c;1,999;EUR\n"
    )
    assert [line.amount for line in parsed.lines] == [Money(1_500, "JPY"), Money(1_234_567, "KWD")]
    assert [e.row for e in parsed.errors] == [4]
    assert "EUR amounts have 2 decimal places at most" in parsed.errors[0].message


def test_a_thousands_only_amount_in_a_file_that_does_not_tell_is_an_error() -> None:
    parsed = parse_statement("Date;Reference;Amount\n2026-11-20;x;1.234\n", default_currency="EUR")
    assert parsed.lines == []
    assert parsed.errors[0].row == 2
    assert "decimal separator" in parsed.errors[0].message

    told = parse_statement(
        "Date;Reference;Amount\n2026-11-20;x;1.234\n",
        default_currency="EUR",
        decimal_separator=",",
    )
    assert only_line(told).amount == Money(123_400, "EUR")


def test_the_file_decides_the_decimal_separator_for_amounts_that_do_not() -> None:
    parsed = parse_statement(
        "Date;Reference;Amount\n2026-11-20;x;1.234\n2026-11-20;y;5,50\n", default_currency="EUR"
    )
    assert parsed.errors == []
    assert [line.amount.amount_minor for line in parsed.lines] == [123_400, 550]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2026-11-20", date(2026, 11, 20)),
        ("2026-11-20T10:15:00", date(2026, 11, 20)),
        ("20.11.2026", date(2026, 11, 20)),
        ("03.04.2026", date(2026, 4, 3)),
        ("20.11.26", date(2026, 11, 20)),
        ("20.11.2026 10:15", date(2026, 11, 20)),
    ],
)
def test_iso_and_european_dates(cell: str, expected: date) -> None:
    line = only_line(
        parse_statement(f"Date;Reference;Amount\n{cell};x;1,00\n", default_currency="EUR")
    )
    assert line.booked == expected


def test_slash_dates_take_their_order_from_the_file() -> None:
    us = parse_statement(
        "Date,Reference,Amount\n11/20/2026,x,1.00\n03/04/2026,y,2.00\n", default_currency="USD"
    )
    assert [line.booked for line in us.lines] == [date(2026, 11, 20), date(2026, 3, 4)]
    uk = parse_statement(
        "Date,Reference,Amount\n20/11/2026,x,1.00\n03/04/2026,y,2.00\n", default_currency="GBP"
    )
    assert [line.booked for line in uk.lines] == [date(2026, 11, 20), date(2026, 4, 3)]


def test_slash_dates_the_file_cannot_order_are_errors_unless_the_format_is_given() -> None:
    text = "Date,Reference,Amount\n03/04/2026,x,1.00\n05/06/2026,y,2.00\n"
    parsed = parse_statement(text, default_currency="USD")
    assert parsed.lines == []
    assert [e.row for e in parsed.errors] == [2, 3]
    assert "day/month or month/day" in parsed.errors[0].message

    mdy = parse_statement(text, default_currency="USD", date_format="mdy")
    assert [line.booked for line in mdy.lines] == [date(2026, 3, 4), date(2026, 5, 6)]
    dmy = parse_statement(text, default_currency="USD", date_format="dmy")
    assert [line.booked for line in dmy.lines] == [date(2026, 4, 3), date(2026, 6, 5)]


def test_dates_pointing_both_ways_are_errors() -> None:
    parsed = parse_statement(
        "Date,Reference,Amount\n20/11/2026,x,1.00\n11/21/2026,y,2.00\n", default_currency="USD"
    )
    assert parsed.lines == []
    assert [e.row for e in parsed.errors] == [2, 3]


def test_bad_rows_are_reported_with_their_row_numbers_and_good_rows_kept() -> None:
    parsed = parse_statement(
        "Date;Reference;Amount;Currency\n"
        "2026-11-20;ok;10,00;EUR\n"
        "31.02.2026;bad date;10,00;EUR\n"
        "\n"
        "2026-11-20;bad amount;ten;EUR\n"
        "2026-11-20;bad currency;10,00;EURO\n"
        ";no date;10,00;EUR\n"
        "2026-11-20;no amount;;EUR\n"
        "2026-11-20;extra cell;10,00;EUR;surprise\n"
        "2026-11-20;no currency;10,00;\n"
        "2026-11-21;ok too;-3,00;EUR\n"
    )
    assert [line.reference for line in parsed.lines] == ["ok", "ok too"]
    assert [line.row for line in parsed.lines] == [2, 11]
    errors = {e.row: e.message for e in parsed.errors}
    assert sorted(errors) == [3, 5, 6, 7, 8, 9, 10]
    assert "'31.02.2026' is not a valid date" in errors[3]
    assert "'ten' is not an amount" in errors[5]
    assert "'EURO' is not an ISO 4217 currency code" in errors[6]
    assert errors[7] == "no date"
    assert errors[8] == "no amount"
    assert "5 cells but the header has 4" in errors[9]
    assert "no currency" in errors[10]


def test_a_row_with_several_problems_gets_one_error_naming_all() -> None:
    parsed = parse_statement("Date;Reference;Amount\nsoon;x;lots\n", default_currency="EUR")
    assert parsed.errors == [
        StatementError(
            2,
            "date 'soon' is not a date like 2026-11-20, 20.11.2026 or 11/20/2026; "
            "amount 'lots' is not an amount",
        )
    ]


def test_an_unquoted_thousands_comma_in_a_comma_file_is_caught() -> None:
    parsed = parse_statement(
        "Date,Reference,Amount\n2026-11-20,x,1,234.56\n", default_currency="USD"
    )
    assert parsed.lines == []
    assert parsed.errors[0].row == 2


def test_short_rows_are_padded_so_optional_trailing_columns_may_be_left_out() -> None:
    line = only_line(
        parse_statement(
            "Date,Reference,Amount,Counterparty,Transaction ID\n2026-11-20,x,1.00\n",
            default_currency="USD",
        )
    )
    assert line.counterparty == ""
    assert line.transaction_id is None


def test_credit_and_debit_columns_instead_of_an_amount() -> None:
    parsed = parse_statement(
        "Date,Description,Paid in,Paid out\n"
        "2026-11-20,SO-1,25.00,\n"
        "2026-11-21,Fee,,4.50\n"
        "2026-11-22,Both,1.00,2.00\n"
        "2026-11-23,Neither,,\n",
        default_currency="GBP",
    )
    assert [line.amount for line in parsed.lines] == [Money(2_500, "GBP"), Money(-450, "GBP")]
    assert [e.row for e in parsed.errors] == [4, 5]
    assert "both a credit" in parsed.errors[0].message
    assert parsed.errors[1].message == "no amount"


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("Datum;Text\n20.11.2026;x\n", "no amount and no reference column"),
        ("Date,Amount\n2026-11-20,1.00\n", "no reference column"),
        ("Reference,Amount\nx,1.00\n", "no date column"),
        ("Date;Reference;Name\n2026-11-20;x;y\n", "no amount column"),
    ],
)
def test_missing_columns_are_a_clear_error(text: str, missing: str) -> None:
    with pytest.raises(UnreadableStatement) as refused:
        parse_statement(text, default_currency="EUR")
    assert missing in refused.value.detail
    assert "row 1" in refused.value.detail
    assert "names accepted for" in refused.value.detail
    assert refused.value.code == "unreadable_statement"
    assert isinstance(refused.value, ValidationFailed)


@pytest.mark.parametrize("text", ["", "\n\n", "foo,bar\n1,2\n"])
def test_text_without_a_header_is_unreadable(text: str) -> None:
    with pytest.raises(UnreadableStatement):
        parse_statement(text, default_currency="EUR")


def test_arguments_are_checked() -> None:
    text = "Date;Reference;Amount\n2026-11-20;x;1,00\n"
    with pytest.raises(ValidationFailed):
        parse_statement(text, default_currency="EURO")
    with pytest.raises(ValueError, match="decimal_separator"):
        parse_statement(text, default_currency="EUR", decimal_separator="'")
    with pytest.raises(ValueError, match="delimiter"):
        parse_statement(text, default_currency="EUR", delimiter="|")
    with pytest.raises(ValueError, match="ymd"):
        parse_statement(text, default_currency="EUR", date_format="ymd")


def test_an_explicit_delimiter_is_used() -> None:
    text = "Date;Reference;Amount\n2026-11-20;x;1,00\n"
    assert only_line(parse_statement(text, default_currency="EUR", delimiter=";")).amount == (
        Money(100, "EUR")
    )
    with pytest.raises(UnreadableStatement):
        parse_statement(text, default_currency="EUR", delimiter=",")


def test_every_alias_is_known_under_one_column_only() -> None:
    aliases = [alias for names in COLUMN_ALIASES.values() for alias in names]
    assert len(aliases) == len(set(aliases))


# --- Matching ----------------------------------------------------------------------------

ORDER = Receivable(ItemKind.ORDER, 123, "SO-000123", "EUR", 10_000)
INVOICE = Receivable(ItemKind.INVOICE, 42, "INV-2026-00042", "EUR", 25_000)
USD_ORDER = Receivable(ItemKind.ORDER, 500, "SO-000500", "USD", 10_000)


def credit(reference: str, minor: int, currency: str = "EUR", row: int = 2) -> StatementLine:
    return StatementLine(row, date(2026, 11, 20), Money(minor, currency), reference, "Acme")


def one(lines: list[StatementLine], items: list[Receivable]) -> Match:
    results = match(lines, items)
    assert len(results) == 1
    return results[0]


@pytest.mark.parametrize(
    "reference",
    [
        "SO-000123",
        "so-000123",
        "SO123",
        "so 123",
        "SO 000123",
        "SO/0123",
        "Payment for order SO-000123, thank you",
        "Ref:SO-000123.",
    ],
)
def test_order_numbers_are_found_tolerantly(reference: str) -> None:
    found = one([credit(reference, 10_000)], [ORDER, INVOICE])
    assert found.outcome is MatchOutcome.EXACT
    assert found.item == ORDER


@pytest.mark.parametrize("reference", ["SO1234", "ISO123", "SO-0001230", "SO 12 3", "S0123"])
def test_near_misses_are_not_the_order(reference: str) -> None:
    pattern = reference_pattern("SO-000123")
    assert pattern is not None
    assert pattern.search(reference) is None


@pytest.mark.parametrize(
    ("reference", "found"),
    [
        ("INV-2026-00042", True),
        ("inv 2026 42", True),
        ("INV2026-42", True),
        ("INV202600042", True),
        ("Invoice INV/2026/042 paid", True),
        ("INV202642", False),
        ("INV-2026-00043", False),
        ("INV-2025-00042", False),
        ("INV-2026-000420", False),
    ],
)
def test_invoice_numbers_are_found_tolerantly(reference: str, found: bool) -> None:
    pattern = reference_pattern("INV-2026-00042")
    assert pattern is not None
    assert (pattern.search(reference) is not None) is found


def test_a_number_without_letters_or_digits_has_no_pattern() -> None:
    assert reference_pattern("--") is None


def test_exact_payment() -> None:
    found = one([credit("INV-2026-00042", 25_000)], [ORDER, INVOICE])
    assert found.outcome is MatchOutcome.EXACT
    assert found.item == INVOICE
    assert found.applied == Money(25_000, "EUR")
    assert found.excess_minor == 0
    assert found.reason == (
        "The reference names invoice INV-2026-00042; 250.00 EUR pays its open balance exactly."
    )


def test_partial_payment() -> None:
    found = one([credit("SO-000123", 4_000)], [ORDER, INVOICE])
    assert found.outcome is MatchOutcome.PARTIAL
    assert found.item == ORDER
    assert found.applied_minor == 4_000
    assert found.reason == (
        "The reference names order SO-000123; 40.00 EUR is a part payment of the "
        "100.00 EUR open, 60.00 EUR remains."
    )


def test_over_payment_applies_the_balance_and_reports_the_rest() -> None:
    found = one([credit("SO-000123", 12_000)], [ORDER, INVOICE])
    assert found.outcome is MatchOutcome.OVER
    assert found.item == ORDER
    assert found.applied == Money(10_000, "EUR")
    assert found.excess == Money(2_000, "EUR")
    assert "20.00 EUR left over" in found.reason


def test_later_lines_see_what_earlier_lines_applied() -> None:
    first, second, third = match(
        [
            credit("SO-000123", 6_000, row=2),
            credit("SO-000123", 4_000, row=3),
            credit("SO-000123", 4_000, row=4),
        ],
        [ORDER],
    )
    assert first.outcome is MatchOutcome.PARTIAL
    assert second.outcome is MatchOutcome.EXACT
    assert second.applied_minor == 4_000
    assert third.outcome is MatchOutcome.OVER
    assert third.applied_minor == 0
    assert third.excess_minor == 4_000
    assert "nothing left to pay" in third.reason


def test_no_reference_and_no_amount_is_unmatched() -> None:
    found = one([credit("Thanks!", 777)], [ORDER, INVOICE])
    assert found.outcome is MatchOutcome.UNMATCHED
    assert found.item is None
    assert found.applied_minor == 0
    assert found.reason == (
        "No order or invoice number in the reference, and no open item is of 7.77 EUR."
    )


def test_a_reference_in_the_wrong_currency_is_unmatched() -> None:
    found = one([credit("SO-000500", 10_000, "EUR")], [ORDER, INVOICE, USD_ORDER])
    assert found.outcome is MatchOutcome.UNMATCHED
    assert found.item is None
    assert found.applied_minor == 0
    assert found.candidates == (USD_ORDER,)
    assert "order SO-000500 (USD)" in found.reason
    assert "in EUR" in found.reason


def test_several_numbers_in_the_reference_are_ambiguous() -> None:
    found = one([credit("SO-000123 and INV-2026-00042", 35_000)], [ORDER, INVOICE])
    assert found.outcome is MatchOutcome.AMBIGUOUS
    assert found.item is None
    assert found.applied_minor == 0
    assert set(found.candidates) == {ORDER, INVOICE}
    assert "several open items" in found.reason
    assert "combined open balance of 350.00 EUR" in found.reason

    other_amount = one([credit("SO-000123 and INV-2026-00042", 100)], [ORDER, INVOICE])
    assert other_amount.outcome is MatchOutcome.AMBIGUOUS
    assert "combined" not in other_amount.reason


def test_a_unique_amount_is_suggested_but_not_applied() -> None:
    found = one([credit("Payment November", 25_000)], [ORDER, INVOICE, USD_ORDER])
    assert found.outcome is MatchOutcome.SUGGESTED
    assert found.item == INVOICE
    assert found.applied_minor == 0
    assert found.reason == (
        "No order or invoice number in the reference; invoice INV-2026-00042 is the only "
        "open item of 250.00 EUR: suggested, not applied."
    )


def test_an_amount_shared_by_several_items_is_not_suggested() -> None:
    twin = Receivable(ItemKind.ORDER, 124, "SO-000124", "EUR", 10_000)
    found = one([credit("Payment", 10_000)], [ORDER, twin, INVOICE])
    assert found.outcome is MatchOutcome.UNMATCHED
    assert found.item is None
    assert set(found.candidates) == {ORDER, twin}
    assert "2 open items are of 100.00 EUR" in found.reason


def test_an_amount_in_another_currency_is_not_suggested() -> None:
    found = one([credit("Payment", 10_000, "USD")], [ORDER])
    assert found.outcome is MatchOutcome.UNMATCHED


def test_debits_and_zero_amounts_are_ignored() -> None:
    results = match([credit("SO-000123", -10_000, row=2), credit("SO-000123", 0, row=3)], [ORDER])
    assert results == []


def test_parsed_lines_match_end_to_end() -> None:
    parsed = parse_statement(
        "Buchungstag;Verwendungszweck;Betrag;Währung\n"
        "20.11.2026;RE INV 2026 42;250,00;EUR\n"
        "20.11.2026;Bestellung so123;40,00;EUR\n"
        "20.11.2026;Kontoführung;-9,90;EUR\n"
    )
    outcomes = [(m.line.row, m.outcome, m.item) for m in match(parsed.lines, [ORDER, INVOICE])]
    assert outcomes == [
        (2, MatchOutcome.EXACT, INVOICE),
        (3, MatchOutcome.PARTIAL, ORDER),
    ]


def test_an_open_item_needs_a_real_currency_and_no_negative_balance() -> None:
    with pytest.raises(ValidationFailed):
        Receivable(ItemKind.ORDER, 1, "SO-1", "EURO", 100)
    with pytest.raises(ValueError, match="negative"):
        Receivable(ItemKind.ORDER, 1, "SO-1", "EUR", -1)
