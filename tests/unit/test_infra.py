import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from openoms.infra.db import json_document, normalize_url
from openoms.shared.errors import ValidationFailed
from openoms.shared.pagination import decode_cursor, encode_cursor


@pytest.mark.parametrize(
    ("raw", "driver"),
    [
        ("postgres://u@h/db", "postgresql+psycopg"),
        ("postgresql://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
        ("sqlite:///var/x.db", "sqlite+pysqlite"),
        ("var/x.db", "sqlite+pysqlite"),
    ],
)
def test_accepts_every_usual_spelling_of_a_database_url(raw: str, driver: str) -> None:
    assert normalize_url(raw).drivername == driver


def test_refuses_databases_it_does_not_support() -> None:
    with pytest.raises(ValueError, match="unsupported database"):
        normalize_url("mysql://root@localhost/x")


def test_cursors_round_trip_and_garbage_is_refused() -> None:
    assert decode_cursor(encode_cursor({"after": 42})) == {"after": 42}
    for garbage in ["!!!", "bm90IGpzb24", encode_cursor({"x": 1})[:-2] + "~~"]:
        with pytest.raises(ValidationFailed):
            decode_cursor(garbage)


def test_a_json_document_writes_times_and_decimals_as_the_database_reads_them() -> None:
    at = datetime(2026, 12, 7, 14, 45, 13, 677013, tzinfo=UTC)
    value = [{"at": at, "rate": Decimal("0.21"), "n": 3, "none": None, "nested": {"a": [1]}}]

    text = json_document(value)

    assert json.loads(text) == [
        {
            "at": "2026-12-07T14:45:13.677013+00:00",
            "rate": "0.21",
            "n": 3,
            "none": None,
            "nested": {"a": [1]},
        }
    ]
    assert json_document({1: "a"}) == '{"1":"a"}'  # as the standard library writes keys


def test_a_json_document_refuses_a_naive_time_with_the_reason() -> None:
    with pytest.raises(ValueError, match="naive datetimes are not stored"):
        json_document([{"at": datetime(2026, 12, 7, 14, 45, tzinfo=UTC).replace(tzinfo=None)}])
    with pytest.raises(TypeError):
        json_document([{"what": object()}])
