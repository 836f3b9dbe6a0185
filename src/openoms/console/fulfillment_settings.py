"""The warehouse's set-up in the console: standard boxes, carriers and their services (zones,
weight breaks and transit days as JSON), each location's pick strategy, each channel's
promise and return policy. The same setup services as the API; what they refuse is shown
next to the form's fields and nothing is saved."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from openoms.channels import services as channels
from openoms.channels.model import ChannelNotFound
from openoms.console.fulfillment import my_locations
from openoms.console.pages import page, redirect, render, user_of
from openoms.fulfillment.model import PickStrategy
from openoms.fulfillment.rates import RatePolicy
from openoms.fulfillment.services import setup
from openoms.identity.model import Permission as P
from openoms.infra.db import Database
from openoms.locations.model import LocationNotFound
from openoms.returns import services as returns
from openoms.returns.model import Payer, ReturnPolicy, ReturnReason
from openoms.shared.errors import FieldError, OmsError, ValidationFailed
from openoms.shared.money import Money

router = APIRouter(include_in_schema=False)  # pages, not API

SETTINGS = "/console/settings/fulfilment"
BOX_NUMBERS = ("length_mm", "width_mm", "height_mm", "tare_g", "max_weight_g")
JSON_FIELDS = ("zones", "breaks", "transit_days")
SERVICE_FIELDS: tuple[str, ...] = ("carrier", "code", "name", "currency", "cutoff")
SERVICE_FIELDS += ("fuel_surcharge_pct", "max_weight_g", *JSON_FIELDS)
EXAMPLES = {
    "zones": '[{"zone": "NL", "country": "NL"}, {"zone": "EU", "country": "DE"}]',
    "breaks": '[{"zone": "NL", "up_to_g": 30000, "base": 495, "per_kg": 0}, '
    '{"zone": "EU", "up_to_g": 30000, "base": 995, "per_kg": 50}]',
    "transit_days": '{"NL": 1, "EU": 2}',
}


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _text(form: FormData, name: str, limit: int = 200) -> str:
    value = form.get(name, "")
    return value.strip()[:limit] if isinstance(value, str) else ""


def _whole(form: FormData, name: str, errors: list[FieldError], default: int = 0) -> int:
    text = _text(form, name, 12)
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        errors.append(FieldError(name, "a whole number"))
        return default


def _errors(e: OmsError, known: tuple[str, ...]) -> dict[str, str]:
    """Field -> message; a path inside a field (``zones[0].country``) goes to the field with
    the path in the message; what names no field of the form is under ""."""
    if not isinstance(e, ValidationFailed) or not e.errors:
        return {"": e.detail}
    out: dict[str, str] = {}
    for err in e.errors:
        head = err.field.split("[")[0].split(".")[0]
        key = head if head in known else ""
        message = err.message if err.field == head else f"{err.field}: {err.message}"
        out[key] = f"{out[key]}; {message}" if key in out else message
    return out


@router.get("/settings/fulfilment", dependencies=[page(P.FULFILLMENT_VIEW)])
def settings_page(request: Request) -> Response:
    return _page(request)


def _page(request: Request, failed: dict[str, Any] | None = None, status: int = 200) -> Response:
    """The settings; ``failed``: the form that was refused (its id, values and errors)."""
    db, me = _db(request), user_of(request)
    mine = my_locations(request)
    found = [c.code for c in channels.list_channels(db.reader()) if me.scope.sees_channel(c.code)]
    reader = db.reader()
    with reader:
        places = [setup.location_settings(reader, code) for code in mine]
        promises = [setup.channel_promise(reader, code) for code in found]
        return_policies = [(code, returns.policy_in_transaction(reader, code)) for code in found]
    services = setup.list_services(db.reader())
    boxes = setup.list_boxes(db.reader())
    return render(
        request,
        "console/fulfilment/settings.html",
        {
            "boxes": boxes,
            "box_costs": {b.code: Money(b.cost, b.currency).amount_str() for b in boxes},
            "carriers": setup.list_carriers(db.reader()),
            "services": services,
            "service_json": {
                s.code: {k: json.dumps(getattr(s, k)) for k in JSON_FIELDS} for s in services
            },
            "places": places,
            "promises": promises,
            "strategies": list(PickStrategy),
            "policies": list(RatePolicy),
            "return_policies": return_policies,
            "return_reasons": list(ReturnReason),
            "payers": list(Payer),
            "examples": EXAMPLES,
            "failed": failed or {"form": "", "values": {}, "errors": {}},
            "base": request.app.state.settings.base_currency,
            "tab": "settings",
        },
        status=status,
    )


async def _save(
    request: Request,
    form_id: str,
    fields: tuple[str, ...],
    save: Callable[[FormData, list[FieldError]], str],
) -> Response:
    """Parse and save one form; back to the settings with what was saved, or the page again
    with the form's values and what is wrong with them (422/404/409)."""
    form = await request.form()
    errors: list[FieldError] = []
    try:
        message = save(form, errors)
    except OmsError as e:
        values = {k: _text(form, k, 4000) for k in form if k != "csrf_token"}
        values.update({k: "1" for k in ("is_active",) if k in form})
        status = {"invalid": 422, "not_found": 404}.get(e.kind, 409)
        failed = {"form": form_id, "values": values, "errors": _errors(e, fields)}
        return _page(request, failed, status)
    return redirect(request, SETTINGS, message)


def _check(errors: list[FieldError]) -> None:
    if errors:
        raise ValidationFailed(errors)


# --- boxes ------------------------------------------------------------------------------------


def _box(form: FormData, errors: list[FieldError], code: str | None) -> setup.BoxSpec:
    numbers = {k: _whole(form, k, errors) for k in BOX_NUMBERS}
    currency = _text(form, "currency", 3).upper()
    cost = 0
    try:
        cost = Money.parse(_text(form, "cost", 20) or "0", currency, field="cost").amount_minor
    except ValidationFailed as e:
        errors += e.errors
    _check(errors)
    return setup.BoxSpec(
        code=code or _text(form, "code", 64).upper(),
        name=_text(form, "name"),
        cost=cost,
        currency=currency,
        is_active="is_active" in form,
        **numbers,
    )


BOX_FIELDS = ("code", "name", "cost", "currency", *BOX_NUMBERS)


@router.post("/settings/fulfilment/boxes", dependencies=[page(P.FULFILLMENT_CONFIGURE)])
async def add_box(request: Request) -> Response:
    def save(form: FormData, errors: list[FieldError]) -> str:
        spec = setup.save_box(_db(request).uow(), _box(form, errors, None))
        return f"Box {spec.code} added."

    return await _save(request, "box-new", BOX_FIELDS, save)


@router.post("/settings/fulfilment/boxes/{code}", dependencies=[page(P.FULFILLMENT_CONFIGURE)])
async def change_box(request: Request, code: str) -> Response:
    def save(form: FormData, errors: list[FieldError]) -> str:
        spec = _box(form, errors, code)
        setup.save_box(_db(request).uow(), spec, create=False)
        return f"Box {code} saved."

    return await _save(request, f"box-{code}", BOX_FIELDS, save)


# --- carriers ---------------------------------------------------------------------------------

CARRIER_FIELDS = ("code", "name", "tracking_url", "tracking_prefix", "dim_divisor")


def _carrier(form: FormData, errors: list[FieldError], code: str | None) -> setup.CarrierSpec:
    divisor = _whole(form, "dim_divisor", errors, 5000)
    _check(errors)
    return setup.CarrierSpec(
        code=code or _text(form, "code", 64).upper(),
        name=_text(form, "name"),
        tracking_url=_text(form, "tracking_url", 300),
        tracking_prefix=_text(form, "tracking_prefix", 2).upper(),
        dim_divisor=divisor,
        is_active="is_active" in form,
        api=_text(form, "api", 20).lower() or None,
    )


@router.post("/settings/fulfilment/carriers", dependencies=[page(P.FULFILLMENT_CONFIGURE)])
async def add_carrier(request: Request) -> Response:
    def save(form: FormData, errors: list[FieldError]) -> str:
        spec = setup.save_carrier(_db(request).uow(), _carrier(form, errors, None))
        return f"Carrier {spec.code} added."

    return await _save(request, "carrier-new", CARRIER_FIELDS, save)


@router.post("/settings/fulfilment/carriers/{code}", dependencies=[page(P.FULFILLMENT_CONFIGURE)])
async def change_carrier(request: Request, code: str) -> Response:
    def save(form: FormData, errors: list[FieldError]) -> str:
        setup.save_carrier(_db(request).uow(), _carrier(form, errors, code), create=False)
        return f"Carrier {code} saved."

    return await _save(request, f"carrier-{code}", CARRIER_FIELDS, save)


# --- carrier services -------------------------------------------------------------------------


def _json(form: FormData, name: str, kind: type, errors: list[FieldError]) -> Any:
    text = _text(form, name, 20_000)
    try:
        value = json.loads(text or ("{}" if kind is dict else "[]"))
    except json.JSONDecodeError as e:
        errors.append(FieldError(name, f"not JSON: {e.msg} at line {e.lineno} column {e.colno}"))
        return kind()
    if not isinstance(value, kind):
        errors.append(FieldError(name, f"must be a JSON {'object' if kind is dict else 'list'}"))
        return kind()
    return value


def _service(form: FormData, errors: list[FieldError], code: str | None) -> setup.ServiceSpec:
    zones = _json(form, "zones", list, errors)
    breaks = _json(form, "breaks", list, errors)
    transit = _json(form, "transit_days", dict, errors)
    max_weight = _whole(form, "max_weight_g", errors) or None
    _check(errors)
    return setup.ServiceSpec(
        carrier=_text(form, "carrier", 64),
        code=code or _text(form, "code", 64).upper(),
        name=_text(form, "name"),
        currency=_text(form, "currency", 3).upper(),
        zones=zones,
        breaks=breaks,
        transit_days=transit,
        cutoff=_text(form, "cutoff", 5) or "17:00",
        fuel_surcharge_pct=_text(form, "fuel_surcharge_pct", 10) or "0",
        max_weight_g=max_weight,
        is_active="is_active" in form,
        api_service=_text(form, "api_service", 64) or None,
    )


@router.post("/settings/fulfilment/services", dependencies=[page(P.FULFILLMENT_CONFIGURE)])
async def add_service(request: Request) -> Response:
    def save(form: FormData, errors: list[FieldError]) -> str:
        spec = setup.save_service(_db(request).uow(), _service(form, errors, None))
        return f"Service {spec.code} added."

    return await _save(request, "service-new", SERVICE_FIELDS, save)


@router.post("/settings/fulfilment/services/{code}", dependencies=[page(P.FULFILLMENT_CONFIGURE)])
async def change_service(request: Request, code: str) -> Response:
    def save(form: FormData, errors: list[FieldError]) -> str:
        setup.save_service(_db(request).uow(), _service(form, errors, code), create=False)
        return f"Service {code} saved."

    return await _save(request, f"service-{code}", SERVICE_FIELDS, save)


# --- per location, per channel ----------------------------------------------------------------


@router.post("/settings/fulfilment/locations/{code}", dependencies=[page(P.FULFILLMENT_CONFIGURE)])
async def save_location(request: Request, code: str) -> Response:
    def save(form: FormData, errors: list[FieldError]) -> str:
        if code not in my_locations(request):
            raise LocationNotFound(f"No location '{code}'.", location=code)
        try:
            strategy = PickStrategy(_text(form, "pick_strategy", 20))
        except ValueError:
            errors.append(FieldError("pick_strategy", "choose a strategy"))
            strategy = PickStrategy.SINGLE
        spec = setup.LocationSettings(
            code,
            strategy,
            _whole(form, "batch_size", errors, 8),
            _whole(form, "pickup_days", errors, 7),
        )
        _check(errors)
        setup.save_location_settings(_db(request).uow(), spec)
        return f"Picking at {code} saved: {strategy.value}."

    return await _save(
        request, f"location-{code}", ("pick_strategy", "batch_size", "pickup_days"), save
    )


@router.post("/settings/fulfilment/channels/{code}", dependencies=[page(P.FULFILLMENT_CONFIGURE)])
async def save_promise(request: Request, code: str) -> Response:
    def save(form: FormData, errors: list[FieldError]) -> str:
        if not user_of(request).scope.sees_channel(code):
            raise ChannelNotFound(f"No channel '{code}'.", channel=code)
        try:
            policy = RatePolicy(_text(form, "rate_policy", 30))
        except ValueError:
            errors.append(FieldError("rate_policy", "choose a rate policy"))
            policy = RatePolicy.CHEAPEST_ON_TIME
        spec = setup.ChannelPromise(
            code,
            _text(form, "cutoff", 5),
            _whole(form, "handling_days", errors),
            _whole(form, "delivery_days", errors, 3),
            policy,
            _whole(form, "follow_up_days", errors, 7),
        )
        _check(errors)
        setup.save_channel_promise(_db(request).uow(), spec)
        return f"The promise of {code} saved."

    return await _save(
        request,
        f"channel-{code}",
        ("cutoff", "handling_days", "delivery_days", "rate_policy"),
        save,
    )


RETURN_FIELDS: tuple[str, ...] = ("window_days", "reasons", "shipping_paid_by")
RETURN_FIELDS += ("restocking_fee_percent", "exchanges", "return_service")


@router.post("/settings/fulfilment/return-policy/{code}", dependencies=[page(P.CHANNELS_MANAGE)])
async def save_return_policy(request: Request, code: str) -> Response:
    """The channel's return window, the reasons it takes, who pays the way back, the
    restocking fee, exchanges and the carrier service of return labels."""

    def save(form: FormData, errors: list[FieldError]) -> str:
        if not user_of(request).scope.sees_channel(code):
            raise ChannelNotFound(f"No channel '{code}'.", channel=code)
        try:
            payer = Payer(_text(form, "shipping_paid_by", 10))
        except ValueError:
            errors.append(FieldError("shipping_paid_by", "choose who pays return shipping"))
            payer = Payer.MERCHANT
        fee = _text(form, "restocking_fee_percent", 10) or "0"
        try:
            percent = Decimal(fee)
        except InvalidOperation:
            errors.append(FieldError("restocking_fee_percent", f"'{fee}' is not a number"))
            percent = Decimal(0)
        rules = ReturnPolicy(
            _whole(form, "window_days", errors, 30),
            tuple(r for r in ReturnReason if f"reason-{r.value}" in form),
            payer,
            percent,
            "exchanges" in form,
            _text(form, "return_service", 64) or None,
        )
        _check(errors)
        returns.set_policy(_db(request).uow(), code, rules)
        return f"The return policy of {code} saved: {rules.window_days} days."

    return await _save(request, f"returns-{code}", RETURN_FIELDS, save)
