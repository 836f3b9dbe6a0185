"""A small hand-made table: where postal codes that start alike roughly are.

Each entry is the approximate position of the main city of the area the prefix covers, to
about a kilometre, enough to rank warehouses by distance. ``geo.find`` matches the longest
prefix first (three characters, then two, then one), except in GB, where the key is the
whole postcode area (the leading letters, "SW" in "SW1A 1AA"), because one-letter areas
(S: Sheffield) must not catch two-letter ones (SA: Swansea).

- NL: the first digit of the postcode (1 Amsterdam … 9 Groningen), with Utrecht (35) and
  Maastricht (62), which lie far from the main city of their digit.
- DE: the first digit, the postal zone (Leitzone: 1 Berlin … 9 Nürnberg), with Dresden (01),
  Bremen (28) and Erfurt (99).
- US: the first digit of the ZIP code, the national area (0 New England … 9 the Pacific
  states), with a few two-digit sectional centres far from their area's main city, and
  Alaska (995-999) and Guam (969), which no shorter prefix places within 3,000 km.
  00 is Puerto Rico (006-009; the few 005 codes are a New York IRS range).
- GB: the postcode areas of the largest cities; London's eight (E EC N NW SE SW W WC).
- FR: the département (first two digits) of the largest cities, with Paris's inner
  départements, Corsica (20) and the overseas départements (three digits: 971-976), which
  no two-digit prefix can tell apart. The first digit alone means nothing in France.
Anything else falls back to the country centroid.
"""

from __future__ import annotations

# country -> prefix -> (latitude, longitude, main city)
POSTAL_AREAS: dict[str, dict[str, tuple[float, float, str]]] = {
    "NL": {
        "1": (52.370, 4.895, "Amsterdam"),
        "2": (52.078, 4.288, "The Hague"),
        "3": (51.922, 4.479, "Rotterdam"),
        "35": (52.091, 5.122, "Utrecht"),
        "4": (51.589, 4.776, "Breda"),
        "5": (51.441, 5.470, "Eindhoven"),
        "6": (51.842, 5.853, "Nijmegen"),
        "62": (50.851, 5.691, "Maastricht"),
        "7": (52.211, 5.969, "Apeldoorn"),
        "8": (52.516, 6.083, "Zwolle"),
        "9": (53.219, 6.567, "Groningen"),
    },
    "DE": {
        "0": (51.340, 12.375, "Leipzig"),
        "01": (51.050, 13.738, "Dresden"),
        "1": (52.520, 13.405, "Berlin"),
        "2": (53.551, 9.994, "Hamburg"),
        "28": (53.079, 8.802, "Bremen"),
        "3": (52.376, 9.732, "Hannover"),
        "4": (51.228, 6.773, "Düsseldorf"),
        "5": (50.938, 6.960, "Köln"),
        "6": (50.110, 8.682, "Frankfurt am Main"),
        "7": (48.776, 9.183, "Stuttgart"),
        "8": (48.137, 11.575, "München"),
        "9": (49.452, 11.077, "Nürnberg"),
        "99": (50.978, 11.029, "Erfurt"),
    },
    "US": {
        "0": (42.360, -71.059, "Boston"),
        "00": (18.466, -66.106, "San Juan"),
        "1": (40.713, -74.006, "New York"),
        "2": (38.907, -77.037, "Washington"),
        "3": (33.749, -84.388, "Atlanta"),
        "33": (25.762, -80.192, "Miami"),
        "4": (39.961, -82.999, "Columbus"),
        "5": (44.978, -93.265, "Minneapolis"),
        "6": (41.878, -87.630, "Chicago"),
        "7": (32.777, -96.797, "Dallas"),
        "77": (29.760, -95.370, "Houston"),
        "8": (39.739, -104.990, "Denver"),
        "84": (40.761, -111.891, "Salt Lake City"),
        "85": (33.448, -112.074, "Phoenix"),
        "89": (36.170, -115.140, "Las Vegas"),
        "9": (34.052, -118.244, "Los Angeles"),
        "94": (37.775, -122.419, "San Francisco"),
        "96": (21.307, -157.858, "Honolulu"),
        "969": (13.444, 144.794, "Hagåtña, Guam"),
        "97": (45.515, -122.679, "Portland"),
        "98": (47.606, -122.332, "Seattle"),
        "995": (61.218, -149.900, "Anchorage"),
        "996": (61.218, -149.900, "Anchorage"),
        "997": (64.838, -147.716, "Fairbanks"),
        "998": (58.302, -134.420, "Juneau"),
        "999": (55.342, -131.646, "Ketchikan"),
    },
    "GB": {
        **dict.fromkeys(("E", "EC", "N", "NW", "SE", "SW", "W", "WC"), (51.507, -0.128, "London")),
        "AB": (57.150, -2.094, "Aberdeen"),
        "B": (52.486, -1.890, "Birmingham"),
        "BS": (51.455, -2.588, "Bristol"),
        "BT": (54.597, -5.930, "Belfast"),
        "CB": (52.205, 0.122, "Cambridge"),
        "CF": (51.482, -3.179, "Cardiff"),
        "EH": (55.953, -3.188, "Edinburgh"),
        "G": (55.864, -4.252, "Glasgow"),
        "L": (53.408, -2.992, "Liverpool"),
        "LS": (53.801, -1.549, "Leeds"),
        "M": (53.481, -2.243, "Manchester"),
        "NE": (54.978, -1.618, "Newcastle upon Tyne"),
        "NG": (52.954, -1.158, "Nottingham"),
        "OX": (51.752, -1.258, "Oxford"),
        "S": (53.381, -1.470, "Sheffield"),
        "SO": (50.910, -1.404, "Southampton"),
    },
    "FR": {
        **dict.fromkeys(("75", "92", "93", "94"), (48.857, 2.352, "Paris")),
        "06": (43.710, 7.262, "Nice"),
        "13": (43.296, 5.370, "Marseille"),
        "20": (41.919, 8.738, "Ajaccio"),
        "31": (43.605, 1.444, "Toulouse"),
        "33": (44.838, -0.579, "Bordeaux"),
        "34": (43.611, 3.877, "Montpellier"),
        "35": (48.117, -1.678, "Rennes"),
        "44": (47.218, -1.554, "Nantes"),
        "59": (50.629, 3.057, "Lille"),
        "67": (48.573, 7.752, "Strasbourg"),
        "69": (45.764, 4.836, "Lyon"),
        "971": (16.241, -61.533, "Pointe-à-Pitre, Guadeloupe"),
        "972": (14.616, -61.059, "Fort-de-France, Martinique"),
        "973": (4.922, -52.313, "Cayenne, French Guiana"),
        "974": (-20.882, 55.450, "Saint-Denis, Réunion"),
        "976": (-12.781, 45.228, "Mamoudzou, Mayotte"),
    },
}

# Countries whose postcodes start with letters naming the area (see the module docstring).
LETTER_AREAS = frozenset({"GB"})
