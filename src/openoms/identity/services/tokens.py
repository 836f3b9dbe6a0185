"""API tokens for integrations: scoped to permissions, shown once, stored hashed, revocable."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from openoms.identity.model import (
    ApiToken,
    IssuedToken,
    Permission,
    PermissionDenied,
    Principal,
    TokenNotFound,
)
from openoms.identity.orm import api_tokens
from openoms.identity.repository import token_from, token_row
from openoms.identity.services import audit
from openoms.infra.db import UnitOfWork
from openoms.shared import clock
from openoms.shared.errors import FieldError, ValidationFailed
from openoms.shared.scope import Scope

_t = api_tokens.c
PREFIX = "oms_"
TOUCH_EVERY = timedelta(minutes=1)  # last-used time is written at most this often


@dataclass(frozen=True)
class TokenSpec:
    name: str
    permissions: list[Permission]
    locations: list[str] | None = None
    channels: list[str] | None = None
    expires_at: datetime | None = None


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(uow: UnitOfWork, spec: TokenSpec, *, granter: Principal) -> IssuedToken:
    """A new token; its secret is returned once and only its hash is kept. Nobody can grant
    a permission, location or channel they do not have themselves.

    Raises: ValidationFailed, PermissionDenied.
    """
    errors = []
    if not spec.name.strip():
        errors.append(FieldError("name", "must not be empty"))
    if not spec.permissions:
        errors.append(FieldError("permissions", "give the token at least one permission"))
    if errors:
        raise ValidationFailed(errors)
    beyond = sorted(p.value for p in spec.permissions if not granter.can(p))
    if beyond:
        raise PermissionDenied(
            f"You cannot grant permissions you do not have: {', '.join(beyond)}.",
            permissions=beyond,
        )
    locations = _within(granter.scope.locations, spec.locations, "locations")
    channels = _within(granter.scope.channels, spec.channels, "channels")
    prefix = secrets.token_hex(4)
    secret = f"{PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    now = clock.now()
    with uow:
        token_id = uow.conn.execute(
            api_tokens.insert()
            .values(
                name=spec.name.strip(),
                prefix=f"{PREFIX}{prefix}",
                secret_hash=digest(secret),
                permissions=sorted({p.value for p in spec.permissions}),
                locations=locations,
                channels=channels,
                created_by=granter.actor,
                created_at=now,
                expires_at=spec.expires_at,
            )
            .returning(_t.id)
        ).scalar_one()
        audit.record(uow.conn, granter.actor, "token.issued", target=f"token:{token_id}")
        token = _load(uow, token_id)
        uow.commit()
    return IssuedToken(token, secret)


def revoke_token(uow: UnitOfWork, token_id: int, *, actor: str) -> ApiToken:
    """Stop a token from working: at once in this process, and in other server processes
    once their short-lived memory of it runs out (``OMS_TOKEN_CACHE_SECONDS``).

    Raises: TokenNotFound."""
    with uow:
        token = _load(uow, token_id)
        if token.revoked_at is None:
            uow.conn.execute(
                api_tokens.update().where(_t.id == token_id).values(revoked_at=clock.now())
            )
            audit.record(uow.conn, actor, "token.revoked", target=f"token:{token_id}")
        token = _load(uow, token_id)
        uow.commit()
    _known.forget(uow.database_key, token_id)
    return token


def list_tokens(uow: UnitOfWork) -> list[ApiToken]:
    with uow:
        rows = uow.conn.execute(sa.select(api_tokens).order_by(_t.id.desc())).mappings()
        return [token_from(r) for r in rows]


def get_token(uow: UnitOfWork, token_id: int) -> ApiToken:
    """Raises: TokenNotFound."""
    with uow:
        return _load(uow, token_id)


_BY_HASH = sa.select(api_tokens).where(_t.secret_hash == sa.bindparam("digest"))


def principal_for(
    read: UnitOfWork, write: UnitOfWork, secret: str, *, remember_seconds: float = 0.0
) -> Principal | None:
    """The principal of a bearer secret, or None when it is unknown, revoked or expired.

    With ``remember_seconds``, a valid token's principal is kept in memory that long, so
    the requests that follow skip the lookup (see :func:`remembered_principal`)."""
    if not secret.startswith(PREFIX):
        return None
    hashed = digest(secret)
    with read:
        row = read.conn.execute(_BY_HASH, {"digest": hashed}).mappings().first()
    if row is None:
        return None
    token = token_from(row)
    now = clock.now()
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    touched = token.last_used_at
    if touched is None or now - touched >= TOUCH_EVERY:
        with write:
            write.conn.execute(
                api_tokens.update().where(_t.id == token.id).values(last_used_at=now)
            )
            write.commit()
        touched = now
    principal = Principal(
        kind="token",
        id=token.id,
        name=token.name,
        permissions=frozenset(token.permissions),
        scope=Scope.of(token.locations, token.channels),
    )
    if remember_seconds > 0:
        _known.put((read.database_key, hashed), _Known(principal, token.expires_at, touched))
    return principal


def remembered_principal(database_key: int, secret: str, seconds: float) -> Principal | None:
    """The principal :func:`principal_for` found for this secret less than ``seconds`` ago,
    if it is still good without asking the database: not expired since, and its last-used
    time not yet due to be written. None means "look it up" (not "refused")."""
    if seconds <= 0 or not secret.startswith(PREFIX):
        return None
    known = _known.get((database_key, digest(secret)), seconds)
    if known is None:
        return None
    now = clock.now()
    if known.expires_at is not None and known.expires_at <= now:
        return None
    if known.touched_at is None or now - known.touched_at >= TOUCH_EVERY:
        return None
    return known.principal


@dataclass(frozen=True)
class _Known:
    principal: Principal
    expires_at: datetime | None
    touched_at: datetime | None


class _KnownTokens:
    """Valid tokens' principals by (database, secret hash), each for a few seconds. Bounded:
    past ``capacity`` entries it starts again from empty."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._capacity = capacity
        self._entries: dict[tuple[int, str], tuple[float, _Known]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[int, str], seconds: float) -> _Known | None:
        entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry[0] > seconds:
            return None
        return entry[1]

    def put(self, key: tuple[int, str], known: _Known) -> None:
        with self._lock:
            if len(self._entries) >= self._capacity:
                self._entries.clear()
            self._entries[key] = (time.monotonic(), known)

    def forget(self, database_key: int, token_id: int) -> None:
        with self._lock:
            for key in [
                k
                for k, (_at, known) in self._entries.items()
                if k[0] == database_key and known.principal.id == token_id
            ]:
                del self._entries[key]


_known = _KnownTokens()


def _within(limit: frozenset[str] | None, wanted: list[str] | None, field: str) -> list[str] | None:
    if wanted is None:
        if limit is not None:
            return sorted(limit)  # a limited user's token is limited the same way
        return None
    codes = sorted({w.strip() for w in wanted if w.strip()})
    if limit is not None and not set(codes) <= limit:
        raise PermissionDenied(
            f"You cannot grant {field} outside your own: {', '.join(sorted(set(codes) - limit))}."
        )
    return codes


def _load(uow: UnitOfWork, token_id: int) -> ApiToken:
    row = token_row(uow.conn, token_id)
    if row is None:
        raise TokenNotFound(f"No API token {token_id}.", id=token_id)
    return token_from(row)
