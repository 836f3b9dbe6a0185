"""Signing in: lock-out per account, rate limit per address, the attempts it remembers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from openoms.identity.model import AccountLocked, InvalidCredentials, Role, TooManyAttempts
from openoms.identity.orm import login_attempts, users
from openoms.identity.services import login
from openoms.identity.services.audit import Origin
from openoms.identity.services.users import UserChanges, update_user
from openoms.infra.db import Database
from openoms.shared import clock
from tests.builders import TEST_PASSWORD, make_user, random_code

POLICY = login.LoginPolicy(max_failures=3, lockout_minutes=10, attempts_per_ip=5, window_minutes=15)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _try(db: Database, email: str, password: str, origin: Origin) -> None:
    login.sign_in(db.uow(), email, password, origin=origin, policy=POLICY)


def test_the_account_locks_after_repeated_failures_and_opens_again_later(db: Database) -> None:
    # given
    user = make_user(db, Role.SALES)
    origin = Origin(random_code("ip"), "pytest")
    # when
    with clock.frozen(T0):
        for _ in range(3):
            with pytest.raises(InvalidCredentials):
                _try(db, user.email, "wrong password!", origin)
        # then: locked, even with the right password
        with pytest.raises(AccountLocked) as locked:
            _try(db, user.email, TEST_PASSWORD, origin)
    assert locked.value.data["retry_after_seconds"] == 601
    with clock.frozen(T0 + timedelta(minutes=11)):
        _try(db, user.email, TEST_PASSWORD, Origin(random_code("ip")))


def test_a_success_resets_the_count_of_failures(db: Database) -> None:
    user = make_user(db, Role.SALES)
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            _try(db, user.email, "wrong password!", Origin(random_code("ip")))
    _try(db, user.email, TEST_PASSWORD, Origin(random_code("ip")))
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            _try(db, user.email, "wrong password!", Origin(random_code("ip")))

    _try(db, user.email, TEST_PASSWORD, Origin(random_code("ip")))  # the count started again


def test_one_address_is_limited_whatever_the_emails_it_tries(db: Database) -> None:
    origin = Origin(random_code("ip"))
    with clock.frozen(T0):
        for i in range(5):
            with pytest.raises(InvalidCredentials):
                _try(db, f"guess{i}@example.com", "a password guess", origin)
        with pytest.raises(TooManyAttempts):
            _try(db, "guess9@example.com", "a password guess", origin)
    user = make_user(db, Role.SALES)
    with clock.frozen(T0 + timedelta(minutes=16)):  # the window has passed
        _try(db, user.email, TEST_PASSWORD, origin)


def test_an_inactive_user_cannot_sign_in(db: Database) -> None:
    user = make_user(db, Role.SALES)
    make_user(db, Role.ADMIN)  # so that deactivating is allowed
    update_user(db.uow(), user.id, UserChanges(is_active=False), actor="test")

    with pytest.raises(InvalidCredentials):
        _try(db, user.email, TEST_PASSWORD, Origin(random_code("ip")))


def test_old_attempts_are_purged(db: Database) -> None:
    origin = Origin(random_code("ip"))
    with clock.frozen(T0 - timedelta(days=2)), pytest.raises(InvalidCredentials):
        _try(db, "old@example.com", "a password guess", origin)

    assert login.purge_attempts(db.uow()) >= 1
    with db.reader() as uow:
        left = uow.conn.execute(
            sa.select(sa.func.count())
            .select_from(login_attempts)
            .where(login_attempts.c.ip == origin.ip)
        ).scalar_one()
    assert left == 0


def test_passwords_are_stored_as_argon2id_hashes(db: Database) -> None:
    user = make_user(db, Role.SALES)

    with db.reader() as uow:
        stored = uow.conn.execute(
            sa.select(users.c.password_hash).where(users.c.id == user.id)
        ).scalar_one()
    assert stored.startswith("$argon2id$")
    assert TEST_PASSWORD not in stored
