"""Carriers and their services as data, and rate shopping across them.

Pure: no database, no framework. Money is an integer count of minor units in the service's
currency, weights are grams, percentages are ``Decimal``. A service prices a shipment by the
destination zone (country and postal-code prefix, optionally per shipping location) and weight
breaks per zone, plus a fuel surcharge; it ships on ship days before a local cut-off time and
delivers on delivery days.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from urllib.parse import quote
from zoneinfo import ZoneInfo

from openoms.shared.errors import FieldError, ValidationFailed
from openoms.shared.money import Money, validate_currency

WEEK = frozenset(range(7))  # Monday (0) to Sunday (6), as date.weekday() counts
WEEKDAYS = frozenset(range(5))
TRACKING_PLACEHOLDER = "{tracking}"
_COUNTRY = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True, slots=True)
class ZoneRule:
    """Destinations in ``country`` whose postal code starts with ``postal_prefix`` are in ``zone``.

    ``origin`` limits the rule to shipments from one shipping location (its code); ``None``
    applies from every location.
    """

    zone: str
    country: str
    postal_prefix: str = ""
    origin: str | None = None


@dataclass(frozen=True, slots=True)
class RateBreak:
    """One weight break of a zone's price list.

    A package costs the ``base`` of the first break (by ``up_to_g`` ascending) whose ``up_to_g``
    is at least its billable weight. Above the highest break it costs that last break's ``base``
    plus ``per_kg`` for every started kilogram beyond its ``up_to_g``; only the last break's
    ``per_kg`` is ever used.
    """

    zone: str
    up_to_g: int
    base: int
    per_kg: int = 0


@dataclass(frozen=True, slots=True)
class Carrier:
    """A carrier; ``tracking_url`` holds a ``{tracking}`` placeholder for the number.

    ``dim_divisor`` turns a parcel's volume into a volumetric weight: kg = cm³ / divisor.
    """

    code: str
    name: str
    tracking_url: str
    dim_divisor: int = 5000

    def tracking_link(self, tracking_number: str) -> str:
        return self.tracking_url.replace(TRACKING_PLACEHOLDER, quote(tracking_number, safe=""))


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceLevel:
    """One service of a carrier (``DHL`` / ``parcel-standard``) with its zones and prices.

    ``transit_days`` pairs each zone with its transit time in delivery days. ``cutoff`` is the
    local time at the shipping location after which parcels leave on the next ship day.
    Weekdays count as ``date.weekday()`` does: Monday is 0.
    """

    carrier: str
    code: str
    name: str
    currency: str
    zones: tuple[ZoneRule, ...]
    breaks: tuple[RateBreak, ...]
    transit_days: tuple[tuple[str, int], ...]
    cutoff: time
    fuel_surcharge_pct: Decimal = Decimal(0)
    max_weight_g: int | None = None
    ship_days: frozenset[int] = WEEKDAYS
    delivery_days: frozenset[int] = WEEKDAYS

    def transit_days_for(self, zone: str) -> int | None:
        return next((days for name, days in self.transit_days if name == zone), None)

    def breaks_for(self, zone: str) -> list[RateBreak]:
        return sorted((b for b in self.breaks if b.zone == zone), key=lambda b: b.up_to_g)


class RatePolicy(StrEnum):
    CHEAPEST = "cheapest"
    FASTEST = "fastest"
    CHEAPEST_ON_TIME = "cheapest_on_time"


@dataclass(frozen=True, slots=True)
class RateOption:
    """One way to ship: a service's price and dates for one shipment."""

    carrier: str
    service: str
    service_name: str
    zone: str
    amount: int
    currency: str
    ship_date: date
    delivery_date: date
    transit_days: int
    meets_promise: bool | None
    carrier_name: str = ""

    @property
    def label(self) -> str:
        return f"{self.carrier_name} {self.service_name}".strip()


def normalize_postal_code(postal_code: str) -> str:
    return "".join(postal_code.split()).upper()


def zone_for(rules: Iterable[ZoneRule], origin: str, country: str, postal_code: str) -> str | None:
    """The destination zone by the most specific matching rule, or None when none matches.

    Rules for the shipping location beat generic ones; then the longest postal prefix wins;
    on a tie the first listed rule wins.
    """
    country = country.upper()
    postal = normalize_postal_code(postal_code)
    matching = [
        rule
        for rule in rules
        if rule.country.upper() == country
        and rule.origin in (None, origin)
        and postal.startswith(normalize_postal_code(rule.postal_prefix))
    ]
    if not matching:
        return None
    best = max(
        matching,
        key=lambda r: (r.origin is not None, len(normalize_postal_code(r.postal_prefix))),
    )
    return best.zone


def _package_price(breaks: Sequence[RateBreak], weight_g: int) -> int:
    for rate_break in breaks:
        if weight_g <= rate_break.up_to_g:
            return rate_break.base
    last = breaks[-1]
    started_kg = math.ceil((weight_g - last.up_to_g) / 1000)
    return last.base + last.per_kg * started_kg


def fuel_surcharge(service: ServiceLevel, base_amount: int) -> int:
    """``fuel_surcharge_pct`` of the base amount, rounded half up to a minor unit."""
    surcharge = service.fuel_surcharge_pct * base_amount / 100
    return int(surcharge.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def price(service: ServiceLevel, zone: str, billable_weights_g: Sequence[int]) -> int | None:
    """The price of shipping these packages to ``zone``, fuel surcharge included.

    None when the zone has no weight breaks or a package is heavier than the service takes.

    Raises:
        ValueError: no packages, or a negative weight.
    """
    if not billable_weights_g:
        raise ValueError("a shipment has at least one package")
    if any(weight < 0 for weight in billable_weights_g):
        raise ValueError("package weights cannot be negative")
    breaks = service.breaks_for(zone)
    if not breaks:
        return None
    if service.max_weight_g is not None and max(billable_weights_g) > service.max_weight_g:
        return None
    base_amount = sum(_package_price(breaks, weight) for weight in billable_weights_g)
    return base_amount + fuel_surcharge(service, base_amount)


def _next_day_in(days: frozenset[int], after: date) -> date:
    if not days & WEEK:
        raise ValueError("a service needs at least one weekday (0-6) to ship and deliver on")
    day = after + timedelta(days=1)
    while day.weekday() not in days:
        day += timedelta(days=1)
    return day


def ship_date(service: ServiceLevel, now: datetime, tz: str) -> date:
    """The day a parcel handed over ``now`` leaves the location in time zone ``tz``.

    Today (local) when it is a ship day and before the cut-off, otherwise the next ship day.

    Raises:
        ValueError: ``now`` is naive, or the service has no ship days.
    """
    if now.tzinfo is None:
        raise ValueError("ship_date() needs a timezone-aware now")
    local = now.astimezone(ZoneInfo(tz))
    today = local.date()
    if today.weekday() in service.ship_days and local.time() < service.cutoff:
        return today
    return _next_day_in(service.ship_days, today)


def delivery_date(service: ServiceLevel, ship: date, transit_days: int) -> date:
    """The day a parcel shipped on ``ship`` arrives, counting only delivery days after it.

    Zero transit days means delivery on the ship date itself.

    Raises:
        ValueError: negative transit days, or the service has no delivery days.
    """
    if transit_days < 0:
        raise ValueError("transit days cannot be negative")
    day = ship
    for _ in range(transit_days):
        day = _next_day_in(service.delivery_days, day)
    return day


def rate_shop(
    services: Iterable[ServiceLevel],
    carriers: Iterable[Carrier],
    *,
    origin: str,
    origin_tz: str,
    country: str,
    postal_code: str,
    billable_weights_g: Sequence[int],
    now: datetime,
    promised_by: date | None = None,
) -> list[RateOption]:
    """Every service that ships these packages to the destination, cheapest first.

    Ties on price go to the earlier delivery. A service is left out when no zone rule matches
    the destination, its zone has no transit days or prices, or a package is too heavy.

    Raises:
        ValueError: a service names a carrier that is not given, or bad weights or ``now``.
    """
    by_code = {carrier.code: carrier for carrier in carriers}
    options: list[RateOption] = []
    for service in services:
        carrier = by_code.get(service.carrier)
        if carrier is None:
            raise ValueError(f"service {service.code!r} names unknown carrier {service.carrier!r}")
        zone = zone_for(service.zones, origin, country, postal_code)
        if zone is None:
            continue
        transit = service.transit_days_for(zone)
        amount = price(service, zone, billable_weights_g)
        if transit is None or amount is None:
            continue
        ships = ship_date(service, now, origin_tz)
        arrives = delivery_date(service, ships, transit)
        options.append(
            RateOption(
                carrier=carrier.code,
                service=service.code,
                service_name=service.name,
                zone=zone,
                amount=amount,
                currency=service.currency,
                ship_date=ships,
                delivery_date=arrives,
                transit_days=transit,
                meets_promise=None if promised_by is None else arrives <= promised_by,
                carrier_name=carrier.name,
            )
        )
    return sorted(options, key=_by_price)


def _by_price(option: RateOption) -> tuple[int, date, str, str]:
    return (option.amount, option.delivery_date, option.carrier, option.service)


def _by_speed(option: RateOption) -> tuple[date, int, str, str]:
    return (option.delivery_date, option.amount, option.carrier, option.service)


def _day(value: date) -> str:
    return f"{value:%a} {value.day} {value:%b}"


def _describe(option: RateOption) -> str:
    amount = Money(option.amount, option.currency).format()
    return f"{option.label}, {amount}, delivered {_day(option.delivery_date)}"


def _picked(what: str, options: Sequence[RateOption], option: RateOption, among: str = "") -> str:
    if len(options) == 1:
        return f"Only option{among}: {_describe(option)}"
    return f"{what} of {len(options)} options{among}: {_describe(option)}"


def choose(
    options: Sequence[RateOption], policy: RatePolicy, promised_by: date | None = None
) -> tuple[RateOption | None, str]:
    """The option a policy picks, with a one-sentence reason for people.

    ``cheapest_on_time`` takes the cheapest option delivered by ``promised_by``; when none is,
    the fastest, and the reason says the promise will be missed. Without a promised date it
    takes the cheapest.
    """
    if not options:
        return None, "No service ships to this destination at these weights"
    if policy is RatePolicy.FASTEST:
        fastest = min(options, key=_by_speed)
        return fastest, _picked("Fastest", options, fastest)
    if policy is RatePolicy.CHEAPEST_ON_TIME and promised_by is not None:
        return _cheapest_on_time(options, promised_by)
    cheapest = min(options, key=_by_price)
    return cheapest, _picked("Cheapest", options, cheapest)


def _cheapest_on_time(options: Sequence[RateOption], promised_by: date) -> tuple[RateOption, str]:
    by = _day(promised_by)
    on_time = [option for option in options if option.delivery_date <= promised_by]
    if on_time:
        best = min(on_time, key=_by_price)
        return best, _picked("Cheapest", on_time, best, f" delivered by {by}")
    fastest = min(options, key=_by_speed)
    late = (fastest.delivery_date - promised_by).days
    return fastest, (
        f"No option delivers by {by}, so the fastest of {len(options)}: "
        f"{_describe(fastest)}; the promise will be missed by {late} day{'s' * (late != 1)}"
    )


def validate_carrier(carrier: Carrier, path: str = "") -> list[FieldError]:
    """Every problem with a carrier definition, with field paths under ``path``."""
    errors = _require_text(path, code=carrier.code, name=carrier.name)
    if TRACKING_PLACEHOLDER not in carrier.tracking_url:
        errors.append(
            FieldError(
                f"{path}tracking_url", f"must contain the {TRACKING_PLACEHOLDER} placeholder"
            )
        )
    if carrier.dim_divisor <= 0:
        errors.append(FieldError(f"{path}dim_divisor", "must be positive"))
    return errors


def validate_service(service: ServiceLevel, path: str = "") -> list[FieldError]:
    """Every problem with a service definition, with field paths under ``path``.

    An empty list means the service can be stored; otherwise an API answers 422 with these.
    """
    return [
        *_require_text(path, carrier=service.carrier, code=service.code, name=service.name),
        *_check_currency(service.currency, f"{path}currency"),
        *_check_zone_rules(service, path),
        *_check_breaks(service.breaks, path),
        *_check_transit_days(service.transit_days, path),
        *_check_terms(service, path),
    ]


def _require_text(path: str, **fields: str) -> list[FieldError]:
    return [
        FieldError(f"{path}{name}", "is required") for name, v in fields.items() if not v.strip()
    ]


def _check_currency(currency: str, field: str) -> list[FieldError]:
    try:
        validate_currency(currency, field)
    except ValidationFailed as e:
        return e.field_errors()
    return []


def _check_zone_rules(service: ServiceLevel, path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    priced = {b.zone for b in service.breaks}
    timed = {zone for zone, _ in service.transit_days}
    reported: set[str] = set()
    for i, rule in enumerate(service.zones):
        at = f"{path}zones[{i}]."
        errors += _require_text(at, zone=rule.zone)
        if not _COUNTRY.fullmatch(rule.country):
            errors.append(FieldError(f"{at}country", "must be a two-letter ISO country code"))
        if rule.origin is not None and not rule.origin.strip():
            errors.append(FieldError(f"{at}origin", "must be a location code or left out"))
        if not rule.zone.strip() or rule.zone in reported:
            continue
        reported.add(rule.zone)
        if rule.zone not in priced:
            errors.append(FieldError(f"{at}zone", f"zone '{rule.zone}' has no weight breaks"))
        if rule.zone not in timed:
            errors.append(FieldError(f"{at}zone", f"zone '{rule.zone}' has no transit days"))
    return errors


def _check_breaks(breaks: Sequence[RateBreak], path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    previous: dict[str, int] = {}
    for i, rate_break in enumerate(breaks):
        at = f"{path}breaks[{i}]."
        errors += _require_text(at, zone=rate_break.zone)
        if rate_break.up_to_g <= 0:
            errors.append(FieldError(f"{at}up_to_g", "must be a positive number of grams"))
        elif rate_break.zone in previous and rate_break.up_to_g <= previous[rate_break.zone]:
            errors.append(
                FieldError(
                    f"{at}up_to_g",
                    f"must be above the previous break of zone '{rate_break.zone}' "
                    f"({previous[rate_break.zone]} g)",
                )
            )
        previous[rate_break.zone] = max(rate_break.up_to_g, previous.get(rate_break.zone, 0))
        if rate_break.base < 0:
            errors.append(FieldError(f"{at}base", "cannot be negative"))
        if rate_break.per_kg < 0:
            errors.append(FieldError(f"{at}per_kg", "cannot be negative"))
    return errors


def _check_transit_days(transit_days: Sequence[tuple[str, int]], path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    seen: set[str] = set()
    for i, (zone, days) in enumerate(transit_days):
        at = f"{path}transit_days[{i}]"
        if not zone.strip():
            errors.append(FieldError(f"{at}.zone", "is required"))
        elif zone in seen:
            errors.append(FieldError(f"{at}.zone", f"zone '{zone}' is listed twice"))
        seen.add(zone)
        if days < 0:
            errors.append(FieldError(f"{at}.days", "cannot be negative"))
    return errors


def _check_terms(service: ServiceLevel, path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    pct = service.fuel_surcharge_pct
    if not pct.is_finite() or pct < 0:
        errors.append(FieldError(f"{path}fuel_surcharge_pct", "must be zero or more"))
    if service.cutoff.tzinfo is not None:
        errors.append(FieldError(f"{path}cutoff", "is a local time without a time zone"))
    if service.max_weight_g is not None and service.max_weight_g <= 0:
        errors.append(FieldError(f"{path}max_weight_g", "must be a positive number of grams"))
    for name, days in (("ship_days", service.ship_days), ("delivery_days", service.delivery_days)):
        if not days or not days <= WEEK:
            errors.append(
                FieldError(f"{path}{name}", "must be weekdays from 0 (Monday) to 6 (Sunday)")
            )
    return errors
