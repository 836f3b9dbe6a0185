"""Where a destination roughly is when its address has no coordinates.

First the postal area (``postal_areas``: a few countries, by postal-code prefix), else the
country centroid (``data/country_centroids.csv``: every ISO 3166-1 alpha-2 code, plus the
CLDR codes addresses may use, such as XK and IC), else nothing. The centroid is weighted
by population, so it sits where most parcels go; see ``data/README.md`` for its source.

Pass ``describe(...)`` as ``Request.destination_source`` so the plan's explanation says how
the destination was found.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from openoms.sourcing.model import Point
from openoms.sourcing.postal_areas import LETTER_AREAS, POSTAL_AREAS

CENTROIDS_FILE = "data/country_centroids.csv"
LONGEST_PREFIX = 3
LETTER_AREA = re.compile(r"^([A-Z]{1,2})[0-9]")


@dataclass(frozen=True)
class Located:
    point: Point
    description: str  # "postal area DE-1 (Berlin)", "country centroid FR"


def find(country: str, postal_code: str | None = None) -> Located | None:
    """The best estimate of where an address is: postal area, else country, else None."""
    code = country.strip().upper()
    prefix = _postal_prefix(code, postal_code)
    if prefix is not None:
        lat, lon, city = POSTAL_AREAS[code][prefix]
        return Located(Point(lat, lon), f"postal area {code}-{prefix} ({city})")
    centroid = country_centroids().get(code)
    if centroid is None:
        return None
    return Located(centroid, f"country centroid {code}")


def locate(country: str, postal_code: str | None = None) -> Point | None:
    """Coordinates for an address without any: postal area, else country, else None."""
    found = find(country, postal_code)
    return None if found is None else found.point


def describe(country: str, postal_code: str | None = None) -> str | None:
    """How ``locate`` found its point, for the sourcing explanation."""
    found = find(country, postal_code)
    return None if found is None else found.description


@cache
def country_centroids() -> dict[str, Point]:
    """Country code -> population-weighted centroid, read once from the shipped CSV."""
    text = resources.files("openoms.sourcing").joinpath(CENTROIDS_FILE).read_text("utf-8")
    return {
        row["country"]: Point(float(row["latitude"]), float(row["longitude"]))
        for row in csv.DictReader(io.StringIO(text))
    }


def _postal_prefix(country: str, postal_code: str | None) -> str | None:
    areas = POSTAL_AREAS.get(country)
    if not areas or not postal_code:
        return None
    compact = re.sub(r"[\s-]", "", postal_code).upper()
    if country in LETTER_AREAS:
        match = LETTER_AREA.match(compact)
        return match.group(1) if match and match.group(1) in areas else None
    for length in range(min(LONGEST_PREFIX, len(compact)), 0, -1):
        if compact[:length] in areas:
            return compact[:length]
    return None
