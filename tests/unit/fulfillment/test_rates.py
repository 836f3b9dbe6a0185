from dataclasses import replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from openoms.fulfillment.rates import (
    Carrier,
    RateBreak,
    RateOption,
    RatePolicy,
    ServiceLevel,
    ZoneRule,
    choose,
    delivery_date,
    price,
    rate_shop,
    ship_date,
    validate_carrier,
    validate_service,
    zone_for,
)

AMSTERDAM = "Europe/Amsterdam"
MON, TUE, WED, THU, FRI, SAT, SUN = (date(2026, 12, day) for day in range(7, 14))
NEXT_MON = date(2026, 12, 14)

DHL = Carrier("dhl", "DHL Parcel", "https://dhl.example/track?id={tracking}")
POSTNL = Carrier("postnl", "PostNL", "https://postnl.example/{tracking}")
UPS = Carrier("ups", "UPS", "https://ups.example/t/{tracking}", dim_divisor=6000)


def service(**changes: object) -> ServiceLevel:
    base = ServiceLevel(
        carrier="dhl",
        code="standard",
        name="Standard",
        currency="EUR",
        zones=(ZoneRule("NL", "NL"),),
        breaks=(
            RateBreak("NL", 1000, 500),
            RateBreak("NL", 5000, 700),
            RateBreak("NL", 10000, 1000, per_kg=150),
        ),
        transit_days=(("NL", 1),),
        cutoff=time(17, 0),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def amsterdam(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(AMSTERDAM))


# zones


RULES = (
    ZoneRule("NL", "NL"),
    ZoneRule("NL-north", "NL", "9"),
    ZoneRule("NL-islands", "NL", "179"),
    ZoneRule("NL-islands", "NL", "8881"),
    ZoneRule("LOCAL", "NL", "", origin="AMS"),
    ZoneRule("LOCAL-centre", "NL", "10", origin="AMS"),
    ZoneRule("EU1", "DE"),
)


def test_a_country_without_rules_has_no_zone() -> None:
    assert zone_for(RULES, "RTM", "FR", "75001") is None


def test_the_country_rule_covers_every_postal_code() -> None:
    assert zone_for(RULES, "RTM", "DE", "10115") == "EU1"
    assert zone_for(RULES, "RTM", "NL", "1011 AB") == "NL"


def test_the_longest_postal_prefix_wins() -> None:
    assert zone_for(RULES, "RTM", "NL", "9711 AA") == "NL-north"
    assert zone_for(RULES, "RTM", "NL", "1791 AB") == "NL-islands"


def test_postal_codes_compare_upper_case_without_spaces() -> None:
    rules = (ZoneRule("central", "GB", "EC1"), ZoneRule("GB", "gb"))
    assert zone_for(rules, "LON", "gb", "ec 1a 1bb") == "central"
    assert zone_for((ZoneRule("island", "NL", "8881 A"),), "RTM", "nl", "8881ab") == "island"


def test_an_origin_rule_beats_a_longer_generic_prefix() -> None:
    assert zone_for(RULES, "AMS", "NL", "9711 AA") == "LOCAL"
    assert zone_for(RULES, "AMS", "NL", "1011 AB") == "LOCAL-centre"


def test_an_origin_rule_does_not_apply_from_other_locations() -> None:
    assert zone_for(RULES, "RTM", "NL", "1011 AB") == "NL"


def test_the_first_listed_rule_wins_a_tie() -> None:
    rules = (ZoneRule("A", "NL", "10"), ZoneRule("B", "NL", "10"))
    assert zone_for(rules, "AMS", "NL", "1011") == "A"


# weight breaks


@pytest.mark.parametrize(
    ("weight_g", "amount"),
    [
        (0, 500),
        (1000, 500),
        (1001, 700),
        (5000, 700),
        (5001, 1000),
        (10000, 1000),
        (10001, 1150),
        (11000, 1150),
        (11001, 1300),
        (12000, 1300),
        (12001, 1450),
    ],
)
def test_a_package_costs_its_weight_break(weight_g: int, amount: int) -> None:
    assert price(service(), "NL", [weight_g]) == amount


def test_packages_add_up() -> None:
    assert price(service(), "NL", [800, 4000, 12000]) == 500 + 700 + 1300


def test_breaks_are_taken_in_weight_order_whatever_the_listing() -> None:
    shuffled = service(breaks=(RateBreak("NL", 5000, 700), RateBreak("NL", 1000, 500)))
    assert price(shuffled, "NL", [900]) == 500


def test_only_the_zones_breaks_count() -> None:
    two_zones = service(breaks=(RateBreak("NL", 1000, 500), RateBreak("DE", 500, 900)))
    assert price(two_zones, "DE", [400]) == 900
    assert price(two_zones, "NL", [400]) == 500


def test_a_zone_without_breaks_has_no_price() -> None:
    assert price(service(), "DE", [1000]) is None


def test_a_package_over_the_maximum_weight_has_no_price() -> None:
    capped = service(max_weight_g=10000)
    assert price(capped, "NL", [10000]) == 1000
    assert price(capped, "NL", [500, 10001]) is None


def test_a_shipment_needs_packages_of_real_weight() -> None:
    with pytest.raises(ValueError, match="at least one package"):
        price(service(), "NL", [])
    with pytest.raises(ValueError, match="negative"):
        price(service(), "NL", [-1])


# fuel surcharge


@pytest.mark.parametrize(
    ("pct", "base", "total"),
    [
        ("0", 695, 695),
        ("10", 695, 765),  # 69.5 rounds half up to 70
        ("8.5", 695, 754),  # 59.075 rounds to 59
        ("12.5", 500, 563),  # 62.5 rounds half up to 63
        ("12.4", 500, 562),  # 62.0
        ("0.1", 4, 4),  # 0.004 rounds to 0
    ],
)
def test_the_fuel_surcharge_rounds_half_up_to_a_minor_unit(pct: str, base: int, total: int) -> None:
    flat = service(breaks=(RateBreak("NL", 30000, base),), fuel_surcharge_pct=Decimal(pct))
    assert price(flat, "NL", [1000]) == total


def test_the_fuel_surcharge_rounds_once_on_the_whole_shipment() -> None:
    flat = service(breaks=(RateBreak("NL", 30000, 695),), fuel_surcharge_pct=Decimal(10))
    # per package 69.5 would round to 70 twice; on the sum 139.0 it is 139
    assert price(flat, "NL", [1000, 1000]) == 1390 + 139


# ship date


@pytest.mark.parametrize(
    ("now", "ships"),
    [
        (amsterdam(TUE, 9), TUE),
        (amsterdam(TUE, 16, 59), TUE),
        (amsterdam(TUE, 17, 0), WED),
        (amsterdam(TUE, 22), WED),
        (amsterdam(FRI, 16), FRI),
        (amsterdam(FRI, 19), NEXT_MON),
        (amsterdam(SAT, 9), NEXT_MON),
        (amsterdam(SUN, 9), NEXT_MON),
    ],
)
def test_ships_today_before_the_cutoff_else_the_next_ship_day(now: datetime, ships: date) -> None:
    assert ship_date(service(), now, AMSTERDAM) == ships


def test_the_cutoff_is_local_time_at_the_location() -> None:
    # December: Amsterdam is UTC+1, so the 17:00 cut-off is 16:00 UTC
    assert ship_date(service(), datetime(2026, 12, 8, 15, 59, tzinfo=UTC), AMSTERDAM) == TUE
    assert ship_date(service(), datetime(2026, 12, 8, 16, 0, tzinfo=UTC), AMSTERDAM) == WED
    assert ship_date(service(), datetime(2026, 12, 8, 16, 0, tzinfo=UTC), "UTC") == TUE


def test_the_cutoff_follows_summer_time() -> None:
    # June: Amsterdam is UTC+2, so 15:30 UTC is already 17:30 there
    now = datetime(2026, 6, 9, 15, 30, tzinfo=UTC)
    assert ship_date(service(), now, AMSTERDAM) == date(2026, 6, 10)


def test_the_local_date_decides_not_the_utc_date() -> None:
    # Monday 23:30 UTC is Tuesday 00:30 in Amsterdam
    assert ship_date(service(), datetime(2026, 12, 7, 23, 30, tzinfo=UTC), AMSTERDAM) == TUE


def test_a_service_can_ship_on_saturday() -> None:
    six_days = service(ship_days=frozenset(range(6)))
    assert ship_date(six_days, amsterdam(FRI, 19), AMSTERDAM) == SAT


def test_ship_date_needs_an_aware_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ship_date(service(), datetime(2026, 12, 8, 9, 0), AMSTERDAM)  # noqa: DTZ001


# delivery date


@pytest.mark.parametrize(
    ("ship", "transit", "delivered"),
    [
        (MON, 1, TUE),
        (MON, 0, MON),
        (THU, 1, FRI),
        (THU, 2, NEXT_MON),
        (FRI, 1, NEXT_MON),
        (FRI, 5, date(2026, 12, 18)),
        (SAT, 1, NEXT_MON),
    ],
)
def test_delivery_counts_only_delivery_days(ship: date, transit: int, delivered: date) -> None:
    assert delivery_date(service(), ship, transit) == delivered


def test_a_service_can_deliver_on_saturday() -> None:
    six_days = service(delivery_days=frozenset(range(6)))
    assert delivery_date(six_days, FRI, 1) == SAT
    assert delivery_date(six_days, FRI, 2) == NEXT_MON


def test_transit_days_cannot_be_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        delivery_date(service(), MON, -1)


# rate shopping


def services() -> list[ServiceLevel]:
    return [
        service(transit_days=(("NL", 2),), breaks=(RateBreak("NL", 2000, 695),)),
        service(
            carrier="postnl",
            code="standaard",
            name="Standaard",
            breaks=(RateBreak("NL", 2000, 650),),
            fuel_surcharge_pct=Decimal(10),
        ),
        service(
            carrier="ups", code="express", name="Express", breaks=(RateBreak("NL", 5000, 1250),)
        ),
        service(
            code="europlus",
            name="Europlus",
            zones=(ZoneRule("EU1", "DE"),),
            breaks=(RateBreak("EU1", 2000, 995),),
            transit_days=(("EU1", 3),),
        ),
        service(carrier="ups", code="letter", name="Letterbox", max_weight_g=1000),
    ]


def shop(now: datetime, promised_by: date | None = None) -> list[RateOption]:
    return rate_shop(
        services(),
        [DHL, POSTNL, UPS],
        origin="AMS",
        origin_tz=AMSTERDAM,
        country="NL",
        postal_code="1011 AB",
        billable_weights_g=[1500],
        now=now,
        promised_by=promised_by,
    )


def test_rate_shopping_lists_every_service_that_can_ship_cheapest_first() -> None:
    options = shop(amsterdam(MON, 11))
    assert [(o.carrier, o.service, o.amount, o.delivery_date) for o in options] == [
        ("dhl", "standard", 695, WED),
        ("postnl", "standaard", 715, TUE),
        ("ups", "express", 1250, TUE),
    ]
    first = options[0]
    assert (first.service_name, first.carrier_name, first.zone) == ("Standard", "DHL Parcel", "NL")
    assert (first.ship_date, first.transit_days, first.currency) == (MON, 2, "EUR")
    assert first.meets_promise is None


def test_rate_shopping_ties_on_price_go_to_the_earlier_delivery() -> None:
    slow = service(code="slow", transit_days=(("NL", 3),))
    fast = service(code="fast")
    options = rate_shop(
        [slow, fast],
        [DHL],
        origin="AMS",
        origin_tz=AMSTERDAM,
        country="NL",
        postal_code="1011",
        billable_weights_g=[500],
        now=amsterdam(MON, 11),
    )
    assert [o.service for o in options] == ["fast", "slow"]


def test_rate_shopping_marks_the_options_that_keep_the_promise() -> None:
    options = shop(amsterdam(MON, 11), promised_by=TUE)
    assert [o.meets_promise for o in options] == [False, True, True]


def test_rate_shopping_after_the_cutoff_ships_the_next_day() -> None:
    options = shop(datetime(2026, 12, 7, 16, 30, tzinfo=UTC))
    assert {o.ship_date for o in options} == {TUE}
    assert [o.delivery_date for o in options] == [THU, WED, WED]


def test_rate_shopping_refuses_a_service_of_an_unknown_carrier() -> None:
    with pytest.raises(ValueError, match="unknown carrier 'ups'"):
        rate_shop(
            services(),
            [DHL, POSTNL],
            origin="AMS",
            origin_tz=AMSTERDAM,
            country="NL",
            postal_code="1011 AB",
            billable_weights_g=[1500],
            now=amsterdam(MON, 11),
        )


# choosing


def test_the_cheapest_policy_takes_the_lowest_price() -> None:
    chosen, reason = choose(shop(amsterdam(MON, 11)), RatePolicy.CHEAPEST)
    assert chosen is not None
    assert chosen.service == "standard"
    assert reason == "Cheapest of 3 options: DHL Parcel Standard, €6.95, delivered Wed 9 Dec"


def test_the_fastest_policy_takes_the_earliest_delivery_then_the_lower_price() -> None:
    chosen, reason = choose(shop(amsterdam(MON, 11)), RatePolicy.FASTEST)
    assert chosen is not None
    assert chosen.service == "standaard"
    assert reason == "Fastest of 3 options: PostNL Standaard, €7.15, delivered Tue 8 Dec"


def test_cheapest_on_time_takes_the_cheapest_that_keeps_the_promise() -> None:
    options = shop(amsterdam(MON, 11))
    chosen, reason = choose(options, RatePolicy.CHEAPEST_ON_TIME, promised_by=TUE)
    assert chosen is not None
    assert chosen.service == "standaard"
    assert reason == (
        "Cheapest of 2 options delivered by Tue 8 Dec: PostNL Standaard, €7.15, delivered Tue 8 Dec"
    )
    chosen, _ = choose(options, RatePolicy.CHEAPEST_ON_TIME, promised_by=WED)
    assert chosen is not None
    assert chosen.service == "standard"


def test_cheapest_on_time_falls_back_to_the_fastest_when_the_promise_cannot_be_met() -> None:
    chosen, reason = choose(shop(amsterdam(MON, 11)), RatePolicy.CHEAPEST_ON_TIME, promised_by=MON)
    assert chosen is not None
    assert chosen.service == "standaard"
    assert reason == (
        "No option delivers by Mon 7 Dec, so the fastest of 3: PostNL Standaard, €7.15, "
        "delivered Tue 8 Dec; the promise will be missed by 1 day"
    )


def test_cheapest_on_time_without_a_promise_takes_the_cheapest() -> None:
    chosen, _ = choose(shop(amsterdam(MON, 11)), RatePolicy.CHEAPEST_ON_TIME)
    assert chosen is not None
    assert chosen.service == "standard"


def test_a_single_option_says_so() -> None:
    only = shop(amsterdam(MON, 11))[2:]
    assert choose(only, RatePolicy.CHEAPEST)[1] == (
        "Only option: UPS Express, €12.50, delivered Tue 8 Dec"
    )


def test_nothing_to_choose_from_gives_no_option_and_says_why() -> None:
    chosen, reason = choose([], RatePolicy.CHEAPEST)
    assert chosen is None
    assert reason == "No service ships to this destination at these weights"


# carriers and weights


def test_the_tracking_link_fills_in_the_number() -> None:
    assert DHL.tracking_link("JVGL 0612") == "https://dhl.example/track?id=JVGL%200612"


# validation


def test_a_sound_definition_has_no_errors() -> None:
    assert validate_service(service()) == []
    assert all(validate_service(s) == [] for s in services())
    assert validate_carrier(DHL) == []


def test_a_broken_service_lists_every_problem_by_field() -> None:
    broken = service(
        carrier="",
        code=" ",
        currency="EURO",
        zones=(
            ZoneRule("NL", "NL"),
            ZoneRule("DE", "de"),
            ZoneRule("", "BE"),
            ZoneRule("NL", "NL", origin=""),
        ),
        breaks=(
            RateBreak("NL", 2000, 500),
            RateBreak("NL", 2000, 600),
            RateBreak("NL", 0, 100),
            RateBreak("NL", 5000, -1, per_kg=-5),
        ),
        transit_days=(("NL", 1), ("NL", 2), ("BE", -1)),
        cutoff=time(17, 0, tzinfo=UTC),
        fuel_surcharge_pct=Decimal(-1),
        max_weight_g=0,
        ship_days=frozenset(),
        delivery_days=frozenset({7}),
    )
    errors = validate_service(broken, "services[0].")
    assert [e.field for e in errors] == [
        "services[0].carrier",
        "services[0].code",
        "services[0].currency",
        "services[0].zones[1].country",
        "services[0].zones[1].zone",
        "services[0].zones[1].zone",
        "services[0].zones[2].zone",
        "services[0].zones[3].origin",
        "services[0].breaks[1].up_to_g",
        "services[0].breaks[2].up_to_g",
        "services[0].breaks[3].base",
        "services[0].breaks[3].per_kg",
        "services[0].transit_days[1].zone",
        "services[0].transit_days[2].days",
        "services[0].fuel_surcharge_pct",
        "services[0].cutoff",
        "services[0].max_weight_g",
        "services[0].ship_days",
        "services[0].delivery_days",
    ]
    messages = {e.field: e.message for e in errors}
    assert messages["services[0].breaks[1].up_to_g"] == (
        "must be above the previous break of zone 'NL' (2000 g)"
    )
    assert "'DE' has no transit days" in errors[5].message
    assert "ISO 4217" in messages["services[0].currency"]


def test_a_zone_in_use_needs_breaks_and_transit_days() -> None:
    errors = validate_service(service(zones=(ZoneRule("NL", "NL"), ZoneRule("BE", "BE"))))
    assert [(e.field, e.message) for e in errors] == [
        ("zones[1].zone", "zone 'BE' has no weight breaks"),
        ("zones[1].zone", "zone 'BE' has no transit days"),
    ]


def test_a_broken_carrier_lists_every_problem_by_field() -> None:
    errors = validate_carrier(Carrier("", "", "https://x.example/track", dim_divisor=0))
    assert [e.field for e in errors] == ["code", "name", "tracking_url", "dim_divisor"]
