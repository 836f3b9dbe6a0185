"""Sign-in, the caller's own profile, users, API tokens and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from openoms.identity.model import NotAuthenticated
from openoms.identity.model import Permission as P
from openoms.identity.schemas import (
    AuditOut,
    IssuedTokenOut,
    LoginIn,
    MeOut,
    PasswordChange,
    PasswordIn,
    RoleOut,
    SessionOut,
    TokenCreate,
    TokenOut,
    UserCreate,
    UserOut,
    UserUpdate,
    roles_out,
)
from openoms.identity.services import audit, login, tokens, users
from openoms.web.auth import origin_of, permit, public, signed_in
from openoms.web.deps import Actor, Caller, ReadUow, WriteUow
from openoms.web.schemas import Page
from openoms.web.sessions import SESSION_COOKIE, SessionCodec

router = APIRouter(tags=["identity"])


def set_session(request: Request, response: Response, user_id: int, version: int) -> str:
    """Sign the user in on this response; returns the session's CSRF token."""
    codec: SessionCodec = request.app.state.sessions
    value, csrf = codec.issue(user_id, version)
    secure = request.app.state.settings.cookie_secure
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=codec.max_age_seconds,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https" if secure is None else secure,
        path="/",
    )
    return csrf


@router.post("/auth/login", dependencies=[public()])
def sign_in(body: LoginIn, request: Request, response: Response, uow: WriteUow) -> SessionOut:
    """Sign in with email and password: sets the session cookie and returns the CSRF token
    to send as ``X-CSRF-Token`` with every change."""
    policy = login.LoginPolicy.of(request.app.state.settings)
    user = login.sign_in(uow, body.email, body.password, origin=origin_of(request), policy=policy)
    csrf = set_session(request, response, user.id, user.session_version)
    return SessionOut(user=UserOut.of(user), csrf_token=csrf)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, dependencies=[public()])
def sign_out(response: Response) -> Response:
    """End this session (the cookie is cleared)."""
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.status_code = status.HTTP_204_NO_CONTENT
    return response


@router.get("/me", dependencies=[signed_in()])
def me(caller: Caller, uow: ReadUow) -> MeOut:
    """Who the caller is and what they may do."""
    user = users.get_user(uow, caller.id) if caller.kind == "user" else None
    scope = caller.scope
    return MeOut(
        kind=caller.kind,
        name=caller.name,
        permissions=sorted(p.value for p in caller.permissions),
        locations=None if scope.locations is None else sorted(scope.locations),
        channels=None if scope.channels is None else sorted(scope.channels),
        user=UserOut.of(user) if user else None,
    )


@router.post("/me/password", dependencies=[signed_in()])
def change_my_password(
    body: PasswordChange, request: Request, response: Response, caller: Caller, uow: WriteUow
) -> SessionOut:
    """Change your own password; your other sessions end, this one goes on."""
    if caller.kind != "user":
        raise NotAuthenticated("API tokens have no password; sign in as a user.")
    user = users.change_password(
        uow, caller.id, body.current_password, body.new_password, origin=origin_of(request)
    )
    csrf = set_session(request, response, user.id, user.session_version)
    return SessionOut(user=UserOut.of(user), csrf_token=csrf)


@router.get("/roles", dependencies=[signed_in()])
def list_roles() -> list[RoleOut]:
    """Every role with its permissions."""
    return roles_out()


@router.get("/users", dependencies=[permit(P.USERS_MANAGE)])
def list_users(uow: ReadUow) -> list[UserOut]:
    return [UserOut.of(u) for u in users.list_users(uow)]


@router.post("/users", status_code=status.HTTP_201_CREATED, dependencies=[permit(P.USERS_MANAGE)])
def create_user(body: UserCreate, uow: WriteUow, actor: Actor) -> UserOut:
    spec = users.UserSpec(**body.model_dump())
    return UserOut.of(users.create_user(uow, spec, actor=actor))


@router.get("/users/{user_id}", dependencies=[permit(P.USERS_MANAGE)])
def get_user(user_id: int, uow: ReadUow) -> UserOut:
    return UserOut.of(users.get_user(uow, user_id))


@router.patch("/users/{user_id}", dependencies=[permit(P.USERS_MANAGE)])
def update_user(user_id: int, body: UserUpdate, uow: WriteUow, actor: Actor) -> UserOut:
    """Change role, name, time zone or limits, or deactivate (which signs the user out)."""
    changes = users.UserChanges(
        name=body.name,
        role=body.role,
        is_active=body.is_active,
        locations=body.locations,
        channels=body.channels,
        clear_locations=body.all_locations,
        clear_channels=body.all_channels,
        time_zone=body.time_zone,
    )
    return UserOut.of(users.update_user(uow, user_id, changes, actor=actor))


@router.post("/users/{user_id}/password", dependencies=[permit(P.USERS_MANAGE)])
def reset_password(user_id: int, body: PasswordIn, uow: WriteUow, actor: Actor) -> UserOut:
    """Set a new password for a user; ends their sessions and lifts a lock-out."""
    return UserOut.of(users.set_password(uow, user_id, body.password, actor=actor))


@router.post(
    "/users/{user_id}/sign-out",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[permit(P.USERS_MANAGE)],
)
def sign_out_user(user_id: int, uow: WriteUow, actor: Actor) -> Response:
    """End every session of a user."""
    users.sign_out_everywhere(uow, user_id, actor=actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/tokens", dependencies=[permit(P.TOKENS_MANAGE)])
def list_tokens(uow: ReadUow) -> list[TokenOut]:
    return [TokenOut.of(t) for t in tokens.list_tokens(uow)]


@router.post("/tokens", status_code=status.HTTP_201_CREATED, dependencies=[permit(P.TOKENS_MANAGE)])
def issue_token(body: TokenCreate, uow: WriteUow, caller: Caller) -> IssuedTokenOut:
    """A new API token. Its secret is in this answer only; the server keeps a hash."""
    spec = tokens.TokenSpec(**body.model_dump())
    issued = tokens.issue_token(uow, spec, granter=caller)
    return IssuedTokenOut(**TokenOut.of(issued.token).model_dump(), secret=issued.secret)


@router.get("/tokens/{token_id}", dependencies=[permit(P.TOKENS_MANAGE)])
def get_token(token_id: int, uow: ReadUow) -> TokenOut:
    return TokenOut.of(tokens.get_token(uow, token_id))


@router.post("/tokens/{token_id}/revoke", dependencies=[permit(P.TOKENS_MANAGE)])
def revoke_token(token_id: int, uow: WriteUow, actor: Actor) -> TokenOut:
    """The token stops working at once."""
    return TokenOut.of(tokens.revoke_token(uow, token_id, actor=actor))


@router.get("/audit", dependencies=[permit(P.AUDIT_VIEW)])
def list_audit(
    uow: ReadUow,
    actor: Annotated[str | None, Query(max_length=120)] = None,
    action: Annotated[str | None, Query(max_length=200, description="a prefix")] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[AuditOut]:
    """Who did what, when, from where; newest first."""
    page = audit.list_audit(uow, audit.AuditFilter(actor, action, since, until, cursor, limit))
    return Page[AuditOut](items=[AuditOut.of(e) for e in page.items], next_cursor=page.next_cursor)
