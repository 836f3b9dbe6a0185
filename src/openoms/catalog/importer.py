"""Bulk upsert of SKUs from CSV (``oms catalog import FILE.csv``).

One row is one SKU. Columns (header names, case-insensitive):

``product_code, product_name, brand, category, sku, name, barcode, weight_g, length_mm,
width_mm, height_mm, unit_cost, cost_currency, active, description, price_<CUR>...,
attr_<name>...``

``category`` is a path of names, ``Footwear > Hiking boots``; missing categories are created.
Each row is checked on its own: a bad row is reported (line, field, reason) and skipped
whole; good rows are written in batches, each batch one transaction.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from openoms.catalog.model import Dimensions, SkuSpec, category_path, check_code
from openoms.catalog.orm import products, skus
from openoms.catalog.repository import CatalogRepository
from openoms.infra.db import Database
from openoms.shared import clock
from openoms.shared.errors import FieldError, ValidationFailed
from openoms.shared.money import Money

REQUIRED = ("product_code", "sku", "name")
BATCH = 500
_TRUE = {"1", "true", "yes", "y", "active"}
_FALSE = {"0", "false", "no", "n", "inactive"}


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    reason: str


@dataclass
class ImportRow:
    line: int
    product_code: str
    product_name: str
    brand: str | None
    category: list[str]
    description: str
    spec: SkuSpec


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def failed_lines(self) -> int:
        return len({e.line for e in self.errors})


def read_csv(path: Path) -> tuple[list[str], Iterator[dict[str, str]]]:
    handle: TextIO = path.open(newline="", encoding="utf-8-sig")
    reader = csv.DictReader(handle)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    reader.fieldnames = header

    def rows() -> Iterator[dict[str, str]]:
        with handle:
            yield from reader

    return header, rows()


def check_header(header: list[str]) -> list[RowError]:
    missing = [c for c in REQUIRED if c not in header]
    return [RowError(1, c, "required column is missing") for c in missing]


def parse_row(line: int, raw: dict[str, Any]) -> ImportRow:
    """Raises: ValidationFailed with every bad field of the row."""
    errors: list[FieldError] = []
    if None in raw:
        errors.append(FieldError("row", "has more values than the header has columns"))
    values = {k: (v or "").strip() for k, v in raw.items() if k is not None}
    for column in REQUIRED:
        if not values.get(column):
            errors.append(FieldError(column, "must not be empty"))
    errors += check_code(values.get("product_code", ""), "product_code")
    numbers = {
        c: _int(values, c, errors) for c in ("weight_g", "length_mm", "width_mm", "height_mm")
    }
    prices = _prices(values, errors)
    cost = _cost(values, errors)
    active = _bool(values.get("active", ""), errors)
    attributes = {k[5:]: v for k, v in values.items() if k.startswith("attr_") and v}
    spec = SkuSpec(
        code=values.get("sku", ""),
        name=values.get("name", "") or "-",
        barcode=values.get("barcode") or None,
        weight_g=numbers["weight_g"],
        dimensions=Dimensions(numbers["length_mm"], numbers["width_mm"], numbers["height_mm"]),
        unit_cost=cost,
        prices=prices,
        is_active=active,
        attributes=attributes,
    )
    try:
        spec.validate()
    except ValidationFailed as e:
        errors.extend(err for err in e.errors if not any(x.field == err.field for x in errors))
    if errors:
        raise ValidationFailed(errors)
    return ImportRow(
        line=line,
        product_code=values["product_code"],
        product_name=values.get("product_name") or values["name"],
        brand=values.get("brand") or None,
        category=[p.strip() for p in values.get("category", "").split(">") if p.strip()],
        description=values.get("description", ""),
        spec=spec,
    )


def import_rows(
    db: Database,
    rows: Iterable[dict[str, Any]],
    *,
    progress: Callable[[int], None] = lambda _n: None,
) -> ImportReport:
    """Check every row, then upsert the good ones in batches."""
    report = ImportReport()
    batch: list[ImportRow] = []
    seen_sku: dict[str, int] = {}
    seen_barcode: dict[str, int] = {}
    for index, raw in enumerate(rows):
        line = index + 2  # line 1 is the header
        report.rows += 1
        try:
            row = parse_row(line, raw)
            _check_unique_in_file(row, seen_sku, seen_barcode)
        except ValidationFailed as e:
            report.errors.extend(RowError(line, err.field, err.message) for err in e.errors)
            progress(1)
            continue
        batch.append(row)
        if len(batch) >= BATCH:
            _write(db, batch, report)
            progress(len(batch))
            batch = []
    if batch:
        _write(db, batch, report)
        progress(len(batch))
    return report


def _check_unique_in_file(
    row: ImportRow, seen_sku: dict[str, int], seen_bc: dict[str, int]
) -> None:
    sku, barcode = row.spec.code, row.spec.barcode
    if sku in seen_sku:
        raise ValidationFailed.single("sku", f"'{sku}' already appears on line {seen_sku[sku]}")
    if barcode and barcode in seen_bc:
        raise ValidationFailed.single(
            "barcode", f"{barcode} already appears on line {seen_bc[barcode]}"
        )
    seen_sku[sku] = row.line
    if barcode:
        seen_bc[barcode] = row.line


def _write(db: Database, batch: list[ImportRow], report: ImportReport) -> None:
    with db.uow() as uow:
        repo = CatalogRepository(uow.conn)
        owners = _barcode_owners(repo, [r.spec.barcode for r in batch if r.spec.barcode])
        now = clock.now()
        for row in batch:
            owner = owners.get(row.spec.barcode or "")
            if owner is not None and owner != row.spec.code:
                report.errors.append(
                    RowError(
                        row.line, "barcode", f"{row.spec.barcode} already belongs to SKU '{owner}'"
                    )
                )
                continue
            product_id = _upsert_product(uow.conn, repo, row, now)
            existing = repo.get_sku(row.spec.code)
            if existing is None:
                repo.add_sku(product_id, row.spec, now)
                report.created += 1
            else:
                repo.update_sku(existing.id, row.spec, now)
                uow.conn.execute(
                    skus.update().where(skus.c.id == existing.id).values(product_id=product_id)
                )
                report.updated += 1
        uow.commit()


def _barcode_owners(repo: CatalogRepository, barcodes: list[str]) -> dict[str, str]:
    if not barcodes:
        return {}
    rows = repo.conn.execute(
        skus.select()
        .with_only_columns(skus.c.barcode, skus.c.code)
        .where(skus.c.barcode.in_(barcodes))
    )
    return {r.barcode: r.code for r in rows}


def _upsert_product(conn: Any, repo: CatalogRepository, row: ImportRow, now: Any) -> int:
    category_id = _ensure_categories(repo, row.category)
    values = {
        "name": row.product_name,
        "brand": row.brand,
        "category_id": category_id,
        "updated_at": now,
    }
    if row.description:
        values["description"] = row.description
    found = conn.execute(
        products.select()
        .with_only_columns(products.c.id)
        .where(products.c.code == row.product_code)
    ).scalar()
    if found is not None:
        repo.update_product(found, values)
        return int(found)
    return repo.add_product(
        {
            "code": row.product_code,
            "attributes": {},
            "created_at": now,
            "description": row.description,
            **values,
        }
    )


def _ensure_categories(repo: CatalogRepository, names: list[str]) -> int | None:
    parent_id: int | None = None
    path: str | None = None
    for name in names:
        code = _slug(name)
        path = category_path(path, code)
        found = repo.get_category_by_path(path)
        if found is None:
            if repo.get_category(code) is not None:  # same name elsewhere in the tree
                code = _slug(path.replace("/", "-"))
            found = repo.add_category(code, name, parent_id, path)
        parent_id = found.id
    return parent_id


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:64] or "category"


def _int(values: dict[str, str], column: str, errors: list[FieldError]) -> int | None:
    text = values.get(column, "")
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        errors.append(FieldError(column, f"'{text}' is not a whole number"))
        return None


def _prices(values: dict[str, str], errors: list[FieldError]) -> dict[str, Money]:
    out = {}
    for column, text in values.items():
        if not column.startswith("price_") or not text:
            continue
        currency = column[6:].upper()
        try:
            out[currency] = Money.parse(text, currency, field=column)
        except ValidationFailed as e:
            errors.extend(FieldError(column, err.message) for err in e.errors)
    return out


def _cost(values: dict[str, str], errors: list[FieldError]) -> Money | None:
    text = values.get("unit_cost", "")
    if not text:
        return None
    currency = (values.get("cost_currency") or "").upper()
    if not currency:
        errors.append(FieldError("cost_currency", "is needed when unit_cost is given"))
        return None
    try:
        return Money.parse(text, currency, field="unit_cost")
    except ValidationFailed as e:
        errors.extend(FieldError("unit_cost", err.message) for err in e.errors)
        return None


def _bool(text: str, errors: list[FieldError]) -> bool:
    if not text or text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    errors.append(FieldError("active", f"'{text}' is not yes/no"))
    return True
