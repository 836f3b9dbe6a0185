"""Settings pages for the merchant's set-up: locations, channels, tax and exchange rates,
webhooks. Each lists what there is and changes it through the domain's own services."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from openoms.accounting import services as accounting
from openoms.channels import services as channels
from openoms.channels.model import ChannelKind, ChannelSpec
from openoms.console.pages import field_errors, page, problem_text, redirect, render
from openoms.identity.model import Permission as P
from openoms.integrations.webhooks import services as webhooks
from openoms.integrations.webhooks.event_types import EVENT_TYPES
from openoms.integrations.webhooks.model import DeliveryStatus, SubscriptionSpec
from openoms.integrations.webhooks.queries import list_deliveries
from openoms.locations import services as locations
from openoms.locations.model import Address, LocationKind, LocationSpec
from openoms.payments.fraud import DEFAULT_CONFIG
from openoms.payments.model import CapturePolicy
from openoms.shared.errors import OmsError, ValidationFailed
from openoms.sourcing.model import SourcingPolicy

router = APIRouter(include_in_schema=False)  # pages, not API

LOCATIONS = "/console/settings/locations"
CHANNELS = "/console/settings/channels"
RATES = "/console/settings/rates"
WEBHOOKS = "/console/settings/webhooks"


def _text(form: FormData, name: str, limit: int = 200) -> str:
    value = form.get(name, "")
    return value.strip()[:limit] if isinstance(value, str) else ""


def _flag(form: FormData, name: str) -> bool:
    return form.get(name) in ("1", "on", "true")


def _codes(text: str) -> list[str]:
    return [c.strip().upper() for c in text.replace(";", ",").split(",") if c.strip()]


def _number(form: FormData, name: str, errors: dict[str, str]) -> int | None:
    text = _text(form, name, 12)
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        errors[name] = "a whole number"
        return None


def _decimal(form: FormData, name: str, errors: dict[str, str]) -> float:
    try:
        return float(Decimal(_text(form, name, 20) or "x"))
    except ArithmeticError:
        errors[name] = "a number such as 52.37"
        return 0.0


# --- locations ------------------------------------------------------------------------------


@router.get("/settings/locations", dependencies=[page(P.LOCATIONS_VIEW)])
def location_list(request: Request) -> Response:
    return _locations_page(request, {}, {})


def _locations_page(
    request: Request, errors: dict[str, str], form: dict[str, Any], status: int = 200
) -> Response:
    found = locations.list_locations(request.app.state.db.reader())
    return render(
        request,
        "console/settings/locations.html",
        {"locations": found, "kinds": list(LocationKind), "errors": errors, "form": form},
        status=status,
    )


@router.post("/settings/locations", dependencies=[page(P.LOCATIONS_MANAGE)])
async def create_location(request: Request) -> Response:
    form = await request.form()
    errors: dict[str, str] = {}
    values = {k: _text(form, k) for k in form if k != "csrf_token"}
    try:
        kind = LocationKind(_text(form, "kind"))
    except ValueError:
        errors["kind"] = "choose a kind"
        kind = LocationKind.WAREHOUSE
    spec = LocationSpec(
        code=_text(form, "code", 64).upper(),
        name=_text(form, "name"),
        kind=kind,
        address=Address(
            line1=_text(form, "line1"),
            city=_text(form, "city"),
            postal_code=_text(form, "postal_code", 20),
            country=_text(form, "country", 2).upper(),
        ),
        latitude=_decimal(form, "latitude", errors),
        longitude=_decimal(form, "longitude", errors),
        timezone=_text(form, "timezone", 64) or "UTC",
        can_ship=_flag(form, "can_ship"),
        can_pickup=_flag(form, "can_pickup"),
        priority=_number(form, "priority", errors) or 100,
        daily_order_capacity=_number(form, "daily_order_capacity", errors),
    )
    if errors:
        return _locations_page(request, errors, values, 422)
    try:
        locations.create_location(request.app.state.db.uow(), spec)
    except ValidationFailed as e:
        found = {k.removeprefix("address."): v for k, v in field_errors(e.errors).items()}
        return _locations_page(request, found, values, 422)
    except OmsError as e:
        return _locations_page(request, {"code": e.detail}, values, 409)
    return redirect(request, LOCATIONS, f"Location {spec.code} added.")


@router.post("/settings/locations/{code}", dependencies=[page(P.LOCATIONS_MANAGE)])
async def update_location(request: Request, code: str) -> Response:
    form = await request.form()
    errors: dict[str, str] = {}
    changes: dict[str, Any] = {
        "priority": _number(form, "priority", errors),
        "daily_order_capacity": _number(form, "daily_order_capacity", errors),
        "can_ship": _flag(form, "can_ship"),
        "can_pickup": _flag(form, "can_pickup"),
        "accepts_returns": _flag(form, "accepts_returns"),
        "is_active": _flag(form, "is_active"),
    }
    if changes["priority"] is None:
        changes.pop("priority")
    if errors:
        return redirect(request, LOCATIONS, f"{code} not changed: {errors}", "error")
    try:
        locations.update_location(request.app.state.db.uow(), code, changes)
    except OmsError as e:
        return redirect(request, LOCATIONS, f"{code} not changed: {problem_text(e)}", "error")
    return redirect(request, LOCATIONS, f"Location {code} saved.")


# --- channels -------------------------------------------------------------------------------


@router.get("/settings/channels", dependencies=[page(P.CHANNELS_VIEW)])
def channel_list(request: Request) -> Response:
    return _channels_page(request, {}, {})


def _channels_page(
    request: Request, errors: dict[str, str], form: dict[str, Any], status: int = 200
) -> Response:
    return render(
        request,
        "console/settings/channels.html",
        {
            "channels": channels.list_channels(request.app.state.db.reader()),
            "kinds": list(ChannelKind),
            "policies": list(SourcingPolicy),
            "captures": list(CapturePolicy),
            "default_rules": json.dumps(DEFAULT_CONFIG.to_dict(), indent=1),
            "errors": errors,
            "form": form,
        },
        status=status,
    )


def _channel_fields(form: FormData, errors: dict[str, str]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "name": _text(form, "name"),
        "currencies": _codes(_text(form, "currencies")),
        "locations": _codes(_text(form, "locations", 500)),
        "allow_backorder": _flag(form, "allow_backorder"),
        "stock_buffer": _number(form, "stock_buffer", errors) or 0,
        "prices_include_tax": _flag(form, "prices_include_tax"),
        "ship_from_store": _flag(form, "ship_from_store"),
        "cart_ttl_minutes": _number(form, "cart_ttl_minutes", errors) or 30,
    }
    try:
        fields["sourcing_policy"] = SourcingPolicy(_text(form, "sourcing_policy"))
    except ValueError:
        errors["sourcing_policy"] = "choose a policy"
    try:
        fields["payment_capture"] = CapturePolicy(_text(form, "payment_capture") or "at_shipment")
    except ValueError:
        errors["payment_capture"] = "choose when card payments are captured"
    raw = form.get("fraud_rules", "")
    rules = raw.strip() if isinstance(raw, str) else ""
    if len(rules) > 20_000:
        errors["fraud_rules"] = "too long"
    elif rules:
        try:
            parsed = json.loads(rules)
        except json.JSONDecodeError as e:
            errors["fraud_rules"] = f"not valid JSON: {e.msg} (line {e.lineno})"
        else:
            if isinstance(parsed, dict):
                fields["fraud_rules"] = parsed
            else:
                errors["fraud_rules"] = "must be a JSON object"
    else:
        fields["fraud_rules"] = None  # the default rules
    return fields


@router.post("/settings/channels", dependencies=[page(P.CHANNELS_MANAGE)])
async def create_channel(request: Request) -> Response:
    form = await request.form()
    errors: dict[str, str] = {}
    values = {k: _text(form, k, 500) for k in form if k != "csrf_token"}
    fields = _channel_fields(form, errors)
    try:
        kind = ChannelKind(_text(form, "kind"))
    except ValueError:
        errors["kind"] = "choose a kind"
        kind = ChannelKind.WEB_SHOP
    if errors:
        return _channels_page(request, errors, values, 422)
    spec = ChannelSpec(code=_text(form, "code", 64).upper(), kind=kind, **fields)
    try:
        channels.create_channel(request.app.state.db.uow(), spec)
    except ValidationFailed as e:
        return _channels_page(request, field_errors(e.errors), values, 422)
    except OmsError as e:
        return _channels_page(request, {"code": e.detail}, values, 409)
    return redirect(request, CHANNELS, f"Channel {spec.code} added.")


@router.post("/settings/channels/{code}", dependencies=[page(P.CHANNELS_MANAGE)])
async def update_channel(request: Request, code: str) -> Response:
    form = await request.form()
    errors: dict[str, str] = {}
    fields = _channel_fields(form, errors)
    fields["is_active"] = _flag(form, "is_active")
    if errors:
        return redirect(request, CHANNELS, f"{code} not changed: {errors}", "error")
    try:
        channels.update_channel(request.app.state.db.uow(), code, fields)
    except OmsError as e:
        return redirect(request, CHANNELS, f"{code} not changed: {problem_text(e)}", "error")
    return redirect(request, CHANNELS, f"Channel {code} saved.")


# --- tax and exchange rates -----------------------------------------------------------------


@router.get("/settings/rates", dependencies=[page(P.FINANCE_VIEW)])
def rates(request: Request) -> Response:
    db = request.app.state.db
    return render(
        request,
        "console/settings/rates.html",
        {
            "taxes": accounting.list_tax_rates(db.reader()),
            "fx": accounting.list_fx_rates(db.reader()),
            "base": request.app.state.settings.base_currency,
        },
    )


@router.post("/settings/rates/tax", dependencies=[page(P.FINANCE_MANAGE)])
async def set_tax(request: Request) -> Response:
    form = await request.form()
    country = _text(form, "country", 2).upper()
    try:
        accounting.set_tax_rate(
            request.app.state.db.uow(),
            country,
            _text(form, "region", 120),
            _text(form, "rate", 12),
            _text(form, "name", 60),
        )
    except OmsError as e:
        return redirect(request, RATES, f"Tax rate not set: {problem_text(e)}", "error")
    return redirect(request, RATES, f"Tax rate for {country} set.")


@router.post("/settings/rates/fx", dependencies=[page(P.FINANCE_MANAGE)])
async def set_fx(request: Request) -> Response:
    form = await request.form()
    currency = _text(form, "currency", 3).upper()
    try:
        accounting.set_fx_rate(request.app.state.db.uow(), currency, _text(form, "rate", 20))
    except OmsError as e:
        return redirect(request, RATES, f"Exchange rate not set: {problem_text(e)}", "error")
    return redirect(request, RATES, f"Exchange rate for {currency} set.")


# --- webhooks -------------------------------------------------------------------------------


@router.get("/settings/webhooks", dependencies=[page(P.WEBHOOKS_MANAGE)])
def webhook_list(request: Request) -> Response:
    return _webhooks_page(request, {}, None)


def _webhooks_page(
    request: Request, errors: dict[str, str], secret: str | None, status: int = 200
) -> Response:
    db = request.app.state.db
    dead, _ = list_deliveries(db.reader(), status=DeliveryStatus.DEAD, limit=20)
    return render(
        request,
        "console/settings/webhooks.html",
        {
            "subscriptions": webhooks.list_subscriptions(db.reader()),
            "event_types": EVENT_TYPES,
            "dead": dead,
            "errors": errors,
            "secret": secret,
        },
        status=status,
    )


@router.post("/settings/webhooks", dependencies=[page(P.WEBHOOKS_MANAGE)])
async def create_webhook(request: Request) -> Response:
    form = await request.form()
    events = tuple(str(e) for e in form.getlist("events")) or ("*",)
    spec = SubscriptionSpec(
        url=_text(form, "url", 2000), events=events, description=_text(form, "description")
    )
    try:
        _, secret = webhooks.create_subscription(request.app.state.db.uow(), spec)
    except ValidationFailed as e:
        return _webhooks_page(request, field_errors(e.errors), None, 422)
    return _webhooks_page(request, {}, secret, 201)


@router.post("/settings/webhooks/{subscription_id}/active", dependencies=[page(P.WEBHOOKS_MANAGE)])
async def toggle_webhook(request: Request, subscription_id: str) -> Response:
    form = await request.form()
    active = _flag(form, "active")
    try:
        webhooks.update_subscription(
            request.app.state.db.uow(), subscription_id, {"is_active": active}
        )
    except OmsError as e:
        return redirect(request, WEBHOOKS, problem_text(e), "error")
    return redirect(request, WEBHOOKS, "Webhook " + ("resumed." if active else "paused."))


@router.post(
    "/settings/webhooks/deliveries/{delivery_id}/replay", dependencies=[page(P.WEBHOOKS_MANAGE)]
)
def replay(request: Request, delivery_id: str) -> Response:
    try:
        webhooks.replay_delivery(request.app.state.db.uow(), delivery_id)
    except OmsError as e:
        return redirect(request, WEBHOOKS, problem_text(e), "error")
    return redirect(request, WEBHOOKS, "Delivery queued again.")
