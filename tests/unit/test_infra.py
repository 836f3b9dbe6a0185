import pytest

from openoms.infra.db import normalize_url
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
