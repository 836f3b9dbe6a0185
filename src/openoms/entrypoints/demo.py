"""A believable demo merchant: an outdoor outfitter selling in Europe and the US.

Deterministic (fixed seed) so screenshots and walkthroughs always show the same data.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from stdnum import ean

from openoms.catalog.importer import import_rows
from openoms.catalog.orm import skus
from openoms.entrypoints.demo_alerts import load_alerts
from openoms.entrypoints.demo_fulfilment import load_fulfilment
from openoms.entrypoints.demo_orders import load_commerce
from openoms.entrypoints.demo_returns import load_returns
from openoms.entrypoints.demo_users import load_users
from openoms.infra.db import Database
from openoms.inventory.model import StockLine
from openoms.inventory.services.stock import receive_stock, set_safety_stock
from openoms.locations import services as locations
from openoms.locations.model import Address, LocationKind, LocationSpec

SEED = 20261122
BRANDS = ["Alpenglow", "Cascadia Gear", "Nordvik", "Summit Supply", "TrailCraft", "Urban Nomad"]
SIZES = ["S", "M", "L", "XL"]
SHOE_SIZES = ["40", "41", "42", "43", "44", "45"]
COLORS = ["Black", "Forest", "Glacier", "Ember", "Sand"]

# (category path, product nouns, base price EUR, weight g, dims mm, variant kind)
CATALOG: list[tuple[str, list[str], int, int, tuple[int, int, int], str]] = [
    (
        "Apparel > Jackets",
        ["Storm Shell Jacket", "Ridge Down Jacket", "Alpine Softshell", "Rain Runner Jacket"],
        189,
        650,
        (350, 280, 60),
        "apparel",
    ),
    (
        "Apparel > Fleece",
        ["Basecamp Fleece", "Grid Fleece Hoodie", "Polar Zip Fleece", "Trail Fleece Vest"],
        79,
        420,
        (320, 260, 50),
        "apparel",
    ),
    (
        "Apparel > Base layers",
        ["Merino 150 Tee", "Merino 250 Crew", "Thermal Tights", "Seamless Long Sleeve"],
        59,
        180,
        (250, 200, 30),
        "apparel",
    ),
    (
        "Footwear > Hiking boots",
        ["Summit GTX Boot", "Granite Mid", "Backcountry Leather Boot", "Ridgeline Hiker"],
        169,
        1250,
        (330, 220, 130),
        "shoes",
    ),
    (
        "Footwear > Trail runners",
        ["Scree Runner", "Mudguard TR", "Skyline Racer", "Canyon Trail Shoe"],
        139,
        640,
        (320, 200, 120),
        "shoes",
    ),
    (
        "Equipment > Backpacks",
        ["Daypack", "Trek Pack", "Summit Pack", "Commuter Pack"],
        119,
        1100,
        (550, 320, 220),
        "capacity",
    ),
    (
        "Equipment > Tents",
        ["Ultralight Tent", "Dome Tent", "Tunnel Tent", "Bivy Shelter"],
        329,
        2200,
        (500, 200, 200),
        "capacity",
    ),
    (
        "Equipment > Sleeping bags",
        ["Down Bag -5", "Synthetic Bag 0", "Summer Quilt", "Expedition Bag -20"],
        249,
        1300,
        (400, 250, 250),
        "capacity",
    ),
    (
        "Accessories > Headwear",
        ["Merino Beanie", "Trail Cap", "Sun Hat", "Neck Gaiter"],
        29,
        90,
        (200, 150, 40),
        "color",
    ),
    (
        "Accessories > Bottles",
        ["Insulated Bottle 0.75 l", "Trail Flask", "Steel Bottle 1 l", "Collapsible Cup"],
        34,
        380,
        (280, 80, 80),
        "color",
    ),
    (
        "Accessories > Headlamps",
        ["Headlamp 400", "Headlamp 900", "Camp Lantern", "Bike Light Set"],
        49,
        120,
        (120, 90, 60),
        "color",
    ),
]

LOCATIONS = [
    LocationSpec(
        "WH-RTM",
        "Rotterdam Distribution Centre",
        LocationKind.WAREHOUSE,
        Address("Waalhaven Oostzijde 1", "", "Rotterdam", "3087 BM", "Zuid-Holland", "NL"),
        51.8931,
        4.4295,
        "Europe/Amsterdam",
        can_ship=True,
        can_pickup=False,
        priority=10,
    ),
    LocationSpec(
        "WH-LEJ",
        "Leipzig Warehouse",
        LocationKind.WAREHOUSE,
        Address("Am Exer 10", "", "Leipzig", "04158", "Sachsen", "DE"),
        51.4181,
        12.3326,
        "Europe/Berlin",
        can_ship=True,
        can_pickup=False,
        priority=20,
    ),
    LocationSpec(
        "WH-RNO",
        "Reno Fulfilment Center",
        LocationKind.WAREHOUSE,
        Address("1355 Capital Blvd", "", "Reno", "89502", "NV", "US"),
        39.4997,
        -119.7560,
        "America/Los_Angeles",
        can_ship=True,
        can_pickup=False,
        priority=30,
    ),
    LocationSpec(
        "ST-AMS",
        "Amsterdam Store",
        LocationKind.STORE,
        Address("Kalverstraat 92", "", "Amsterdam", "1012 PH", "Noord-Holland", "NL"),
        52.3702,
        4.8911,
        "Europe/Amsterdam",
        can_ship=False,
        can_pickup=True,
        priority=50,
    ),
    LocationSpec(
        "ST-BER",
        "Berlin Mitte Store",
        LocationKind.STORE,
        Address("Rosenthaler Str. 40", "", "Berlin", "10178", "Berlin", "DE"),
        52.5262,
        13.4020,
        "Europe/Berlin",
        can_ship=False,
        can_pickup=True,
        priority=60,
    ),
]


def has_data(db: Database) -> bool:
    with db.reader() as uow:
        return uow.conn.execute(sa.select(skus.c.id).limit(1)).first() is not None


def load_demo(db: Database, *, progress: Callable[[int], None] = lambda _n: None) -> dict[str, Any]:
    """The catalog, five locations with zones and bins, stock, channels, orders and staff."""
    rng = random.Random(SEED)
    rows = catalog_rows(rng)
    report = import_rows(db, rows, progress=progress)
    if report.errors:
        raise RuntimeError(f"demo catalog rejected: {report.errors[:3]}")
    units = 0
    for spec in LOCATIONS:
        locations.create_location(db.uow(), spec)
        bins = _layout(db, spec)
        units += _stock(db, spec, [r["sku"] for r in rows], bins, rng)
        progress(1)
    orders = load_commerce(db, [r["sku"] for r in rows], progress=progress)
    fulfilment = load_fulfilment(db)
    opened = load_returns(db)
    load_alerts(db)
    token = load_users(db)
    return {
        "skus": len(rows),
        "locations": len(LOCATIONS),
        "units": units,
        "orders": orders,
        "shipped": fulfilment["shipped"],
        "returns": opened,
        "token": token,
    }


def catalog_rows(rng: random.Random) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    serial = 1000
    for category, nouns, base_price, weight, dims, kind in CATALOG:
        for n, noun in enumerate(nouns):
            brand = BRANDS[(len(rows) + n) % len(BRANDS)]
            product_code = "P-" + "".join(w[0] for w in noun.split() if w[0].isalnum()).upper()
            product_code += f"{n + 1}{len(rows) % 97:02d}"
            price = Decimal(base_price + rng.choice([-10, 0, 0, 10, 20]))
            for variant, attrs in _variants(kind, rng):
                serial += 1
                body = f"20{serial:010d}"
                eur = price - Decimal("0.05")
                usd = (price * Decimal("1.08")).quantize(Decimal("1"), ROUND_HALF_UP) - Decimal(
                    "0.01"
                )
                rows.append(
                    {
                        "product_code": product_code,
                        "product_name": f"{brand} {noun}",
                        "brand": brand,
                        "category": category,
                        "sku": f"{product_code}-{variant}",
                        "name": f"{brand} {noun} {variant}",
                        "barcode": body + ean.calc_check_digit(body),
                        "weight_g": str(int(weight * rng.uniform(0.9, 1.1))),
                        "length_mm": str(dims[0]),
                        "width_mm": str(dims[1]),
                        "height_mm": str(dims[2]),
                        "unit_cost": str((price * Decimal("0.42")).quantize(Decimal("0.01"))),
                        "cost_currency": "EUR",
                        "price_eur": str(eur),
                        "price_usd": str(usd),
                        "active": "yes",
                        **{f"attr_{k}": v for k, v in attrs.items()},
                    }
                )
    return rows


def _variants(kind: str, rng: random.Random) -> list[tuple[str, dict[str, str]]]:
    if kind == "apparel":
        colors = rng.sample(COLORS, 2)
        return [(f"{c[:3].upper()}-{s}", {"color": c, "size": s}) for c in colors for s in SIZES]
    if kind == "shoes":
        color = rng.choice(COLORS)
        return [(f"{color[:3].upper()}-{s}", {"color": color, "size": s}) for s in SHOE_SIZES]
    if kind == "capacity":
        return [("STD", {"size": "regular"}), ("LRG", {"size": "large"})]
    return [(c[:3].upper(), {"color": c}) for c in rng.sample(COLORS, 3)]


def _layout(db: Database, spec: LocationSpec) -> list[str]:
    zones = (
        [("A", "Fast movers"), ("B", "Bulk"), ("C", "Small items")]
        if spec.kind is LocationKind.WAREHOUSE
        else [("SF", "Sales floor"), ("BK", "Backroom")]
    )
    codes: list[str] = []
    for zone, name in zones:
        locations.add_zone(db.uow(), spec.code, zone, name)
        aisles, levels = (4, 5) if spec.kind is LocationKind.WAREHOUSE else (2, 3)
        zone_bins = [
            f"{zone}-{a:02d}-{lv:02d}" for a in range(1, aisles + 1) for lv in range(1, levels + 1)
        ]
        locations.add_bins(db.uow(), spec.code, zone, zone_bins)
        codes += zone_bins
    return codes


def _stock(
    db: Database, spec: LocationSpec, sku_codes: list[str], bins: list[str], rng: random.Random
) -> int:
    is_warehouse = spec.kind is LocationKind.WAREHOUSE
    lines = []
    for code in sku_codes:
        if rng.random() < (0.1 if is_warehouse else 0.6):
            continue  # not every location carries every SKU
        quantity = rng.randint(5, 120) if is_warehouse else rng.randint(1, 12)
        lines.append(StockLine(code, quantity, spec.code, rng.choice(bins)))
    receive_stock(db.uow(), spec.code, lines, reference="demo:opening-stock", actor="system:demo")
    for line in lines[:: 7 if is_warehouse else 11]:
        set_safety_stock(db.uow(), spec.code, line.sku, 2, actor="system:demo")
    return sum(line.quantity for line in lines)
