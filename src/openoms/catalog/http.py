"""Catalog API: categories, products and SKUs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from openoms.catalog import services
from openoms.catalog.schemas import (
    CategoryCreate,
    CategoryOut,
    ProductCreate,
    ProductOut,
    ProductUpdate,
    SkuCreate,
    SkuOut,
    SkuUpdate,
)
from openoms.catalog.services import ProductSpec
from openoms.identity.model import Permission as P
from openoms.shared.errors import FieldError, ValidationFailed
from openoms.web.auth import permit
from openoms.web.deps import ReadUow, WriteUow
from openoms.web.schemas import Page

router = APIRouter(tags=["catalog"])


@router.post(
    "/categories", status_code=status.HTTP_201_CREATED, dependencies=[permit(P.CATALOG_EDIT)]
)
def create_category(body: CategoryCreate, uow: WriteUow) -> CategoryOut:
    return CategoryOut.of(services.create_category(uow, body.code, body.name, body.parent))


@router.get("/categories", dependencies=[permit(P.CATALOG_VIEW)])
def list_categories(uow: ReadUow) -> list[CategoryOut]:
    return [CategoryOut.of(c) for c in services.list_categories(uow)]


@router.post(
    "/products", status_code=status.HTTP_201_CREATED, dependencies=[permit(P.CATALOG_EDIT)]
)
def create_product(body: ProductCreate, uow: WriteUow) -> ProductOut:
    errors: list[FieldError] = []
    specs = []
    for i, variant in enumerate(body.skus):
        variant_spec, variant_errors = variant.to_spec_checked(prefix=f"skus[{i}].")
        specs.append(variant_spec)
        errors.extend(variant_errors)
    spec = ProductSpec(
        code=body.code,
        name=body.name,
        brand=body.brand,
        category=body.category,
        description=body.description,
        attributes=dict(body.attributes),
        skus=specs,
    )
    # every bad field of every variant in one answer
    errors.extend(e for e in services.product_errors(spec) if e not in errors)
    if errors:
        raise ValidationFailed(errors)
    return ProductOut.of(services.create_product(uow, spec))


@router.get("/products/{code}", dependencies=[permit(P.CATALOG_VIEW)])
def get_product(code: str, uow: ReadUow) -> ProductOut:
    return ProductOut.of(services.get_product(uow, code))


@router.patch("/products/{code}", dependencies=[permit(P.CATALOG_EDIT)])
def update_product(code: str, body: ProductUpdate, uow: WriteUow) -> ProductOut:
    nullable = {"brand", "category"}
    changes = {
        k: getattr(body, k)
        for k in body.model_fields_set
        if k in nullable or getattr(body, k) is not None
    }
    return ProductOut.of(services.update_product(uow, code, changes))


@router.post("/skus", status_code=status.HTTP_201_CREATED, dependencies=[permit(P.CATALOG_EDIT)])
def create_sku(body: SkuCreate, uow: WriteUow) -> SkuOut:
    return SkuOut.of(services.create_sku(uow, body.product, body.to_spec()))


@router.get("/skus", dependencies=[permit(P.CATALOG_VIEW)])
def list_skus(
    uow: ReadUow,
    brand: str | None = None,
    category: Annotated[
        str | None, Query(description="category code; includes sub-categories")
    ] = None,
    q: Annotated[str | None, Query(description="text in code, name or exact barcode")] = None,
    active: bool | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[SkuOut]:
    page = services.list_skus(
        uow, brand=brand, category=category, text=q, is_active=active, cursor=cursor, limit=limit
    )
    return Page(items=[SkuOut.of(s) for s in page.items], next_cursor=page.next_cursor)


@router.get("/skus/by-barcode/{barcode}", dependencies=[permit(P.CATALOG_VIEW)])
def get_sku_by_barcode(barcode: str, uow: ReadUow) -> SkuOut:
    return SkuOut.of(services.get_sku_by_barcode(uow, barcode))


@router.get("/skus/{code}", dependencies=[permit(P.CATALOG_VIEW)])
def get_sku(code: str, uow: ReadUow) -> SkuOut:
    return SkuOut.of(services.get_sku(uow, code))


@router.patch("/skus/{code}", dependencies=[permit(P.CATALOG_EDIT)])
def update_sku(code: str, body: SkuUpdate, uow: WriteUow) -> SkuOut:
    return SkuOut.of(services.update_sku(uow, code, body.changes()))


@router.post("/skus/{code}/deactivate", dependencies=[permit(P.CATALOG_EDIT)])
def deactivate_sku(code: str, uow: WriteUow) -> SkuOut:
    return SkuOut.of(services.set_sku_active(uow, code, False))


@router.post("/skus/{code}/activate", dependencies=[permit(P.CATALOG_EDIT)])
def activate_sku(code: str, uow: WriteUow) -> SkuOut:
    return SkuOut.of(services.set_sku_active(uow, code, True))
