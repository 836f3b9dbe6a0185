"""Tax-rate and exchange-rate tables."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from openoms.accounting import services
from openoms.identity.model import Permission as P
from openoms.web.auth import permit
from openoms.web.deps import ReadUow, WriteUow
from openoms.web.schemas import Strict

router = APIRouter(tags=["accounting"])


class TaxRateIO(Strict):
    country: str = Field(min_length=2, max_length=2, examples=["NL"])
    region: str = Field(default="", max_length=40, description="empty: the whole country")
    rate: str = Field(examples=["0.21"], description="a decimal fraction: 0.21 is 21 %")
    name: str = Field(default="", max_length=80, examples=["BTW hoog"])


class FxRateIO(Strict):
    currency: str = Field(min_length=3, max_length=3, examples=["USD"])
    rate_to_base: str = Field(examples=["0.92"], description="one unit in the base currency")


class FxRatesOut(BaseModel):
    base_currency: str
    rates: list[FxRateIO]


@router.put("/tax-rates", dependencies=[permit(P.FINANCE_MANAGE)])
def set_tax_rate(body: TaxRateIO, uow: WriteUow) -> TaxRateIO:
    rate = services.set_tax_rate(uow, body.country, body.region, body.rate, body.name)
    return TaxRateIO(country=rate.country, region=rate.region, rate=str(rate.rate), name=rate.name)


@router.get("/tax-rates", dependencies=[permit(P.FINANCE_VIEW)])
def list_tax_rates(uow: ReadUow) -> list[TaxRateIO]:
    return [
        TaxRateIO(country=r.country, region=r.region, rate=str(r.rate), name=r.name)
        for r in services.list_tax_rates(uow)
    ]


@router.put("/fx-rates", dependencies=[permit(P.FINANCE_MANAGE)])
def set_fx_rate(body: FxRateIO, uow: WriteUow) -> FxRateIO:
    value = services.set_fx_rate(uow, body.currency, body.rate_to_base)
    return FxRateIO(currency=body.currency, rate_to_base=str(value))


@router.get("/fx-rates", dependencies=[permit(P.FINANCE_VIEW)])
def list_fx_rates(uow: ReadUow) -> FxRatesOut:
    from openoms.infra.settings import get_settings

    rates = services.list_fx_rates(uow)
    return FxRatesOut(
        base_currency=get_settings().base_currency,
        rates=[FxRateIO(currency=c, rate_to_base=str(r)) for c, r in rates.items()],
    )
