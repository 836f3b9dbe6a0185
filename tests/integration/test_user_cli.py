"""``oms user create | list | set-password``: the first administrator, and the rest."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from openoms.entrypoints.cli import app
from openoms.identity.services import login
from openoms.identity.services.audit import Origin
from openoms.infra.db import Database
from openoms.infra.settings import get_settings
from tests.builders import random_code


@pytest.fixture
def cli(
    sqlite_url: str, sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliRunner]:
    monkeypatch.setenv("OMS_DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_the_first_admin_is_created_with_a_prompted_password_and_can_sign_in(
    cli: CliRunner, sqlite_db: Database
) -> None:
    # given
    email = f"{random_code('boss').lower()}@example.com"
    # when
    result = cli.invoke(
        app,
        ["user", "create", "--email", email, "--name", "The Boss"],
        input="a long secret phrase\na long secret phrase\n",
    )
    # then
    assert result.exit_code == 0, result.output
    assert f"user {email} created (admin)" in result.output
    user = login.sign_in(sqlite_db.uow(), email, "a long secret phrase", origin=Origin("cli"))
    assert user.role.value == "admin"
    assert email in cli.invoke(app, ["user", "list"]).output


def test_bad_input_is_refused_with_the_reason_and_exit_code(cli: CliRunner) -> None:
    email = f"{random_code('x').lower()}@example.com"
    weak = cli.invoke(
        app,
        ["user", "create", "--email", email, "--name", "X", "--password", "short"],
    )
    role = cli.invoke(
        app,
        [
            "user",
            "create",
            "--email",
            email,
            "--name",
            "X",
            "--role",
            "king",
            "--password",
            "x" * 12,
        ],
    )

    assert weak.exit_code == 1
    assert "use at least 10 characters" in weak.output
    assert role.exit_code == 2
    assert "unknown role 'king'" in role.output


def test_set_password_lets_the_user_in_with_the_new_one(
    cli: CliRunner, sqlite_db: Database
) -> None:
    email = f"{random_code('x').lower()}@example.com"
    cli.invoke(
        app,
        [
            "user",
            "create",
            "--email",
            email,
            "--name",
            "X",
            "--role",
            "sales",
            "--password",
            "first password 1",
        ],
    )

    result = cli.invoke(app, ["user", "set-password", email, "--password", "second password 2"])
    missing = cli.invoke(
        app, ["user", "set-password", "nobody@example.com", "--password", "x" * 12]
    )

    assert result.exit_code == 0, result.output
    assert login.sign_in(sqlite_db.uow(), email, "second password 2", origin=Origin("cli"))
    assert missing.exit_code == 1
