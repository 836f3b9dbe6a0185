"""Signing in: password check with per-address rate limiting and per-account lock-out."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from openoms.identity import passwords
from openoms.identity.model import AccountLocked, InvalidCredentials, TooManyAttempts, User
from openoms.identity.orm import login_attempts, users
from openoms.identity.repository import user_from, user_row
from openoms.identity.services import audit
from openoms.identity.services.users import normalize_email
from openoms.infra.db import UnitOfWork
from openoms.infra.settings import get_settings
from openoms.shared import clock
from openoms.shared.errors import OmsError

_u = users.c
_a = login_attempts.c


def sign_in(uow: UnitOfWork, email: str, password: str, *, origin: audit.Origin) -> User:
    """The active user with this email and password.

    After ``login_max_failures`` wrong passwords in a row the account locks for
    ``login_lockout_minutes``; one address may try ``login_attempts_per_ip`` times per
    ``login_window_minutes``. Every attempt is in the audit log.

    Raises: InvalidCredentials, AccountLocked, TooManyAttempts.
    """
    settings = get_settings()
    email = normalize_email(email)
    now = clock.now()
    failure: OmsError | None = None
    with uow:
        since = now - timedelta(minutes=settings.login_window_minutes)
        tried = uow.conn.execute(
            sa.select(sa.func.count())
            .select_from(login_attempts)
            .where(_a.ip == (origin.ip or ""), _a.at >= since)
        ).scalar_one()
        row = user_row(uow.conn, email=email)
        if tried >= settings.login_attempts_per_ip:
            failure = TooManyAttempts(
                "Too many sign-in attempts from this address; try again later.",
                retry_after_seconds=int(settings.login_window_minutes * 60),
            )
        elif row is not None and row["locked_until"] is not None and row["locked_until"] > now:
            failure = AccountLocked(
                "This account is locked after too many wrong passwords; try again later "
                "or ask an administrator to reset the password.",
                retry_after_seconds=int((row["locked_until"] - now).total_seconds()) + 1,
            )
        ok = passwords.verify_password(row["password_hash"] if row else None, password)
        if failure is None and (row is None or not ok or not row["is_active"]):
            failure = InvalidCredentials("The email or the password is wrong.")
            if row is not None and row["is_active"]:
                _count_failure(uow, row["id"], row["failed_logins"] + 1)
        uow.conn.execute(
            login_attempts.insert().values(
                at=now, ip=origin.ip or "", email=email[:254], succeeded=failure is None
            )
        )
        action = "login.succeeded" if failure is None else f"login.{failure.code}"
        audit.record(uow.conn, f"user:{email}", action, target=email, origin=origin)
        if failure is None:
            assert row is not None
            values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
            values["last_login_at"] = now
            if passwords.needs_rehash(row["password_hash"]):
                values["password_hash"] = passwords.hash_password(password)
            uow.conn.execute(users.update().where(_u.id == row["id"]).values(**values))
            user = user_from({**row, **values})  # type: ignore[arg-type]
        uow.commit()
    if failure is not None:
        raise failure
    return user


def _count_failure(uow: UnitOfWork, user_id: int, failures: int) -> None:
    settings = get_settings()
    values: dict[str, object] = {"failed_logins": failures}
    if failures >= settings.login_max_failures:
        values["locked_until"] = clock.now() + timedelta(minutes=settings.login_lockout_minutes)
        values["failed_logins"] = 0
    uow.conn.execute(users.update().where(_u.id == user_id).values(**values))


def purge_attempts(uow: UnitOfWork) -> int:
    """Forget sign-in attempts older than a day (a worker job)."""
    with uow:
        gone = uow.conn.execute(
            login_attempts.delete().where(_a.at < clock.now() - timedelta(days=1))
        ).rowcount
        uow.commit()
    return int(gone or 0)
