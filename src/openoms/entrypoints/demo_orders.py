"""Demo commerce on top of the demo catalog: channels, tax and FX rates, and orders.

Orders go through the real placement service, so they are priced, sourced and reserved as
any order would be; a few are then held, cancelled or left backordered.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from openoms.accounting import services as accounting
from openoms.channels import services as channels
from openoms.channels.model import ChannelKind, ChannelSpec
from openoms.customers.model import PostalAddress
from openoms.infra.db import Database
from openoms.orders import lifecycle
from openoms.orders.model import HoldReason, OrderNotSourceable, SpecialCode
from openoms.orders.placement import LineInput, OrderInput, place_order
from openoms.shared import clock
from openoms.sourcing.policy import SourcingPolicy

CHANNELS = [
    ChannelSpec("WEB-EU", "Web shop (EU)", ChannelKind.WEB_SHOP, ["EUR"], allow_backorder=True),
    ChannelSpec(
        "WEB-US",
        "Web shop (US)",
        ChannelKind.WEB_SHOP,
        ["USD"],
        locations=["WH-RNO"],
        prices_include_tax=False,
    ),
    ChannelSpec(
        "MKT-ZAL",
        "Marketplace",
        ChannelKind.MARKETPLACE,
        ["EUR"],
        stock_buffer=2,
        sourcing_policy=SourcingPolicy.FEWEST_SPLITS,
    ),
    ChannelSpec(
        "POS-AMS", "Amsterdam store till", ChannelKind.POINT_OF_SALE, ["EUR"], locations=["ST-AMS"]
    ),
    ChannelSpec("PHONE", "Customer service phone", ChannelKind.PHONE, ["EUR", "USD"]),
    ChannelSpec(
        "B2B",
        "Wholesale",
        ChannelKind.B2B,
        ["EUR"],
        prices_include_tax=False,
        sourcing_policy=SourcingPolicy.PRIORITY,
        allow_backorder=True,
    ),
    ChannelSpec(
        "KIOSK-BER",
        "Berlin store kiosk",
        ChannelKind.KIOSK,
        ["EUR"],
        locations=["ST-BER", "WH-LEJ"],
    ),
]
TAX = [
    ("NL", "", "0.21", "BTW hoog"),
    ("DE", "", "0.19", "MwSt"),
    ("BE", "", "0.21", "BTW"),
    ("FR", "", "0.20", "TVA"),
    ("US", "NV", "0.0825", "Nevada sales tax"),
    ("US", "CA", "0.0725", "California sales tax"),
]
FX = [("USD", "0.92"), ("GBP", "1.17"), ("JPY", "0.0062"), ("KWD", "2.98")]
# (city, postal code, region, country, latitude, longitude)
PLACES = [
    ("Utrecht", "3511 AA", "", "NL", 52.0907, 5.1214),
    ("Groningen", "9711 AA", "", "NL", 53.2194, 6.5665),
    ("Antwerpen", "2000", "", "BE", 51.2194, 4.4025),
    ("Köln", "50667", "", "DE", 50.9375, 6.9603),
    ("München", "80331", "", "DE", 48.1351, 11.5820),
    ("Dresden", "01067", "", "DE", 51.0504, 13.7373),
    ("Lyon", "69001", "", "FR", 45.7640, 4.8357),
    ("Paris", "75001", "", "FR", 48.8566, 2.3522),
]
US_PLACES = [
    ("Sacramento", "95814", "CA", "US", 38.5816, -121.4944),
    ("Las Vegas", "89101", "NV", "US", 36.1699, -115.1398),
]
NAMES = [
    "Sanne de Vries",
    "Lukas Müller",
    "Emma Janssens",
    "Noah Peeters",
    "Mia Schmidt",
    "Lucas Martin",
    "Julia Bakker",
    "Finn Weber",
    "Léa Bernard",
    "Daan Visser",
    "Olivia Brown",
    "Liam Johnson",
]


def load_commerce(
    db: Database, skus: list[str], *, progress: Callable[[int], None] = lambda _n: None
) -> int:
    """Channels, rates and about 80 orders; returns how many orders were placed."""
    rng = random.Random(7)
    for spec in CHANNELS:
        channels.create_channel(db.uow(), spec)
    for country, region, rate, name in TAX:
        accounting.set_tax_rate(db.uow(), country, region, rate, name)
    for currency, rate in FX:
        accounting.set_fx_rate(db.uow(), currency, rate)
    placed = 0
    start = clock.now() - timedelta(days=13)
    for i in range(80):
        # spread over the last two weeks, busier towards today, in shop hours
        when = start + timedelta(days=int(13 * (i / 79) ** 0.7), hours=8 + (i * 7) % 12)
        with clock.frozen(min(when, clock.now())):
            number = _one_order(db, rng, skus, i)
            if number:
                placed += 1
                _afterwards(db, rng, number)
        progress(1)
    return placed


def _one_order(db: Database, rng: random.Random, skus: list[str], i: int) -> str | None:
    spec = rng.choice(CHANNELS)
    currency = spec.currencies[0]
    place = rng.choice(US_PLACES if currency == "USD" else PLACES)
    name = rng.choice(NAMES)
    address = PostalAddress(
        name=name,
        line1=f"{rng.choice(['Main', 'Station', 'Market'])} Street {rng.randint(1, 200)}",
        city=place[0],
        postal_code=place[1],
        region=place[2],
        country=place[3],
        latitude=place[4],
        longitude=place[5],
    )
    email = name.lower().replace(" ", ".").replace("é", "e").replace("ü", "u") + "@example.com"
    lines = [
        LineInput(sku, rng.choice([1, 1, 1, 2, 3])) for sku in rng.sample(skus, rng.randint(1, 3))
    ]
    codes = [SpecialCode.RUSH] if i % 11 == 0 else [SpecialCode.VIP] if i % 17 == 0 else []
    # A till sale is handed over in its store; one web order in four is click and collect.
    pickup = None
    if spec.kind is ChannelKind.POINT_OF_SALE:
        pickup = spec.locations[0]
    elif spec.code == "WEB-EU" and i % 4 == 0:
        pickup = "ST-AMS"
    data = OrderInput(
        channel=spec.code,
        email=email,
        currency=currency,
        lines=lines,
        billing_address=address,
        shipping_address=None if pickup else address,
        pickup_location=pickup,
        external_id=f"DEMO-{i:04d}",
        customer_name=name,
        special_codes=codes,
        shipping_amount=0 if spec.kind is ChannelKind.POINT_OF_SALE else 495,
        tags=["demo"],
    )
    try:
        return place_order(db.uow(), data, actor="system:demo").order.number
    except OrderNotSourceable:
        return None


def _afterwards(db: Database, rng: random.Random, number: str) -> None:
    roll = rng.random()
    if roll < 0.08:
        lifecycle.hold_order(
            db.uow(),
            number,
            HoldReason.FRAUD,
            actor="system:demo",
            note="address does not match the card country",
        )
    elif roll < 0.14:
        lifecycle.cancel_order(
            db.uow(), number, actor="system:demo", reason="customer changed their mind"
        )
    elif roll < 0.18:
        lifecycle.add_note(
            db.uow(), number, "Customer asked for gift wrapping.", actor="system:demo"
        )
