"""A server process remembers an API token it has checked for a few seconds
(``OMS_TOKEN_CACHE_SECONDS``), so the requests that follow need no lookup: what it may
remember, and when it must ask the database again."""

from __future__ import annotations

import time
from datetime import timedelta

import sqlalchemy as sa

from openoms.identity.model import Permission, Principal
from openoms.identity.orm import api_tokens
from openoms.identity.services import tokens
from openoms.infra.db import Database
from openoms.shared import clock
from tests.builders import make_token, random_code
from tests.sql_events import recorded

SECONDS = 5.0


def _check(db: Database, secret: str, seconds: float = SECONDS) -> Principal | None:
    return tokens.principal_for(db.reader(), db.aside(), secret, remember_seconds=seconds)


def test_a_checked_token_is_remembered_and_then_costs_no_query(db: Database) -> None:
    # given
    secret = make_token(db, frozenset({Permission.ORDERS_VIEW}))
    checked = _check(db, secret)
    assert checked is not None
    # when
    found: list[Principal | None] = []
    with recorded(db.engine) as sent:
        found.append(tokens.remembered_principal(db.database_key, secret, SECONDS))
    # then
    assert len(sent.statements) == 0
    assert found == [checked]
    assert found[0] is not None
    assert found[0].can(Permission.ORDERS_VIEW)


def test_nothing_is_remembered_when_the_setting_is_zero(db: Database) -> None:
    secret = make_token(db)
    assert _check(db, secret, seconds=0) is not None
    assert tokens.remembered_principal(db.database_key, secret, SECONDS) is None
    assert tokens.remembered_principal(db.database_key, secret, 0) is None


def test_an_unknown_or_malformed_secret_is_never_remembered(db: Database) -> None:
    unknown = f"oms_{random_code('x')}"
    assert _check(db, unknown) is None
    assert tokens.remembered_principal(db.database_key, unknown, SECONDS) is None
    assert tokens.remembered_principal(db.database_key, "not-a-token", SECONDS) is None


def test_revoking_a_token_forgets_it_at_once_in_this_process(db: Database) -> None:
    # given
    secret = make_token(db)
    principal = _check(db, secret)
    assert principal is not None
    # when
    tokens.revoke_token(db.uow(), principal.id, actor="test")
    # then
    assert tokens.remembered_principal(db.database_key, secret, SECONDS) is None
    assert _check(db, secret) is None


def test_a_token_revoked_elsewhere_stops_once_the_memory_runs_out(db: Database) -> None:
    """Another server process (or the CLI) revoked it: this process knows it only when it
    looks again, after at most the configured seconds."""
    # given
    secret = make_token(db)
    principal = _check(db, secret, seconds=0.2)
    assert principal is not None
    with db.uow() as uow:
        uow.conn.execute(
            api_tokens.update()
            .where(api_tokens.c.id == principal.id)
            .values(revoked_at=clock.now())
        )
        uow.commit()
    # then: still remembered for now, and forgotten after the window
    assert tokens.remembered_principal(db.database_key, secret, 0.2) == principal
    time.sleep(0.3)
    assert tokens.remembered_principal(db.database_key, secret, 0.2) is None
    assert _check(db, secret, seconds=0.2) is None


def test_a_remembered_token_that_expires_meanwhile_is_looked_up_again(db: Database) -> None:
    # given: a token that expires in an hour, checked now
    granter = Principal(kind="user", id=0, name="test", permissions=frozenset(Permission))
    spec = tokens.TokenSpec(
        random_code("t"), [Permission.ORDERS_VIEW], expires_at=clock.now() + timedelta(hours=1)
    )
    secret = tokens.issue_token(db.uow(), spec, granter=granter).secret
    assert _check(db, secret) is not None
    # when: an hour and a second later (the memory has not run out on the monotonic clock)
    with clock.frozen(clock.now() + timedelta(hours=1, seconds=1)):
        # then
        assert tokens.remembered_principal(db.database_key, secret, SECONDS) is None
        assert _check(db, secret) is None


def test_the_last_used_time_is_still_written_while_the_token_is_remembered(db: Database) -> None:
    # given
    secret = make_token(db)
    principal = _check(db, secret)
    assert principal is not None
    later = clock.now() + tokens.TOUCH_EVERY + timedelta(seconds=1)
    # when: the last-used time is due again
    with clock.frozen(later):
        remembered = tokens.remembered_principal(db.database_key, secret, SECONDS)
        looked_up = _check(db, secret)
    # then: the memory sends the request to the database, which writes it
    assert remembered is None
    assert looked_up == principal
    with db.reader() as uow:
        used = uow.conn.execute(
            sa.select(api_tokens.c.last_used_at).where(api_tokens.c.id == principal.id)
        ).scalar_one()
    assert clock.as_utc(used) == later
