"""Console sign-in, sign-out and password change."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from openoms.console.pages import any_user, field_errors, public_page, redirect, render, user_of
from openoms.identity.http import set_session
from openoms.identity.services import login, users
from openoms.shared.errors import OmsError, ValidationFailed
from openoms.web.auth import origin_of
from openoms.web.sessions import SESSION_COOKIE

router = APIRouter(include_in_schema=False)  # pages, not API


def _safe_next(target: str) -> str:
    """Only paths inside the console: never an open redirect."""
    if target.startswith("/console") and not target.startswith("//"):
        return target
    return "/console"


@router.get("/login", dependencies=[public_page()])
def login_page(request: Request, next: str = "/console") -> Response:  # noqa: A002
    return render(
        request, "console/login.html", {"next": _safe_next(next), "email": "", "error": ""}
    )


@router.post("/login", dependencies=[public_page()])
def sign_in(
    request: Request,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=500)] = "/console",  # noqa: A002
) -> Response:
    db = request.app.state.db
    policy = login.LoginPolicy.of(request.app.state.settings)
    try:
        user = login.sign_in(db.uow(), email, password, origin=origin_of(request), policy=policy)
    except OmsError as e:
        context = {"next": _safe_next(next), "email": email, "error": e.detail}
        return render(
            request, "console/login.html", context, status=401 if e.kind == "unauthorized" else 429
        )
    response = redirect(request, _safe_next(next), f"Welcome, {user.name}.")
    set_session(request, response, user.id, user.session_version)
    return response


@router.post("/logout", dependencies=[any_user()])
def sign_out(request: Request) -> Response:
    response = redirect(request, "/console/login", "You are signed out.", "info")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/password", dependencies=[any_user()])
def password_page(request: Request) -> Response:
    return render(request, "console/password.html", {"errors": {}})


@router.post("/password", dependencies=[any_user()])
def change_password(
    request: Request,
    current_password: Annotated[str, Form(max_length=1024)] = "",
    new_password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    me = user_of(request)
    db = request.app.state.db
    try:
        user = users.change_password(
            db.uow(), me.id, current_password, new_password, origin=origin_of(request)
        )
    except ValidationFailed as e:
        return render(
            request, "console/password.html", {"errors": field_errors(e.errors)}, status=422
        )
    response = redirect(request, "/console", "Your password is changed.")
    set_session(request, response, user.id, user.session_version)
    return response
