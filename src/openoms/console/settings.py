"""Settings in the console: users and roles, API tokens (more sections as they come)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from openoms.console.pages import any_user, field_errors, page, redirect, render, user_of
from openoms.identity.model import ROLE_PERMISSIONS, ROLE_TITLES, Permission, Role
from openoms.identity.model import Permission as P
from openoms.identity.services import audit, tokens, users
from openoms.shared.errors import OmsError, ValidationFailed

router = APIRouter(include_in_schema=False)  # pages, not API


@router.get("/settings", dependencies=[any_user()])
def settings_index(request: Request) -> Response:
    return render(request, "console/settings/index.html")


@router.get("/settings/messages", dependencies=[page(P.ORDERS_VIEW)])
def message_templates(
    request: Request,
    kind: Annotated[str, Query(max_length=40)] = "order_confirmation",
    locale: Annotated[str, Query(max_length=8)] = "en",
) -> Response:
    """Every message template, previewed with sample data in the chosen language."""
    from openoms.notifications.model import LOCALES, MessageKind
    from openoms.notifications.services import preview

    chosen = next((k for k in MessageKind if k.value == kind), MessageKind.ORDER_CONFIRMATION)
    lang = locale if locale in LOCALES else "en"
    return render(
        request,
        "console/settings/messages.html",
        {
            "kinds": list(MessageKind),
            "locales": LOCALES,
            "kind": chosen,
            "locale": lang,
            "shown": preview(chosen, lang),
        },
    )


@router.get("/settings/users", dependencies=[page(P.USERS_MANAGE)])
def user_list(request: Request) -> Response:
    return _users_page(request, {}, {})


def _users_page(
    request: Request, errors: dict[str, str], form: dict[str, str], status: int = 200
) -> Response:
    return render(
        request,
        "console/settings/users.html",
        {
            "users": users.list_users(request.app.state.db.reader()),
            "roles": [
                (r, ROLE_TITLES[r], sorted(p.value for p in ROLE_PERMISSIONS[r])) for r in Role
            ],
            "errors": errors,
            "form": form,
        },
        status=status,
    )


@router.post("/settings/users", dependencies=[page(P.USERS_MANAGE)])
def create_user(
    request: Request,
    email: Annotated[str, Form(max_length=254)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=20)] = "read_only",
    password: Annotated[str, Form(max_length=1024)] = "",
    locations: Annotated[str, Form(max_length=500)] = "",
    channels: Annotated[str, Form(max_length=500)] = "",
    time_zone: Annotated[str, Form(max_length=64)] = "UTC",
) -> Response:
    me = user_of(request)
    form = {
        "email": email,
        "name": name,
        "role": role,
        "locations": locations,
        "channels": channels,
        "time_zone": time_zone,
    }
    try:
        chosen = Role(role)
    except ValueError:
        return _users_page(request, {"role": f"unknown role {role!r}"}, form, 422)
    spec = users.UserSpec(
        email=email,
        name=name,
        role=chosen,
        password=password,
        locations=_codes(locations),
        channels=_codes(channels),
        time_zone=time_zone or "UTC",
    )
    try:
        created = users.create_user(request.app.state.db.uow(), spec, actor=me.actor)
    except ValidationFailed as e:
        return _users_page(request, field_errors(e.errors), form, 422)
    except OmsError as e:
        return _users_page(request, {"email": e.detail}, form, 409)
    return redirect(request, "/console/settings/users", f"User {created.email} added.")


@router.post("/settings/users/{user_id}/active", dependencies=[page(P.USERS_MANAGE)])
def set_active(request: Request, user_id: int, active: Annotated[bool, Form()] = False) -> Response:
    me = user_of(request)
    try:
        user = users.update_user(
            request.app.state.db.uow(), user_id, users.UserChanges(is_active=active), actor=me.actor
        )
    except OmsError as e:
        return redirect(request, "/console/settings/users", e.detail, "error")
    state = "active again" if active else "deactivated and signed out"
    return redirect(request, "/console/settings/users", f"{user.email} is {state}.")


@router.get("/settings/tokens", dependencies=[page(P.TOKENS_MANAGE)])
def token_list(request: Request) -> Response:
    return _tokens_page(request, {}, None)


def _tokens_page(
    request: Request, errors: dict[str, str], secret: str | None, status: int = 200
) -> Response:
    me = user_of(request)
    return render(
        request,
        "console/settings/tokens.html",
        {
            "tokens": tokens.list_tokens(request.app.state.db.reader()),
            "grantable": [p for p in Permission if me.can(p)],
            "errors": errors,
            "secret": secret,
        },
        status=status,
    )


@router.post("/settings/tokens", dependencies=[page(P.TOKENS_MANAGE)])
async def issue_token(request: Request) -> Response:
    me = user_of(request)
    form = await request.form()
    name = str(form.get("name", ""))[:100]
    wanted = []
    for value in form.getlist("permissions"):
        try:
            wanted.append(Permission(str(value)))
        except ValueError:
            return _tokens_page(
                request, {"permissions": f"unknown permission {value!r}"}, None, 422
            )
    spec = tokens.TokenSpec(name=name, permissions=wanted)
    try:
        issued = tokens.issue_token(request.app.state.db.uow(), spec, granter=me)
    except ValidationFailed as e:
        return _tokens_page(request, field_errors(e.errors), None, 422)
    except OmsError as e:
        return _tokens_page(request, {"permissions": e.detail}, None, 403)
    return _tokens_page(request, {}, issued.secret, 201)


@router.post("/settings/tokens/{token_id}/revoke", dependencies=[page(P.TOKENS_MANAGE)])
def revoke(request: Request, token_id: int) -> Response:
    me = user_of(request)
    try:
        token = tokens.revoke_token(request.app.state.db.uow(), token_id, actor=me.actor)
    except OmsError as e:
        return redirect(request, "/console/settings/tokens", e.detail, "error")
    return redirect(request, "/console/settings/tokens", f"Token “{token.name}” revoked.")


def _codes(text: str) -> list[str] | None:
    codes = [c.strip() for c in text.replace(";", ",").split(",") if c.strip()]
    return codes or None


@router.get("/settings/audit", dependencies=[page(P.AUDIT_VIEW)])
def audit_log(
    request: Request,
    actor: Annotated[str, Query(max_length=120)] = "",
    action: Annotated[str, Query(max_length=200)] = "",
    cursor: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    """Who did what, when, from where; newest first."""
    error = ""
    found = audit.AuditPage([], None)
    try:
        found = audit.list_audit(
            request.app.state.db.reader(),
            audit.AuditFilter(actor or None, action or None, cursor=cursor or None, limit=100),
        )
    except ValidationFailed as e:
        error = "; ".join(x.message for x in e.errors)
    return render(
        request,
        "console/settings/audit.html",
        {
            "entries": found.items,
            "next_cursor": found.next_cursor,
            "actor": actor,
            "action": action,
            "error": error,
        },
    )
