"""Catalog use cases: one function each, one transaction each."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from openoms.catalog.model import (
    Category,
    CategoryNotFound,
    DuplicateBarcode,
    DuplicateCode,
    Product,
    ProductNotFound,
    Sku,
    SkuNotFound,
    SkuSpec,
    category_path,
    check_code,
)
from openoms.catalog.repository import CatalogRepository, SkuFilter, priced_sql
from openoms.infra.db import Read, UnitOfWork
from openoms.shared import clock
from openoms.shared.errors import FieldError, ValidationFailed
from openoms.shared.pagination import decode_cursor, encode_cursor


@dataclass
class ProductSpec:
    code: str
    name: str
    brand: str | None = None
    category: str | None = None  # category code
    description: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    skus: list[SkuSpec] = field(default_factory=list)


@dataclass
class SkuPage:
    items: list[Sku]
    next_cursor: str | None


def create_category(uow: UnitOfWork, code: str, name: str, parent: str | None = None) -> Category:
    """Add a category, optionally under a parent.

    Raises: ValidationFailed, CategoryNotFound (parent), DuplicateCode.
    """
    errors = check_code(code)
    if not name.strip():
        errors.append(FieldError("name", "must not be empty"))
    if errors:
        raise ValidationFailed(errors)
    with uow:
        repo = CatalogRepository(uow.conn)
        if repo.get_category(code):
            raise DuplicateCode(f"Category '{code}' already exists.", code=code)
        parent_cat = _category_or_raise(repo, parent) if parent else None
        path = category_path(parent_cat.path if parent_cat else None, code)
        created = repo.add_category(code, name, parent_cat.id if parent_cat else None, path)
        uow.commit()
    return created


def list_categories(uow: UnitOfWork) -> list[Category]:
    with uow:
        return CatalogRepository(uow.conn).list_categories()


def create_product(uow: UnitOfWork, spec: ProductSpec) -> Product:
    """Add a product with its variants.

    Raises: ValidationFailed, CategoryNotFound, DuplicateCode, DuplicateBarcode.
    """
    _validate_product(spec)
    with uow:
        repo = CatalogRepository(uow.conn)
        if repo.get_product(spec.code):
            raise DuplicateCode(f"Product '{spec.code}' already exists.", code=spec.code)
        category = _category_or_raise(repo, spec.category) if spec.category else None
        now = clock.now()
        product_id = repo.add_product(
            {
                "code": spec.code,
                "name": spec.name,
                "brand": spec.brand,
                "category_id": category.id if category else None,
                "description": spec.description,
                "attributes": spec.attributes,
                "created_at": now,
                "updated_at": now,
            }
        )
        for sku in spec.skus:
            _ensure_unique(repo, sku)
            repo.add_sku(product_id, sku, now)
        product = repo.get_product(spec.code)
        uow.commit()
    assert product is not None
    return product


def update_product(uow: UnitOfWork, code: str, changes: dict[str, Any]) -> Product:
    """Change a product's name, brand, category, description or attributes.

    Raises: ProductNotFound, CategoryNotFound, ValidationFailed.
    """
    with uow:
        repo = CatalogRepository(uow.conn)
        product = repo.get_product(code)
        if product is None:
            raise ProductNotFound(f"No product with code '{code}'.", code=code)
        values = {
            k: v for k, v in changes.items() if k in ("name", "brand", "description", "attributes")
        }
        if "name" in values and not str(values["name"]).strip():
            raise ValidationFailed.single("name", "must not be empty")
        if "category" in changes:
            cat = _category_or_raise(repo, changes["category"]) if changes["category"] else None
            values["category_id"] = cat.id if cat else None
        values["updated_at"] = clock.now()
        repo.update_product(product.id, values)
        updated = repo.get_product(code)
        uow.commit()
    assert updated is not None
    return updated


def get_product(uow: UnitOfWork, code: str) -> Product:
    """Raises: ProductNotFound."""
    with uow:
        product = CatalogRepository(uow.conn).get_product(code)
    if product is None:
        raise ProductNotFound(f"No product with code '{code}'.", code=code)
    return product


def create_sku(uow: UnitOfWork, product_code: str, spec: SkuSpec) -> Sku:
    """Add a variant to an existing product.

    Raises: ValidationFailed, ProductNotFound, DuplicateCode, DuplicateBarcode.
    """
    spec.validate()
    with uow:
        repo = CatalogRepository(uow.conn)
        product = repo.get_product(product_code)
        if product is None:
            raise ProductNotFound(f"No product with code '{product_code}'.", code=product_code)
        _ensure_unique(repo, spec)
        repo.add_sku(product.id, spec, clock.now())
        sku = repo.get_sku(spec.code)
        uow.commit()
    assert sku is not None
    return sku


def update_sku(uow: UnitOfWork, code: str, changes: dict[str, Any]) -> Sku:
    """Change any field of a SKU but its code (other domains key on it).

    ``changes`` holds only the fields to change, with the types of :class:`SkuSpec`.
    Raises: SkuNotFound, ValidationFailed, DuplicateBarcode.
    """
    if "code" in changes and changes["code"] != code:
        raise ValidationFailed.single("code", "a SKU code cannot change; create a new SKU")
    with uow:
        repo = CatalogRepository(uow.conn)
        current = repo.get_sku(code)
        if current is None:
            raise SkuNotFound(f"No SKU with code '{code}'.", code=code)
        spec = replace(_spec_of(current), **{k: v for k, v in changes.items() if k != "code"})
        spec.validate()
        if spec.barcode and spec.barcode != current.barcode:
            _ensure_barcode_free(repo, spec.barcode)
        repo.update_sku(current.id, spec, clock.now())
        updated = repo.get_sku(code)
        uow.commit()
    assert updated is not None
    return updated


def set_sku_active(uow: UnitOfWork, code: str, is_active: bool) -> Sku:
    """Deactivate (or reactivate) a SKU: it stays in history but is no longer sold.

    Raises: SkuNotFound.
    """
    return update_sku(uow, code, {"is_active": is_active})


def get_sku(uow: UnitOfWork, code: str) -> Sku:
    """Raises: SkuNotFound."""
    with uow:
        sku = CatalogRepository(uow.conn).get_sku(code)
    if sku is None:
        raise SkuNotFound(f"No SKU with code '{code}'.", code=code)
    return sku


def get_sku_by_barcode(uow: UnitOfWork, barcode: str) -> Sku:
    """Raises: SkuNotFound."""
    with uow:
        sku = CatalogRepository(uow.conn).get_sku_by_barcode(barcode)
    if sku is None:
        raise SkuNotFound(f"No SKU with barcode '{barcode}'.", barcode=barcode)
    return sku


def list_skus(
    uow: UnitOfWork,
    *,
    brand: str | None = None,
    category: str | None = None,
    text: str | None = None,
    is_active: bool | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> SkuPage:
    """SKUs matching every given filter, in creation order, one page at a time.

    ``category`` is a category code and includes its sub-categories.
    Raises: CategoryNotFound, ValidationFailed (bad cursor).
    """
    after_id = _after_id(cursor)
    with uow:
        repo = CatalogRepository(uow.conn)
        path = _category_or_raise(repo, category).path if category else None
        items = repo.list_skus(
            SkuFilter(brand, path, text, is_active, after_id=after_id, limit=limit + 1)
        )
    next_cursor = encode_cursor({"after": items[limit - 1].id}) if len(items) > limit else None
    return SkuPage(items[:limit], next_cursor)


@dataclass(frozen=True)
class PricedSku:
    id: int
    code: str
    name: str
    is_active: bool
    price: int | None  # in the asked currency's minor units; None when it has no price there


def priced_skus(uow: UnitOfWork, codes: list[str], currency: str) -> dict[str, PricedSku]:
    """The SKUs with their price in one currency, in one query; inside a transaction."""
    return _priced(CatalogRepository(uow.conn).priced(codes, currency))


def priced_skus_read(codes: list[str], currency: str) -> Read[dict[str, PricedSku]]:
    """:func:`priced_skus` as a read that can share its round trip with others
    (``infra.db.read_at_once``); at least one code."""
    unique = list(dict.fromkeys(codes))
    if not unique:
        raise ValueError("no SKU to price")
    return Read(
        *priced_sql(unique, currency),
        parse=_priced,
        alone=lambda conn: _priced(CatalogRepository(conn).priced(unique, currency)),
    )


def _priced(rows: Iterable[Sequence[Any]]) -> dict[str, PricedSku]:
    return {
        code: PricedSku(sku_id, code, name, is_active, price)
        for sku_id, code, name, is_active, price in rows
    }


def sku_refs(uow: UnitOfWork, codes: list[str]) -> dict[str, tuple[int, bool]]:
    """code -> (id, is_active) for the codes that exist; for other domains."""
    return CatalogRepository(uow.conn).sku_refs(codes)


def _after_id(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    value = decode_cursor(cursor).get("after")
    if not isinstance(value, int) or not 0 <= value < 2**63:
        raise ValidationFailed.single("cursor", "the cursor is not one this server issued")
    return value


def _validate_product(spec: ProductSpec) -> None:
    errors = product_errors(spec)
    if errors:
        raise ValidationFailed(errors)


def product_errors(spec: ProductSpec) -> list[FieldError]:
    """Every rule a new product and its variants break, each with its field path."""
    errors = check_code(spec.code)
    if not spec.name.strip():
        errors.append(FieldError("name", "must not be empty"))
    seen: set[str] = set()
    barcodes: set[str] = set()
    for i, sku in enumerate(spec.skus):
        try:
            sku.validate(prefix=f"skus[{i}].")
        except ValidationFailed as e:
            errors.extend(e.errors)
        if sku.code in seen:
            errors.append(FieldError(f"skus[{i}].code", f"'{sku.code}' appears twice"))
        if sku.barcode and sku.barcode in barcodes:
            errors.append(FieldError(f"skus[{i}].barcode", f"{sku.barcode} appears twice"))
        seen.add(sku.code)
        if sku.barcode:
            barcodes.add(sku.barcode)
    return errors


def _ensure_unique(repo: CatalogRepository, spec: SkuSpec) -> None:
    if repo.code_exists(spec.code):
        raise DuplicateCode(f"SKU code '{spec.code}' is already in use.", code=spec.code)
    if spec.barcode:
        _ensure_barcode_free(repo, spec.barcode)


def _ensure_barcode_free(repo: CatalogRepository, barcode: str) -> None:
    owner = repo.barcode_owner(barcode)
    if owner is not None:
        raise DuplicateBarcode(
            f"Barcode {barcode} already belongs to SKU '{owner}'.", barcode=barcode, sku=owner
        )


def _category_or_raise(repo: CatalogRepository, code: str) -> Category:
    category = repo.get_category(code)
    if category is None:
        raise CategoryNotFound(f"No category with code '{code}'.", code=code)
    return category


def _spec_of(sku: Sku) -> SkuSpec:
    return SkuSpec(
        code=sku.code,
        name=sku.name,
        barcode=sku.barcode,
        weight_g=sku.weight_g,
        dimensions=sku.dimensions,
        unit_cost=sku.unit_cost,
        prices=dict(sku.prices),
        is_active=sku.is_active,
        attributes=dict(sku.attributes),
    )
