"""Demo data for the warehouse: standard boxes, two carriers with their rate cards, each
location's picking strategy, the channels' promises, and a morning's work — a wave picked,
packed and shipped at Rotterdam, some parcels already delivered, the rest on the floor."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta

from openoms.entrypoints.bootstrap import payment_gateways
from openoms.fulfillment.model import FulfilmentStatus, PickStrategy, ShipmentStatus
from openoms.fulfillment.rates import RatePolicy
from openoms.fulfillment.services import picking, setup, shipping, tracking, work
from openoms.infra.db import Database
from openoms.infra.settings import get_settings
from openoms.payments.gateways import Gateways
from openoms.shared import clock
from openoms.shared.errors import OmsError

ACTOR = "system:demo"
# code, name, inner L x W x H mm, tare g, max gross g, cost in cents
BOXES = [
    ("BOX-S", "Small box", (300, 220, 150), 150, 5_000, 45),
    ("BOX-M", "Medium box", (420, 320, 220), 280, 12_000, 85),
    ("BOX-L", "Large box", (600, 400, 300), 520, 20_000, 145),
    ("BOX-XL", "Extra large box", (800, 600, 400), 950, 30_000, 260),
]
EU_NEAR = ["BE", "LU", "FR", "AT", "DK"]
EU_FAR = ["IT", "ES", "PT", "PL", "CZ", "SE", "IE", "FI"]


def _eu_zones(home: str, origins: list[str]) -> list[dict[str, object]]:
    """Home country, near and far Europe, from each of ``origins``."""
    near = [c for c in [*EU_NEAR, "NL", "DE"] if c != home]
    return [
        {"zone": zone, "country": country, "origin": origin}
        for origin in origins
        for zone, countries in (("HOME", [home]), ("NEAR", near), ("FAR", EU_FAR))
        for country in countries
    ]


EU_ZONES = _eu_zones("NL", ["WH-RTM", "ST-AMS"]) + _eu_zones("DE", ["WH-LEJ", "ST-BER"])


def _breaks(prices: dict[str, tuple[int, int, int, int]]) -> list[dict[str, object]]:
    """Per zone: up to 2 kg, 5 kg, 10 kg, then 30 kg with a price per started kg above."""
    out: list[dict[str, object]] = []
    for zone, (p2, p5, p10, per_kg) in prices.items():
        out += [
            {"zone": zone, "up_to_g": 2_000, "base": p2},
            {"zone": zone, "up_to_g": 5_000, "base": p5},
            {"zone": zone, "up_to_g": 10_000, "base": p10},
            {"zone": zone, "up_to_g": 30_000, "base": p10, "per_kg": per_kg},
        ]
    return out


CARRIERS = [
    setup.CarrierSpec("PARCELX", "ParcelX", "https://track.example.com/parcelx/{tracking}", "PX"),
    setup.CarrierSpec("EUROFRT", "EuroFreight", "https://track.example.com/ef/{tracking}", "EF"),
    setup.CarrierSpec(
        "USGROUND", "US Ground", "https://track.example.com/usg/{tracking}", "UG", 5000
    ),
]
SERVICES = [
    setup.ServiceSpec(
        "PARCELX",
        "PX-STD",
        "Standard",
        "EUR",
        EU_ZONES,
        _breaks(
            {
                "HOME": (495, 595, 795, 40),
                "NEAR": (895, 1095, 1395, 60),
                "FAR": (1295, 1595, 1995, 90),
            }
        ),
        {"HOME": 1, "NEAR": 2, "FAR": 4},
        cutoff="17:00",
        fuel_surcharge_pct="4.5",
    ),
    setup.ServiceSpec(
        "PARCELX",
        "PX-EXP",
        "Express",
        "EUR",
        EU_ZONES,
        _breaks(
            {
                "HOME": (995, 1195, 1495, 80),
                "NEAR": (1695, 1995, 2495, 110),
                "FAR": (2495, 2995, 3495, 150),
            }
        ),
        {"HOME": 1, "NEAR": 1, "FAR": 2},
        cutoff="15:00",
        fuel_surcharge_pct="4.5",
    ),
    setup.ServiceSpec(
        "EUROFRT",
        "EF-ECO",
        "Economy",
        "EUR",
        EU_ZONES,
        _breaks(
            {
                "HOME": (395, 495, 695, 30),
                "NEAR": (695, 895, 1195, 50),
                "FAR": (995, 1295, 1695, 70),
            }
        ),
        {"HOME": 2, "NEAR": 4, "FAR": 6},
        cutoff="18:00",
        fuel_surcharge_pct="6",
    ),
    setup.ServiceSpec(
        "USGROUND",
        "UG-GRD",
        "Ground",
        "USD",
        [
            {"zone": "WEST", "country": "US", "postal_prefix": "8", "origin": "WH-RNO"},
            {"zone": "WEST", "country": "US", "postal_prefix": "9", "origin": "WH-RNO"},
            {"zone": "EAST", "country": "US", "origin": "WH-RNO"},
        ],
        _breaks({"WEST": (795, 995, 1295, 60), "EAST": (1195, 1495, 1895, 90)}),
        {"WEST": 2, "EAST": 5},
        cutoff="16:00",
    ),
]
STRATEGIES = [
    ("WH-RTM", PickStrategy.BATCH, 6),
    ("WH-LEJ", PickStrategy.ZONE, 8),
    ("WH-RNO", PickStrategy.WAVE, 8),
    ("ST-AMS", PickStrategy.SINGLE, 8),
    ("ST-BER", PickStrategy.SINGLE, 8),
]
PROMISES = [
    setup.ChannelPromise("WEB-EU", "15:00", 0, 2, RatePolicy.CHEAPEST_ON_TIME),
    setup.ChannelPromise("WEB-US", "13:00", 0, 5, RatePolicy.CHEAPEST_ON_TIME),
    setup.ChannelPromise("MKT-ZAL", "14:00", 0, 3, RatePolicy.CHEAPEST),
    setup.ChannelPromise("B2B", "12:00", 1, 3, RatePolicy.CHEAPEST),
]


def load_fulfilment(db: Database) -> dict[str, int]:
    """The settings, then a wave at Rotterdam picked, packed and shipped; returns counts."""
    for code, name, (length, width, height), tare, max_g, cost in BOXES:
        setup.save_box(
            db.uow(), setup.BoxSpec(code, name, length, width, height, tare, max_g, cost, "EUR")
        )
    for carrier in CARRIERS:
        setup.save_carrier(db.uow(), carrier)
    for service in SERVICES:
        setup.save_service(db.uow(), service)
    for location, strategy, batch in STRATEGIES:
        setup.save_location_settings(
            db.uow(), setup.LocationSettings(location, strategy, batch, pickup_days=5)
        )
    for promise in PROMISES:
        setup.save_channel_promise(db.uow(), promise)
    return _a_morning(db)


def _a_morning(db: Database) -> dict[str, int]:
    """Release the oldest work at Rotterdam, pick it; pack and ship most of it, deliver
    some; leave one list half picked for the console to show."""
    gateways = payment_gateways(get_settings(), db)
    shift = clock.now() - timedelta(hours=30)  # yesterday morning's shift
    with clock.frozen(shift):
        return _shift(db, gateways, shift)


def _shift(db: Database, gateways: Gateways, shift: datetime) -> dict[str, int]:
    shipped = delivered = 0
    recent = [
        fo.number
        for fo in work.list_fulfilment_orders(
            db.uow(), work.FulfilmentFilter(location="WH-RTM", status=FulfilmentStatus.PENDING)
        )
        # placed in the days before yesterday's shift, authorizations still valid
        if shift - timedelta(days=5) < fo.placed_at < shift
    ]
    try:
        wave = picking.release_wave(
            db.uow(),
            "WH-RTM",
            picking.WaveCriteria(fulfilment_orders=tuple(recent[:10])),
            actor=ACTOR,
        )
    except OmsError:
        return {"shipped": 0, "delivered": 0}
    for n, plist in enumerate(wave.pick_lists):
        for pick in plist.picks:
            if n == len(wave.pick_lists) - 1 and pick.seq > 1:
                break  # the last list stays half picked
            with suppress(OmsError):
                picking.scan(
                    db.uow(),
                    plist.number,
                    pick.sku,
                    actor=ACTOR,
                    quantity=pick.left,
                    pick_id=pick.id,
                )
    picked = work.list_fulfilment_orders(
        db.uow(), work.FulfilmentFilter(location="WH-RTM", status=FulfilmentStatus.PICKED)
    )
    for i, fo in enumerate(picked):
        try:
            shipping.pack(db.uow(), fo.number, None, actor="user:warehouse")
            if i == len(picked) - 1:
                continue  # one packed parcel waits for the carrier
            found = shipping.ship_and_capture(db, gateways, fo.number, actor="user:warehouse")
        except OmsError:
            continue
        shipped += 1
        if i % 3 != 2:  # two parcels in three arrived by the evening
            at = shift
            scans = [
                tracking.ScanIn(p.tracking_number, status, at + timedelta(hours=h), place)
                for p in found.packages
                for status, h, place in (
                    (ShipmentStatus.ACCEPTED, 1, "Rotterdam depot"),
                    (ShipmentStatus.IN_TRANSIT, 5, "Hub Nieuwegein"),
                    (ShipmentStatus.DELIVERED, 20, found.ship_to.get("city", "")),
                )
            ]
            with clock.frozen(at + timedelta(hours=20)):  # the evening after: delivered
                tracking.record_scans(db.uow(), scans, source="demo", actor="carrier:demo")
            delivered += 1
    return {"shipped": shipped, "delivered": delivered}
