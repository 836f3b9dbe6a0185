"""``oms catalog import``: thousands of rows, row-level errors, nothing half-imported."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openoms.catalog import services as catalog
from openoms.catalog.importer import import_rows
from openoms.catalog.model import SkuNotFound
from openoms.entrypoints.cli import app
from openoms.infra.db import Database
from openoms.infra.settings import get_settings
from tests.builders import random_barcode, random_code

COLUMNS = [
    "product_code",
    "product_name",
    "brand",
    "category",
    "sku",
    "name",
    "barcode",
    "weight_g",
    "unit_cost",
    "cost_currency",
    "price_eur",
    "price_jpy",
    "active",
    "attr_color",
]


def _row(**overrides: str) -> dict[str, str]:
    row = {
        "product_code": random_code("P"),
        "product_name": "Trail Shoe",
        "brand": "Nordvik",
        "category": "Footwear > Trail runners",
        "sku": random_code("S"),
        "name": "Trail Shoe 42",
        "barcode": random_barcode(),
        "weight_g": "640",
        "unit_cost": "41.50",
        "cost_currency": "EUR",
        "price_eur": "129.95",
        "price_jpy": "19800",
        "active": "yes",
        "attr_color": "Black",
    }
    row.update(overrides)
    return row


def test_good_rows_are_upserted_and_bad_rows_are_reported_whole(db: Database) -> None:
    # given two good rows, one of them for an existing SKU, and three broken ones
    existing = _row()
    import_rows(db, [existing])
    rows = [
        _row(),
        {**existing, "name": "Renamed", "price_eur": "99.00"},
        _row(barcode="4006381333932"),
        _row(price_jpy="19.5", weight_g="heavy"),
        _row(sku="", active="maybe"),
    ]
    # when
    report = import_rows(db, rows)
    # then
    assert (report.rows, report.created, report.updated) == (5, 1, 1)
    assert {(e.line, e.field) for e in report.errors} == {
        (4, "barcode"),
        (5, "price_jpy"),
        (5, "weight_g"),
        (6, "sku"),
        (6, "active"),
    }
    assert catalog.get_sku(db.reader(), existing["sku"]).name == "Renamed"
    with pytest.raises(SkuNotFound):
        catalog.get_sku(db.reader(), rows[2]["sku"])  # the bad row left nothing behind


def test_duplicates_within_the_file_and_against_the_database_are_refused(db: Database) -> None:
    first = _row()
    import_rows(db, [first])
    taken_barcode = _row(barcode=first["barcode"])
    twice = _row()
    report = import_rows(db, [twice, {**twice, "barcode": random_barcode()}, taken_barcode])
    assert report.created == 1
    assert sorted((e.line, e.field) for e in report.errors) == [(3, "sku"), (4, "barcode")]


def test_categories_are_created_as_a_tree(db: Database) -> None:
    top = random_code("Top")
    row = _row(category=f"{top} > Boots > Winter")
    report = import_rows(db, [row])
    assert report.errors == []
    assert catalog.get_sku(db.reader(), row["sku"]).category_path == (f"{top.lower()}/boots/winter")


def _write(path: Path, rows: list[dict[str, str]], columns: list[str] = COLUMNS) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def cli_env(sqlite_url: str, sqlite_db: Database, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OMS_DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_the_cli_imports_two_thousand_rows_and_exits_1_on_bad_rows(cli_env, tmp_path) -> None:
    rows = [_row() for _ in range(2000)]
    rows[500]["price_eur"] = "12.345"
    result = cli_env.invoke(app, ["catalog", "import", str(_write(tmp_path / "c.csv", rows))])
    assert result.exit_code == 1, result.output
    assert "2000 rows: 1999 created, 0 updated, 1 rejected" in result.output
    assert "502" in result.output  # the line number of the bad row (header is line 1)


def test_the_cli_refuses_a_file_without_required_columns(cli_env, tmp_path) -> None:
    path = _write(tmp_path / "bad.csv", [{"name": "x"}], ["name"])
    result = cli_env.invoke(app, ["catalog", "import", str(path)])
    assert result.exit_code == 2
    assert "product_code" in result.output


def test_verify_reports_drift_and_exits_1(cli_env, sqlite_db: Database) -> None:
    from openoms.inventory.orm import stock_levels
    from tests.builders import make_location, make_sku, stock

    ok = cli_env.invoke(app, ["inventory", "verify"])
    assert ok.exit_code == 0, ok.output
    sku, location = make_sku(sqlite_db), make_location(sqlite_db).code
    stock(sqlite_db, sku, location, 5)
    with sqlite_db.uow() as uow:  # tamper with a level behind the ledger's back
        uow.conn.execute(
            stock_levels.update().where(stock_levels.c.sku_code == sku).values(on_hand=7)
        )
        uow.commit()
    try:
        drift = cli_env.invoke(app, ["inventory", "verify"])
        assert drift.exit_code == 1
        assert sku in drift.output
    finally:
        with sqlite_db.uow() as uow:
            uow.conn.execute(
                stock_levels.update().where(stock_levels.c.sku_code == sku).values(on_hand=5)
            )
            uow.commit()
