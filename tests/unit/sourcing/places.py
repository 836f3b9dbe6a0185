"""A map of real places for sourcing tests: four warehouses, two stores, some destinations.

Great-circle distances the explanations quote (km): Utrecht to ST-AMS 34, WH-RTM 48,
WH-LEJ 506, ST-BER 565, WH-MAD 1462; Munich to WH-LEJ 361, ST-BER 504, WH-RTM 659;
San Francisco to WH-RNO 299.
"""

from __future__ import annotations

from dataclasses import replace

from openoms.sourcing.policy import Point, Site

ROTTERDAM = Point(51.9225, 4.4792)
LEIPZIG = Point(51.3397, 12.3731)
RENO = Point(39.5296, -119.8138)
MADRID = Point(40.4168, -3.7038)
AMSTERDAM = Point(52.3676, 4.9041)
BERLIN = Point(52.5200, 13.4050)

UTRECHT = Point(52.0907, 5.1214)
MUNICH = Point(48.1351, 11.5820)
SAN_FRANCISCO = Point(37.7749, -122.4194)

SITES = {
    "WH-RTM": Site("WH-RTM", ROTTERDAM, priority=10),
    "WH-LEJ": Site("WH-LEJ", LEIPZIG, priority=20),
    "WH-RNO": Site("WH-RNO", RENO, priority=30),
    "WH-MAD": Site("WH-MAD", MADRID, priority=40),
    # stores with ship-from-store on: the caller sets can_ship=False when it is off
    "ST-AMS": Site("ST-AMS", AMSTERDAM, priority=50),
    "ST-BER": Site("ST-BER", BERLIN, priority=60),
}


def sites(**changes: dict[str, object]) -> list[Site]:
    """Every site on the map, some changed: ``sites(WH_RTM={"capacity_left": 0})``."""
    out = []
    for code, site in SITES.items():
        change = changes.get(code.replace("-", "_"), {})
        out.append(replace(site, **change))  # type: ignore[arg-type]
    return out
