from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from openoms.catalog.model import Category, Dimensions, Product, Sku, SkuSpec
from openoms.shared.errors import FieldError, ValidationFailed
from openoms.web.schemas import MoneyIn, MoneyOut, Strict, collect_money

AttributeValue = str | int | float | bool


class DimensionsIO(Strict):
    length_mm: int | None = Field(default=None, ge=0, le=10_000)
    width_mm: int | None = Field(default=None, ge=0, le=10_000)
    height_mm: int | None = Field(default=None, ge=0, le=10_000)


class VariantCreate(Strict):
    code: str = Field(min_length=1, max_length=64, examples=["TSHIRT-RED-M"])
    name: str = Field(min_length=1, max_length=300)
    barcode: str | None = Field(default=None, examples=["4006381333931"])
    weight_g: int | None = Field(default=None, ge=0)
    dimensions: DimensionsIO = Field(default_factory=DimensionsIO)
    unit_cost: MoneyIn | None = None
    prices: list[MoneyIn] = Field(default_factory=list)
    is_active: bool = True
    attributes: dict[str, AttributeValue] = Field(default_factory=dict)

    def to_spec(self, prefix: str = "") -> SkuSpec:
        spec, errors = self.to_spec_checked(prefix)
        if errors:
            raise ValidationFailed(errors)
        return spec

    def to_spec_checked(self, prefix: str = "") -> tuple[SkuSpec, list[FieldError]]:
        """The spec, with the money fields that did not parse left empty, and their errors."""
        errors: list[FieldError] = []
        prices = {}
        cost = None
        try:
            prices = collect_money(self.prices, f"{prefix}prices")
        except ValidationFailed as e:
            errors.extend(e.errors)
        if self.unit_cost is not None:
            try:
                cost = self.unit_cost.to_money(f"{prefix}unit_cost")
            except ValidationFailed as e:
                errors.extend(e.errors)
        spec = SkuSpec(
            code=self.code,
            name=self.name,
            barcode=self.barcode,
            weight_g=self.weight_g,
            dimensions=Dimensions(**self.dimensions.model_dump()),
            unit_cost=cost,
            prices=prices,
            is_active=self.is_active,
            attributes=dict(self.attributes),
        )
        return spec, errors


class SkuCreate(VariantCreate):
    product: str = Field(min_length=1, max_length=64, description="code of the product")


class SkuUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=300)
    barcode: str | None = None
    weight_g: int | None = Field(default=None, ge=0)
    dimensions: DimensionsIO | None = None
    unit_cost: MoneyIn | None = None
    prices: list[MoneyIn] | None = None
    is_active: bool | None = None
    attributes: dict[str, AttributeValue] | None = None

    def changes(self) -> dict[str, Any]:
        given = self.model_fields_set
        nulls = [
            n
            for n in ("name", "is_active", "prices", "attributes")
            if n in given and getattr(self, n) is None
        ]
        if nulls:
            raise ValidationFailed([FieldError(n, "must not be null") for n in nulls])
        out: dict[str, Any] = {}
        for name in ("name", "barcode", "weight_g", "is_active", "attributes"):
            if name in given:
                out[name] = getattr(self, name)
        if "dimensions" in given:
            out["dimensions"] = Dimensions(**(self.dimensions or DimensionsIO()).model_dump())
        if "unit_cost" in given:
            out["unit_cost"] = self.unit_cost.to_money("unit_cost") if self.unit_cost else None
        if "prices" in given:
            out["prices"] = collect_money(self.prices or [], "prices")
        return out


class ProductCreate(Strict):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=300)
    brand: str | None = Field(default=None, max_length=120)
    category: str | None = Field(default=None, description="category code")
    description: str = ""
    attributes: dict[str, AttributeValue] = Field(default_factory=dict)
    skus: list[VariantCreate] = Field(default_factory=list)


class ProductUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=300)
    brand: str | None = Field(default=None, max_length=120)
    category: str | None = None
    description: str | None = None
    attributes: dict[str, AttributeValue] | None = None


class CategoryCreate(Strict):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    parent: str | None = None


class CategoryOut(BaseModel):
    code: str
    name: str
    path: str
    depth: int

    @classmethod
    def of(cls, c: Category) -> CategoryOut:
        return cls(code=c.code, name=c.name, path=c.path, depth=c.depth)


class SkuOut(BaseModel):
    code: str
    product: str
    name: str
    barcode: str | None
    brand: str | None
    category: str | None
    weight_g: int | None
    dimensions: DimensionsIO
    unit_cost: MoneyOut | None
    prices: list[MoneyOut]
    is_active: bool
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, s: Sku) -> SkuOut:
        return cls(
            code=s.code,
            product=s.product_code,
            name=s.name,
            barcode=s.barcode,
            brand=s.brand,
            category=s.category_path,
            weight_g=s.weight_g,
            dimensions=DimensionsIO(**s.dimensions.__dict__),
            unit_cost=MoneyOut.of(s.unit_cost) if s.unit_cost else None,
            prices=[MoneyOut.of(p) for _, p in sorted(s.prices.items())],
            is_active=s.is_active,
            attributes=s.attributes,
            created_at=s.created_at,
            updated_at=s.updated_at,
            version=s.version,
        )


class ProductOut(BaseModel):
    code: str
    name: str
    brand: str | None
    category: str | None
    description: str
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    skus: list[SkuOut]

    @classmethod
    def of(cls, p: Product) -> ProductOut:
        return cls(
            code=p.code,
            name=p.name,
            brand=p.brand,
            category=p.category_path,
            description=p.description,
            attributes=p.attributes,
            created_at=p.created_at,
            updated_at=p.updated_at,
            skus=[SkuOut.of(s) for s in p.skus],
        )
