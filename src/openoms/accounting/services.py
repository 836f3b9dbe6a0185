"""Tax-rate and exchange-rate tables: set them, and look them up inside other use cases."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from openoms.accounting.model import FxRateMissing, TaxRate, parse_rate
from openoms.accounting.orm import fx_rates, tax_rates
from openoms.infra.config_cache import ConfigCache
from openoms.infra.db import UnitOfWork
from openoms.infra.upsert import insert_for
from openoms.locations.model import country_codes
from openoms.shared import clock
from openoms.shared.errors import FieldError, ValidationFailed
from openoms.shared.money import validate_currency

MAX_TAX_RATE = Decimal("1")
_tax_cache = ConfigCache()
MAX_FX_RATE = Decimal("1000000")


def set_tax_rate(uow: UnitOfWork, country: str, region: str, rate: str, name: str) -> TaxRate:
    """Create or replace the rate for a country (and optionally a region within it).

    Raises: ValidationFailed.
    """
    value, errors = parse_rate(rate, "rate", MAX_TAX_RATE)
    if country not in country_codes():
        errors.append(FieldError("country", f"'{country}' is not an ISO 3166 alpha-2 code"))
    if errors or value is None:
        raise ValidationFailed(errors)
    with uow:
        upsert = insert_for(uow.conn, tax_rates).values(
            country=country, region=region, rate=str(value), name=name, updated_at=clock.now()
        )
        uow.conn.execute(
            upsert.on_conflict_do_update(
                index_elements=[tax_rates.c.country, tax_rates.c.region],
                set_={"rate": str(value), "name": name, "updated_at": clock.now()},
            )
        )
        uow.commit()
    _tax_cache.forget()
    return TaxRate(country, region, value, name)


def list_tax_rates(uow: UnitOfWork) -> list[TaxRate]:
    with uow:
        rows = uow.conn.execute(
            sa.select(tax_rates).order_by(tax_rates.c.country, tax_rates.c.region)
        )
        return [TaxRate(r.country, r.region, Decimal(r.rate), r.name) for r in rows]


def tax_rate_for(uow: UnitOfWork, country: str, region: str = "") -> Decimal:
    """The rate at a destination: its region's if set, else its country's, else zero.

    Read through a short-lived cache (see infra.config_cache): it is asked on every order.
    """
    key = (uow.database_key, country, region)
    return _tax_cache.get(key, lambda: _tax_rate(uow, country, region))


def _tax_rate(uow: UnitOfWork, country: str, region: str) -> Decimal:
    rows = uow.conn.execute(
        sa.select(tax_rates.c.region, tax_rates.c.rate).where(
            tax_rates.c.country == country, tax_rates.c.region.in_(["", region])
        )
    ).all()
    by_region = {r.region: Decimal(r.rate) for r in rows}
    return by_region.get(region, by_region.get("", Decimal(0)))


def set_fx_rate(uow: UnitOfWork, currency: str, rate_to_base: str) -> Decimal:
    """How much one unit of ``currency`` is in the base currency. Raises: ValidationFailed."""
    validate_currency(currency)
    value, errors = parse_rate(rate_to_base, "rate_to_base", MAX_FX_RATE)
    if errors or value is None or value == 0:
        raise ValidationFailed(errors or [FieldError("rate_to_base", "must be above zero")])
    with uow:
        upsert = insert_for(uow.conn, fx_rates).values(
            currency=currency, rate_to_base=str(value), updated_at=clock.now()
        )
        uow.conn.execute(
            upsert.on_conflict_do_update(
                index_elements=[fx_rates.c.currency],
                set_={"rate_to_base": str(value), "updated_at": clock.now()},
            )
        )
        uow.commit()
    return value


def list_fx_rates(uow: UnitOfWork) -> dict[str, Decimal]:
    with uow:
        rows = uow.conn.execute(sa.select(fx_rates).order_by(fx_rates.c.currency))
        return {r.currency: Decimal(r.rate_to_base) for r in rows}


def fx_rate_for(uow: UnitOfWork, currency: str, base_currency: str) -> Decimal:
    """Raises: FxRateMissing."""
    if currency == base_currency:
        return Decimal(1)
    rate = uow.conn.execute(
        sa.select(fx_rates.c.rate_to_base).where(fx_rates.c.currency == currency)
    ).scalar()
    if rate is None:
        raise FxRateMissing(
            f"No exchange rate from {currency} to {base_currency}; set one first.",
            currency=currency,
        )
    return Decimal(rate)
