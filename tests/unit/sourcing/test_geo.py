"""Destinations without coordinates: postal area first, then country centroid, else nothing."""

from __future__ import annotations

import pytest

from openoms.locations.model import country_codes
from openoms.sourcing import geo
from openoms.sourcing.policy import Point, distance_km
from openoms.sourcing.postal_areas import POSTAL_AREAS


@pytest.mark.parametrize(
    ("country", "postal_code", "description"),
    [
        ("DE", "10115", "postal area DE-1 (Berlin)"),
        ("de", " 01067 ", "postal area DE-01 (Dresden)"),
        ("NL", "1012 AB", "postal area NL-1 (Amsterdam)"),
        ("NL", "6211 LK", "postal area NL-62 (Maastricht)"),
        ("US", "94105-1234", "postal area US-94 (San Francisco)"),
        ("US", "90210", "postal area US-9 (Los Angeles)"),
        ("US", "99501", "postal area US-995 (Anchorage)"),
        ("GB", "SW1A 1AA", "postal area GB-SW (London)"),
        ("GB", "S1 2HE", "postal area GB-S (Sheffield)"),
        ("FR", "75008", "postal area FR-75 (Paris)"),
        ("FR", "97400", "postal area FR-974 (Saint-Denis, Réunion)"),
        # no area for the prefix: the country centroid
        ("GB", "SA1 1AA", "country centroid GB"),  # S (Sheffield) must not catch SA (Swansea)
        ("FR", "45000", "country centroid FR"),
        ("DE", "", "country centroid DE"),
        ("DE", None, "country centroid DE"),
        ("BE", "1000", "country centroid BE"),
        ("XK", None, "country centroid XK"),
    ],
)
def test_the_postal_area_beats_the_country(
    country: str, postal_code: str | None, description: str
) -> None:
    assert geo.describe(country, postal_code) == description
    assert geo.locate(country, postal_code) is not None


def test_a_postal_area_is_where_its_city_is_and_the_country_centroid_is_elsewhere() -> None:
    berlin = Point(52.520, 13.405)
    assert geo.locate("DE", "10115") == berlin
    country = geo.locate("DE")
    assert country is not None
    assert distance_km(country, berlin) > 200


@pytest.mark.parametrize(("country", "postal_code"), [("XX", None), ("XX", "10115"), ("", None)])
def test_an_unknown_country_has_no_location(country: str, postal_code: str | None) -> None:
    assert geo.locate(country, postal_code) is None
    assert geo.describe(country, postal_code) is None


def test_every_country_an_address_may_name_has_a_centroid() -> None:
    centroids = geo.country_centroids()
    assert country_codes() <= set(centroids)
    assert len(centroids) >= 249  # every ISO 3166-1 alpha-2 code


def test_every_centroid_and_postal_area_is_a_valid_position() -> None:
    points = [*geo.country_centroids().values()]
    points += [Point(lat, lon) for areas in POSTAL_AREAS.values() for lat, lon, _ in areas.values()]
    for point in points:
        assert -90 <= point.latitude <= 90
        assert -180 <= point.longitude <= 180


# Postal areas overseas, far from the country's centroid by design.
OVERSEAS = {("US", "00"), ("US", "96"), ("US", "969"), ("FR", "971"), ("FR", "972")}
OVERSEAS |= {("FR", "973"), ("FR", "974"), ("FR", "976")}
OVERSEAS |= {("US", p) for p in ("995", "996", "997", "998", "999")}


@pytest.mark.parametrize("country", sorted(POSTAL_AREAS))
def test_postal_areas_lie_in_their_country(country: str) -> None:
    # a guard against swapped or mistyped coordinates in the hand-made table
    centroid = geo.country_centroids()[country]
    reach = 3_000 if country == "US" else 1_000
    for prefix, (lat, lon, city) in POSTAL_AREAS[country].items():
        if (country, prefix) not in OVERSEAS:
            assert distance_km(Point(lat, lon), centroid) < reach, (prefix, city)


@pytest.mark.parametrize(
    ("country", "place", "near"),
    [
        ("NL", "Amsterdam", Point(52.370, 4.895)),
        ("BE", "Brussels", Point(50.850, 4.352)),
        ("DE", "Frankfurt", Point(50.110, 8.682)),
        ("FR", "Paris", Point(48.857, 2.352)),
        ("GB", "London", Point(51.507, -0.128)),
        ("ES", "Madrid", Point(40.417, -3.704)),
        ("IT", "Rome", Point(41.903, 12.496)),
        ("PL", "Warsaw", Point(52.230, 21.012)),
        ("CH", "Bern", Point(46.948, 7.447)),
        ("AT", "Vienna", Point(48.208, 16.373)),
        ("JP", "Tokyo", Point(35.690, 139.692)),
        ("SG", "Singapore", Point(1.290, 103.850)),
        ("MX", "Mexico City", Point(19.433, -99.133)),
        ("US", "the 2020 census centre of population", Point(37.419, -92.384)),
        ("FJ", "Suva", Point(-18.141, 178.442)),  # across the antimeridian
    ],
)
def test_a_country_centroid_lies_near_its_main_city(country: str, place: str, near: Point) -> None:
    centroid = geo.locate(country)
    assert centroid is not None
    assert distance_km(centroid, near) < 300, place
