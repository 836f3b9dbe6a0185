"""Staff users: create, change, deactivate, passwords."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from openoms.customers.model import check_email
from openoms.identity import passwords
from openoms.identity.model import EmailTaken, LastAdmin, Principal, Role, User, UserNotFound
from openoms.identity.orm import users
from openoms.identity.repository import user_from, user_row
from openoms.identity.services import audit
from openoms.infra.db import UnitOfWork
from openoms.infra.settings import get_settings
from openoms.shared import clock
from openoms.shared.errors import FieldError, ValidationFailed

_u = users.c


@dataclass(frozen=True)
class UserSpec:
    email: str
    name: str
    role: Role
    password: str
    locations: list[str] | None = None
    channels: list[str] | None = None
    time_zone: str = "UTC"


@dataclass(frozen=True)
class UserChanges:
    """Only the fields given change; ``clear_locations`` / ``clear_channels`` lift a limit."""

    name: str | None = None
    role: Role | None = None
    is_active: bool | None = None
    locations: list[str] | None = None
    channels: list[str] | None = None
    clear_locations: bool = False
    clear_channels: bool = False
    time_zone: str | None = None


def normalize_email(email: str) -> str:
    return email.strip().lower()


def create_user(uow: UnitOfWork, spec: UserSpec, *, actor: str) -> User:
    """Add a staff user with a role and, optionally, the locations and channels they work for.

    Raises: ValidationFailed, EmailTaken.
    """
    email = normalize_email(spec.email)
    errors = check_email(email, "email") + _common_errors(spec.name, spec.time_zone)
    errors += passwords.password_errors(
        spec.password, email=email, min_length=get_settings().password_min_length, field="password"
    )
    if errors:
        raise ValidationFailed(errors)
    digest = passwords.hash_password(spec.password)
    now = clock.now()
    with uow:
        if user_row(uow.conn, email=email) is not None:
            raise EmailTaken(f"A user with email {email} exists.", email=email)
        user_id = uow.conn.execute(
            users.insert()
            .values(
                email=email,
                name=spec.name.strip(),
                role=spec.role.value,
                password_hash=digest,
                is_active=True,
                locations=_codes(spec.locations),
                channels=_codes(spec.channels),
                time_zone=spec.time_zone,
                preferences={},
                failed_logins=0,
                session_version=1,
                password_changed_at=now,
                created_at=now,
                updated_at=now,
            )
            .returning(_u.id)
        ).scalar_one()
        audit.record(uow.conn, actor, "user.created", target=email, data={"role": spec.role.value})
        found = _load(uow, user_id)
        uow.commit()
    return found


def update_user(uow: UnitOfWork, user_id: int, changes: UserChanges, *, actor: str) -> User:
    """Change a user's name, role, limits, time zone, or (de)activate them.

    Raises: UserNotFound, ValidationFailed, LastAdmin.
    """
    errors = _common_errors(changes.name, changes.time_zone)
    if errors:
        raise ValidationFailed(errors)
    values: dict[str, object] = {}
    for name in ("role", "is_active", "time_zone"):
        value = getattr(changes, name)
        if value is not None:
            values[name] = value.value if isinstance(value, Role) else value
    if changes.name is not None:
        values["name"] = changes.name.strip()
    if changes.locations is not None or changes.clear_locations:
        values["locations"] = None if changes.clear_locations else _codes(changes.locations)
    if changes.channels is not None or changes.clear_channels:
        values["channels"] = None if changes.clear_channels else _codes(changes.channels)
    with uow:
        before = _load(uow, user_id)
        if values.get("is_active") is False or values.get("role", Role.ADMIN) != Role.ADMIN:
            _keep_an_admin(uow, before)
        if values:
            if values.get("is_active") is False:
                values["session_version"] = _u.session_version + 1  # signs them out
            uow.conn.execute(
                users.update().where(_u.id == user_id).values(**values, updated_at=clock.now())
            )
            changed = {k: v for k, v in values.items() if k != "session_version"}
            audit.record(uow.conn, actor, "user.updated", target=before.email, data=changed)
        found = _load(uow, user_id)
        uow.commit()
    return found


def set_password(uow: UnitOfWork, user_id: int, password: str, *, actor: str) -> User:
    """Give a user a new password (an administrator's reset); signs them out everywhere and
    lifts a lock-out. Raises: UserNotFound, ValidationFailed."""
    with uow:
        user = _load(uow, user_id)
        _write_password(uow, user, password, "password")
        audit.record(uow.conn, actor, "user.password_reset", target=user.email)
        found = _load(uow, user_id)
        uow.commit()
    return found


def change_password(
    uow: UnitOfWork, user_id: int, current: str, new: str, *, origin: audit.Origin
) -> User:
    """A user changes their own password: the current one must be right. Other sessions of
    the user end. Raises: UserNotFound, InvalidCredentials, ValidationFailed."""
    with uow:
        user = _load(uow, user_id)
        row = user_row(uow.conn, id=user_id)
        assert row is not None
        if not passwords.verify_password(row["password_hash"], current):
            raise ValidationFailed.single("current_password", "this is not your current password")
        _write_password(uow, user, new, "new_password")
        audit.record(
            uow.conn,
            f"user:{user.email}",
            "user.password_changed",
            target=user.email,
            origin=origin,
        )
        found = _load(uow, user_id)
        uow.commit()
    return found


def sign_out_everywhere(uow: UnitOfWork, user_id: int, *, actor: str) -> None:
    """End every session of the user. Raises: UserNotFound."""
    with uow:
        user = _load(uow, user_id)
        uow.conn.execute(
            users.update().where(_u.id == user_id).values(session_version=_u.session_version + 1)
        )
        audit.record(uow.conn, actor, "user.signed_out_everywhere", target=user.email)
        uow.commit()


def get_user(uow: UnitOfWork, user_id: int) -> User:
    """Raises: UserNotFound."""
    with uow:
        return _load(uow, user_id)


def list_users(uow: UnitOfWork, *, include_inactive: bool = True) -> list[User]:
    query = sa.select(users).order_by(_u.email)
    if not include_inactive:
        query = query.where(_u.is_active.is_(True))
    with uow:
        return [user_from(r) for r in uow.conn.execute(query).mappings()]


def has_users(uow: UnitOfWork) -> bool:
    with uow:
        return uow.conn.execute(sa.select(sa.func.count()).select_from(users)).scalar_one() > 0


def _write_password(uow: UnitOfWork, user: User, password: str, field: str) -> None:
    errors = passwords.password_errors(
        password, email=user.email, min_length=get_settings().password_min_length, field=field
    )
    if errors:
        raise ValidationFailed(errors)
    now = clock.now()
    uow.conn.execute(
        users.update()
        .where(_u.id == user.id)
        .values(
            password_hash=passwords.hash_password(password),
            password_changed_at=now,
            updated_at=now,
            failed_logins=0,
            locked_until=None,
            session_version=_u.session_version + 1,
        )
    )


def _keep_an_admin(uow: UnitOfWork, user: User) -> None:
    if user.role is not Role.ADMIN or not user.is_active:
        return
    others = uow.conn.execute(
        sa.select(sa.func.count())
        .select_from(users)
        .where(_u.role == Role.ADMIN.value, _u.is_active.is_(True), _u.id != user.id)
    ).scalar_one()
    if not others:
        raise LastAdmin(
            f"{user.email} is the last active administrator; make someone else one first."
        )


def _load(uow: UnitOfWork, user_id: int) -> User:
    row = user_row(uow.conn, id=user_id)
    if row is None:
        raise UserNotFound(f"No user {user_id}.", id=user_id)
    return user_from(row)


def _codes(values: list[str] | None) -> list[str] | None:
    return None if values is None else sorted({v.strip() for v in values if v.strip()})


def _common_errors(name: str | None, time_zone: str | None) -> list[FieldError]:
    errors = []
    if name is not None and not name.strip():
        errors.append(FieldError("name", "must not be empty"))
    if time_zone is not None:
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            errors.append(FieldError("time_zone", f"unknown time zone {time_zone!r}"))
    return errors


_BY_ID = sa.select(users).where(_u.id == sa.bindparam("user_id"))


def session_principal(uow: UnitOfWork, user_id: int, version: int, csrf: str) -> Principal | None:
    """The principal of a session cookie's claims, or None when the user is gone, inactive,
    or has signed out everywhere (changed password) since the cookie was issued."""
    with uow:
        row = uow.conn.execute(_BY_ID, {"user_id": user_id}).mappings().first()
    if row is None or not row["is_active"] or row["session_version"] != version:
        return None
    return principal_of(user_from(row), csrf)


def principal_of(user: User, csrf: str = "") -> Principal:
    return Principal(
        kind="user",
        id=user.id,
        name=user.email,
        permissions=user.permissions,
        scope=user.scope,
        time_zone=user.time_zone,
        role=user.role,
        csrf=csrf,
    )


def set_preference(uow: UnitOfWork, user_id: int, key: str, value: object) -> None:
    """Keep one of the user's console preferences (saved views, …). Raises: UserNotFound."""
    with uow:
        user = _load(uow, user_id)
        preferences = {**user.preferences, key: value}
        uow.conn.execute(users.update().where(_u.id == user_id).values(preferences=preferences))
        uow.commit()
