"""Catalog rules: products, their sellable variants (SKUs), categories and prices."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from stdnum import ean
from stdnum.exceptions import ValidationError as StdnumError

from openoms.shared.errors import Conflict, FieldError, NotFound, ValidationFailed
from openoms.shared.money import Money

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")
GTIN_LENGTHS = (8, 12, 13, 14)
MAX_DIMENSION_MM = 10_000
MAX_WEIGHT_G = 10_000_000


class SkuNotFound(NotFound):
    code = "sku_not_found"
    title = "SKU not found"


class ProductNotFound(NotFound):
    code = "product_not_found"
    title = "Product not found"


class CategoryNotFound(NotFound):
    code = "category_not_found"
    title = "Category not found"


class DuplicateCode(Conflict):
    code = "duplicate_code"
    title = "Code already in use"


class DuplicateBarcode(Conflict):
    code = "duplicate_barcode"
    title = "Barcode already in use"


def check_code(value: str, field_name: str = "code") -> list[FieldError]:
    if not isinstance(value, str) or not CODE_PATTERN.match(value):
        return [
            FieldError(
                field_name,
                "use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
            )
        ]
    return []


def check_barcode(value: str | None, field_name: str = "barcode") -> list[FieldError]:
    """A GTIN-8, -12, -13 or -14 whose check digit is right."""
    if value is None:
        return []
    if not (value.isascii() and value.isdigit()) or len(value) not in GTIN_LENGTHS:
        return [FieldError(field_name, "a GTIN has 8, 12, 13 or 14 digits")]
    try:
        ean.validate(value)
    except StdnumError:
        expected = ean.calc_check_digit(value[:-1])
        return [
            FieldError(field_name, f"check digit is {value[-1]}, expected {expected} for {value}")
        ]
    return []


def check_measure(value: int | None, field_name: str, maximum: int) -> list[FieldError]:
    if value is None:
        return []
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > maximum:
        return [FieldError(field_name, f"must be a whole number from 0 to {maximum}")]
    return []


def check_prices(prices: Mapping[str, Money], field_name: str = "prices") -> list[FieldError]:
    errors = []
    for currency, money in prices.items():
        if money.amount_minor < 0:
            errors.append(FieldError(f"{field_name}.{currency}", "a price cannot be negative"))
    return errors


@dataclass
class Dimensions:
    length_mm: int | None = None
    width_mm: int | None = None
    height_mm: int | None = None


@dataclass
class SkuSpec:
    """What a new or updated SKU carries, before it has an id."""

    code: str
    name: str
    barcode: str | None = None
    weight_g: int | None = None
    dimensions: Dimensions = field(default_factory=Dimensions)
    unit_cost: Money | None = None
    prices: dict[str, Money] = field(default_factory=dict)
    is_active: bool = True
    attributes: dict[str, Any] = field(default_factory=dict)

    def validate(self, prefix: str = "") -> None:
        """Raise one ValidationFailed naming every bad field."""
        errors = [
            *check_code(self.code, f"{prefix}code"),
            *check_barcode(self.barcode, f"{prefix}barcode"),
            *check_measure(self.weight_g, f"{prefix}weight_g", MAX_WEIGHT_G),
            *check_measure(self.dimensions.length_mm, f"{prefix}length_mm", MAX_DIMENSION_MM),
            *check_measure(self.dimensions.width_mm, f"{prefix}width_mm", MAX_DIMENSION_MM),
            *check_measure(self.dimensions.height_mm, f"{prefix}height_mm", MAX_DIMENSION_MM),
            *check_prices(self.prices, f"{prefix}prices"),
        ]
        if not self.name.strip():
            errors.append(FieldError(f"{prefix}name", "must not be empty"))
        if self.unit_cost is not None and self.unit_cost.amount_minor < 0:
            errors.append(FieldError(f"{prefix}unit_cost", "a cost cannot be negative"))
        if errors:
            raise ValidationFailed(errors)


@dataclass
class Sku:
    id: int
    product_id: int
    product_code: str
    code: str
    name: str
    barcode: str | None
    brand: str | None
    category_path: str | None
    weight_g: int | None
    dimensions: Dimensions
    unit_cost: Money | None
    prices: dict[str, Money]
    is_active: bool
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    version: int

    @property
    def volume_mm3(self) -> int | None:
        d = self.dimensions
        if d.length_mm is None or d.width_mm is None or d.height_mm is None:
            return None
        return d.length_mm * d.width_mm * d.height_mm


@dataclass
class Product:
    id: int
    code: str
    name: str
    brand: str | None
    category_path: str | None
    description: str
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    skus: list[Sku] = field(default_factory=list)


@dataclass
class Category:
    id: int
    code: str
    name: str
    parent_id: int | None
    path: str

    @property
    def depth(self) -> int:
        return self.path.count("/")


def category_path(parent_path: str | None, code: str) -> str:
    return f"{parent_path}/{code}" if parent_path else code
