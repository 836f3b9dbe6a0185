"""Schema pieces every domain's API uses: money in and out, pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Generic, TypeVar

from fastapi import Response
from pydantic import BaseModel, ConfigDict, Field

from openoms.shared.errors import FieldError, ValidationFailed
from openoms.shared.money import Money, minor_str

T = TypeVar("T")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def fields_sent(self, *, nullable: tuple[str, ...] = ()) -> dict[str, Any]:
        """A partial update's fields as sent. A null is refused (422, one error per field)
        except for the ``nullable`` fields, where it removes the value."""
        given = self.model_fields_set
        nulls = [k for k in sorted(given) if getattr(self, k) is None and k not in nullable]
        if nulls:
            raise ValidationFailed([FieldError(k, "must not be null") for k in nulls])
        return {k: getattr(self, k) for k in given}


class MoneyIn(Strict):
    """An amount in major units as a decimal string ("19.99") and its ISO 4217 currency."""

    currency: str = Field(min_length=3, max_length=3, examples=["EUR"])
    amount: Decimal | str = Field(examples=["19.99"])

    def to_money(self, field: str) -> Money:
        try:
            return Money.parse(self.amount, self.currency.upper(), field=f"{field}.amount")
        except ValidationFailed as e:
            raise ValidationFailed(
                [
                    FieldError(
                        f"{field}.{err.field}" if err.field == "currency" else err.field,
                        err.message,
                    )
                    for err in e.errors
                ],
                e.detail,
            ) from None


class MoneyOut(BaseModel):
    currency: str
    amount: str
    amount_minor: int

    @classmethod
    def of(cls, money: Money) -> MoneyOut:
        return cls(**cls.fields(money.amount_minor, money.currency))

    @staticmethod
    def fields(amount_minor: int, currency: str) -> dict[str, Any]:
        """The fields of an amount in a currency the caller knows to be valid (a stored
        order's), for a response built as one dict and validated once."""
        return {
            "currency": currency,
            "amount": minor_str(amount_minor, currency),
            "amount_minor": amount_minor,
        }


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def collect_money(items: list[MoneyIn], field: str) -> dict[str, Money]:
    """Parse a list of prices, one per currency; every bad entry is reported."""
    errors: list[FieldError] = []
    out: dict[str, Money] = {}
    for i, item in enumerate(items):
        try:
            money = item.to_money(f"{field}[{i}]")
        except ValidationFailed as e:
            errors.extend(e.errors)
            continue
        if money.amount_minor < 0:
            errors.append(FieldError(f"{field}[{i}].amount", "a price cannot be negative"))
        if money.currency in out:
            errors.append(FieldError(f"{field}[{i}].currency", f"{money.currency} is given twice"))
        out[money.currency] = money
    if errors:
        raise ValidationFailed(errors)
    return out


def model_response(model: BaseModel, status_code: int = 200) -> Response:
    """``model`` as the JSON response, serialized in the handler's own thread.

    FastAPI validates a plain (``def``) handler's return value against its response model
    in one more trip to a worker thread, after the handler's own: a second thread hop for
    every request. A hot handler that builds its response model itself returns this instead
    and names the model in the route's ``response_model`` (for the OpenAPI document)."""
    return Response(model.model_dump_json(), status_code=status_code, media_type="application/json")
