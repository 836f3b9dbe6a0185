"""Catalog use cases on SQLite and PostgreSQL."""

import pytest

from openoms.catalog import services as catalog
from openoms.catalog.model import (
    CategoryNotFound,
    DuplicateBarcode,
    DuplicateCode,
    ProductNotFound,
    SkuNotFound,
)
from openoms.catalog.services import ProductSpec
from openoms.infra.db import Database
from openoms.shared.errors import ValidationFailed
from openoms.shared.money import Money
from tests.builders import make_sku, random_barcode, random_code, sku_spec


def _tree(db: Database) -> tuple[str, str]:
    top, child = random_code("cat"), random_code("cat")
    catalog.create_category(db.uow(), top, "Footwear")
    catalog.create_category(db.uow(), child, "Hiking boots", parent=top)
    return top, child


def test_a_product_with_variants_is_created_whole(db: Database) -> None:
    top, child = _tree(db)
    product = catalog.create_product(
        db.uow(),
        ProductSpec(
            code=random_code("P"),
            name="Boot",
            brand="Nordvik",
            category=child,
            skus=[sku_spec(), sku_spec()],
        ),
    )
    assert len(product.skus) == 2
    assert product.category_path == f"{top}/{child}"
    assert product.skus[0].brand == "Nordvik"


def test_a_product_with_one_bad_variant_creates_nothing(db: Database) -> None:
    code = random_code("P")
    good, bad = sku_spec(), sku_spec(barcode="4006381333932")
    with pytest.raises(ValidationFailed) as e:
        catalog.create_product(db.uow(), ProductSpec(code=code, name="X", skus=[good, bad]))
    assert [err.field for err in e.value.errors] == ["skus[1].barcode"]
    with pytest.raises(ProductNotFound):
        catalog.get_product(db.reader(), code)
    with pytest.raises(SkuNotFound):
        catalog.get_sku(db.reader(), good.code)


def test_duplicate_codes_and_barcodes_are_conflicts(db: Database) -> None:
    existing = catalog.get_sku(db.reader(), make_sku(db))
    product = existing.product_code
    with pytest.raises(DuplicateCode):
        catalog.create_sku(db.uow(), product, sku_spec(code=existing.code))
    with pytest.raises(DuplicateBarcode) as e:
        catalog.create_sku(db.uow(), product, sku_spec(barcode=existing.barcode))
    assert e.value.data["sku"] == existing.code
    with pytest.raises(ValidationFailed):
        catalog.create_product(
            db.uow(),
            ProductSpec(code=random_code("P"), name="X", skus=[sku_spec("A-1"), sku_spec("A-1")]),
        )


def test_updating_a_sku_keeps_its_code_and_bumps_its_version(db: Database) -> None:
    code = make_sku(db)
    new_barcode = random_barcode()
    updated = catalog.update_sku(
        db.uow(),
        code,
        {"name": "Renamed", "barcode": new_barcode, "prices": {"JPY": Money(1500, "JPY")}},
    )
    assert (updated.name, updated.barcode, updated.version) == ("Renamed", new_barcode, 2)
    assert updated.prices == {"JPY": Money(1500, "JPY")}
    assert catalog.get_sku_by_barcode(db.reader(), new_barcode).code == code
    with pytest.raises(ValidationFailed):
        catalog.update_sku(db.uow(), code, {"code": "OTHER"})
    with pytest.raises(ValidationFailed):
        catalog.update_sku(db.uow(), code, {"weight_g": -5})


def test_deactivated_skus_are_filtered_out_but_kept(db: Database) -> None:
    brand = random_code("brand")
    codes = [make_sku(db, brand=brand) for _ in range(3)]
    catalog.set_sku_active(db.uow(), codes[1], False)
    active = catalog.list_skus(db.reader(), brand=brand, is_active=True)
    assert [s.code for s in active.items] == [codes[0], codes[2]]
    assert catalog.get_sku(db.reader(), codes[1]).is_active is False


def test_category_filter_includes_sub_categories_and_pages_do_not_overlap(db: Database) -> None:
    top, child = _tree(db)
    in_top = [make_sku(db, category=top) for _ in range(2)]
    in_child = [make_sku(db, category=child) for _ in range(3)]
    seen: list[str] = []
    cursor = None
    while True:
        page = catalog.list_skus(db.reader(), category=top, cursor=cursor, limit=2)
        seen += [s.code for s in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == in_top + in_child
    with pytest.raises(CategoryNotFound):
        catalog.list_skus(db.reader(), category="nope")


def test_text_search_finds_code_name_and_exact_barcode(db: Database) -> None:
    code = make_sku(db)
    sku = catalog.get_sku(db.reader(), code)
    for text in (code.lower(), code[-6:], sku.barcode):
        assert [s.code for s in catalog.list_skus(db.reader(), text=text).items] == [code]
    assert catalog.list_skus(db.reader(), text="100%_").items == []
