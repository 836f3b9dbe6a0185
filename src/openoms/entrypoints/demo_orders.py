"""Demo commerce on top of the demo catalog: channels, tax and FX rates, and orders.

Orders go through the real placement service, so they are priced, sourced and reserved as
any order would be; a few are then held, cancelled or left backordered.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from contextlib import suppress
from dataclasses import replace
from datetime import datetime, timedelta

from openoms.accounting import services as accounting
from openoms.channels import services as channels
from openoms.channels.model import ChannelKind, ChannelSpec
from openoms.customers.model import PostalAddress
from openoms.entrypoints.bootstrap import payment_gateways
from openoms.infra.db import Database
from openoms.infra.settings import get_settings
from openoms.orders import lifecycle, queries
from openoms.orders.model import HoldReason, OrderNotSourceable, SpecialCode
from openoms.orders.placement import LineInput, OrderInput, place_order
from openoms.payments.fraud import DEFAULT_CONFIG
from openoms.payments.gateways import Gateways
from openoms.payments.model import CapturePolicy, PaymentMethod
from openoms.payments.services import order_payments
from openoms.payments.services.operations import PaymentInput
from openoms.payments.services.screening import Client
from openoms.payments.testcard import CardInput
from openoms.receivables.model import PaymentTerms
from openoms.receivables.services import companies, invoices, quotes
from openoms.receivables.services.companies import CompanySpec
from openoms.receivables.services.quotes import QuoteInput, QuoteLine
from openoms.shared import clock
from openoms.shared.errors import OmsError
from openoms.sourcing.policy import SourcingPolicy

CHANNELS = [
    # The EU web shop reviews at 30 points (the default is 50), so the demo has reviews.
    ChannelSpec(
        "WEB-EU",
        "Web shop (EU)",
        ChannelKind.WEB_SHOP,
        ["EUR"],
        allow_backorder=True,
        fraud_rules={**DEFAULT_CONFIG.to_dict(), "review_at": 30},
    ),
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
        "POS-AMS",
        "Amsterdam store till",
        ChannelKind.POINT_OF_SALE,
        ["EUR"],
        locations=["ST-AMS"],
        payment_capture=CapturePolicy.AT_PLACEMENT,
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
        payment_capture=CapturePolicy.AT_PLACEMENT,
    ),
]
# How each channel's demo orders pay.
PAID_BY = {
    "WEB-EU": PaymentMethod.CARD,
    "WEB-US": PaymentMethod.CARD,
    "KIOSK-BER": PaymentMethod.CARD,
    "POS-AMS": PaymentMethod.CARD,
    "MKT-ZAL": PaymentMethod.BANK_TRANSFER,  # the marketplace pays out later
    "PHONE": PaymentMethod.BANK_TRANSFER,
    "B2B": PaymentMethod.INVOICE,
}
COMPANIES = [
    (
        "HOLLAND-BIKES",
        "Hollandse Fietsen BV",
        PaymentTerms.NET_30,
        500_000,
        "inkoop@hollandsefietsen.example",
    ),
    (
        "RHEIN-OUTDOOR",
        "Rhein Outdoor GmbH",
        PaymentTerms.DUE_ON_RECEIPT,
        150_000,
        "einkauf@rhein-outdoor.example",
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
    """Channels, rates, two company customers and about 80 orders, paid as each channel is
    paid and screened for fraud; quotes and invoices for the companies. Returns how many
    orders were placed."""
    rng = random.Random(7)
    gateways = payment_gateways(get_settings(), db)
    for spec in CHANNELS:
        channels.create_channel(db.uow(), spec)
    for country, region, rate, name in TAX:
        accounting.set_tax_rate(db.uow(), country, region, rate, name)
    for currency, rate in FX:
        accounting.set_fx_rate(db.uow(), currency, rate)
    for code, name, terms, limit, email in COMPANIES:
        companies.create_company(db.uow(), CompanySpec(code, name, terms, limit, "EUR"))
        companies.add_contact(db.uow(), code, email, name=name, role="purchasing")
    placed = 0
    start = clock.now() - timedelta(days=13)
    for i in range(80):
        # spread over the last two weeks, busier towards today, in shop hours
        when = start + timedelta(days=int(13 * (i / 79) ** 0.7), hours=8 + (i * 7) % 12)
        with clock.frozen(min(when, clock.now())):
            number = _one_order(db, gateways, rng, skus, i)
            if number:
                placed += 1
                _afterwards(db, rng, number)
        progress(1)
    _b2b(db, gateways, skus, start)
    return placed


def _one_order(
    db: Database, gateways: Gateways, rng: random.Random, skus: list[str], i: int
) -> str | None:
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
    if spec.kind is ChannelKind.B2B:
        code, _name, _terms, _limit, email = COMPANIES[i % len(COMPANIES)]
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
        locale="de" if place[3] in ("DE", "AT") else "en",  # their mails and pages in German
        special_codes=codes,
        shipping_amount=0 if spec.kind is ChannelKind.POINT_OF_SALE else 495,
        tags=["demo"],
    )
    billing = address
    if spec.code == "WEB-EU" and i % 9 == 0:  # billed in Germany, shipped elsewhere
        billing = replace(address, country="DE", city="Berlin", postal_code="10115", region="")
        data.billing_address = billing
    try:
        placed = place_order(db.uow(), data, actor="system:demo")
    except OrderNotSourceable:
        return None
    order_payments.after_placement(
        db,
        gateways,
        placed.order,
        _payment(gateways, PAID_BY[spec.code], i),
        Client(f"198.51.100.{i % 50 + 1}", f"demo-device-{i % 30}"),
        actor="system:demo",
    )
    return placed.order.number


def _payment(gateways: Gateways, method: PaymentMethod, i: int) -> PaymentInput:
    if method is not PaymentMethod.CARD or gateways.test_card is None:
        return PaymentInput(method)
    # mostly good cards; now and then a decline (held for payment) or a failed address check
    number = "4242424242424242"
    if i % 15 == 7:
        number = "4000000000009995"  # insufficient funds
    elif i % 9 == 0:
        number = "4000000000000010"  # approved, the address check failed
    card = gateways.test_card.tokenize(CardInput(number, 12, clock.now().year + 3, "123"))
    return PaymentInput(method, token=card.token)


def _b2b(db: Database, gateways: Gateways, skus: list[str], start: datetime) -> None:
    """Quotes in each state and invoices of different ages, some paid in part."""
    code, _name, _terms, _limit, email = COMPANIES[0]
    where = PostalAddress(
        name="Hollandse Fietsen BV",
        line1="Fietsstraat 12",
        city="Utrecht",
        postal_code="3511 AA",
        country="NL",
        latitude=52.0907,
        longitude=5.1214,
    )

    def quote(day: int, units: int) -> str:
        with clock.frozen(start + timedelta(days=day, hours=10)):
            lines = [QuoteLine(skus[day], units), QuoteLine(skus[day + 5], units * 2)]
            data = QuoteInput(code, email, "B2B", "EUR", lines, where, where, notes="Spring range")
            return quotes.create_quote(db, data, actor="user:sales@demo.openoms.dev").number

    quote(2, 10)  # stays a draft
    sent = quote(4, 20)
    with clock.frozen(start + timedelta(days=4, hours=11)):
        quotes.send_quote(db, sent, actor="user:sales@demo.openoms.dev")
    taken = quote(1, 15)
    with clock.frozen(start + timedelta(days=1, hours=12)):
        quotes.send_quote(db, taken, actor="user:sales@demo.openoms.dev")
        quotes.accept_quote(db, gateways, taken, actor="user:sales@demo.openoms.dev")
    # invoice every B2B order on terms; the older ones are paid in part
    with db.reader() as uow:
        numbers = [
            o.number
            for o in queries.list_orders(uow, queries.OrderFilter(channel="B2B"), limit=100)[0]
        ]
    for n, number in enumerate(sorted(numbers)):
        with clock.frozen(start + timedelta(days=n)):
            try:
                invoice = invoices.issue_invoice(db, number, actor="user:finance@demo.openoms.dev")
            except OmsError:
                continue  # cancelled, or not on terms
            if n % 2 == 0:
                invoices.record_payment(
                    db,
                    invoice.number,
                    invoice.total // 2,
                    actor="user:finance@demo.openoms.dev",
                    reference="bank transfer",
                )


def _afterwards(db: Database, rng: random.Random, number: str) -> None:
    roll = rng.random()
    if roll < 0.04:
        with db.reader() as uow:
            status = queries.get_order(uow, number).status.value
        if status in ("placed", "confirmed", "allocated", "backordered"):
            lifecycle.hold_order(
                db.uow(),
                number,
                HoldReason.MANUAL,
                actor="system:demo",
                note="customer asked to wait until they are back from holiday",
            )
    elif roll < 0.10:
        with suppress(OmsError):  # cancelled already (fraud screening rejected it)
            order_payments.cancel_order(
                db,
                payment_gateways(get_settings(), db),
                number,
                actor="system:demo",
                reason="customer changed their mind",
            )
    elif roll < 0.18:
        lifecycle.add_note(
            db.uow(), number, "Customer asked for gift wrapping.", actor="system:demo"
        )
