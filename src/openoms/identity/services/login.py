"""Signing in: password check with per-address rate limiting and per-account lock-out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from openoms.identity import passwords
from openoms.identity.model import AccountLocked, InvalidCredentials, TooManyAttempts, User
from openoms.identity.orm import login_attempts, users
from openoms.identity.repository import user_from, user_row
from openoms.identity.services import audit
from openoms.identity.services.users import normalize_email
from openoms.infra.db import UnitOfWork
from openoms.infra.settings import Settings, get_settings
from openoms.shared import clock
from openoms.shared.errors import OmsError

_u = users.c
_a = login_attempts.c


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5  # wrong passwords in a row, then the account locks
    lockout_minutes: float = 15.0
    attempts_per_ip: int = 20  # per window, from one address
    window_minutes: float = 15.0

    @classmethod
    def of(cls, settings: Settings) -> LoginPolicy:
        return cls(
            settings.login_max_failures,
            settings.login_lockout_minutes,
            settings.login_attempts_per_ip,
            settings.login_window_minutes,
        )


def sign_in(
    uow: UnitOfWork,
    email: str,
    password: str,
    *,
    origin: audit.Origin,
    policy: LoginPolicy | None = None,
) -> User:
    """The active user with this email and password.

    After ``max_failures`` wrong passwords in a row the account locks for
    ``lockout_minutes``; one address may try ``attempts_per_ip`` times per
    ``window_minutes``. Every attempt is in the audit log.

    Raises: InvalidCredentials, AccountLocked, TooManyAttempts.
    """
    limits = policy or LoginPolicy.of(get_settings())
    email = normalize_email(email)
    now = clock.now()
    failure: OmsError | None = None
    with uow:
        since = now - timedelta(minutes=limits.window_minutes)
        tried = uow.conn.execute(
            sa.select(sa.func.count())
            .select_from(login_attempts)
            .where(_a.ip == (origin.ip or ""), _a.at >= since)
        ).scalar_one()
        row = user_row(uow.conn, email=email)
        if tried >= limits.attempts_per_ip:
            failure = TooManyAttempts(
                "Too many sign-in attempts from this address; try again later.",
                retry_after_seconds=int(limits.window_minutes * 60),
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
                _count_failure(uow, row["id"], row["failed_logins"] + 1, limits)
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


def _count_failure(uow: UnitOfWork, user_id: int, failures: int, policy: LoginPolicy) -> None:
    values: dict[str, object] = {"failed_logins": failures}
    if failures >= policy.max_failures:
        values["locked_until"] = clock.now() + timedelta(minutes=policy.lockout_minutes)
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
