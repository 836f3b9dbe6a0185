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
        for err in e.errors:
            column = _column_of(err.field)
            if not any(x.field == column for x in errors):
                errors.append(FieldError(column, err.message))
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


def _column_of(spec_field: str) -> str:
    """The CSV column a SkuSpec field comes from (``code`` -> ``sku``)."""
    if spec_field == "code":
        return "sku"
    if spec_field.startswith("prices."):
        return "price_" + spec_field.split(".", 1)[1].lower()
    return spec_field


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
        writer = _BatchWriter(CatalogRepository(uow.conn), batch)
        for row in batch:
            owner = writer.barcode_owners.get(row.spec.barcode or "")
            if owner is not None and owner != row.spec.code:
                message = f"{row.spec.barcode} already belongs to SKU '{owner}'"
                report.errors.append(RowError(row.line, "barcode", message))
                continue
            if writer.upsert(row):
                report.created += 1
            else:
                report.updated += 1
        uow.commit()


class _BatchWriter:
    """Upserts one batch with what it needs looked up once, not once per row."""

    def __init__(self, repo: CatalogRepository, batch: list[ImportRow]) -> None:
        self.repo = repo
        self.now = clock.now()
        self.existing = {
            code: ref[0] for code, ref in repo.sku_refs([r.spec.code for r in batch]).items()
        }
        barcodes = [r.spec.barcode for r in batch if r.spec.barcode]
        self.barcode_owners = repo.barcode_owners(barcodes) if barcodes else {}
        self.products: dict[str, int] = {}
        self.categories: dict[str, int] = {}

    def upsert(self, row: ImportRow) -> bool:
        """Write the row's product and SKU; True when the SKU is new."""
        product_id = self._product(row)
        sku_id = self.existing.get(row.spec.code)
        if sku_id is None:
            self.existing[row.spec.code] = self.repo.add_sku(product_id, row.spec, self.now)
            return True
        self.repo.update_sku(sku_id, row.spec, self.now)
        self.repo.conn.execute(
            skus.update().where(skus.c.id == sku_id).values(product_id=product_id)
        )
        return False

    def _product(self, row: ImportRow) -> int:
        if row.product_code in self.products:
            return self.products[row.product_code]
        values: dict[str, Any] = {
            "name": row.product_name,
            "brand": row.brand,
            "category_id": self._category(row.category),
            "updated_at": self.now,
        }
        if row.description:
            values["description"] = row.description
        found = self.repo.conn.execute(
            products.select()
            .with_only_columns(products.c.id)
            .where(products.c.code == row.product_code)
        ).scalar()
        if found is not None:
            self.repo.update_product(found, values)
        else:
            found = self.repo.add_product(
                {
                    "code": row.product_code,
                    "attributes": {},
                    "created_at": self.now,
                    "description": row.description,
                    **values,
                }
            )
        self.products[row.product_code] = int(found)
        return int(found)

    def _category(self, names: list[str]) -> int | None:
        parent_id: int | None = None
        path: str | None = None
        for name in names:
            code = _slug(name)
            path = category_path(path, code)
            if path not in self.categories:
                found = self.repo.get_category_by_path(path)
                if found is None:
                    if self.repo.get_category(code) is not None:  # same name elsewhere
                        code = _slug(path.replace("/", "-"))
                    found = self.repo.add_category(code, name, parent_id, path)
                self.categories[path] = found.id
            parent_id = self.categories[path]
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
