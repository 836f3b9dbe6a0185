"""The permission matrix: every route × every role, generated from the app's route table.

A route that declares no permission fails here, so a new route cannot ship unguarded. For
each role a user signs in by cookie (with its CSRF token, as the console does) and calls
every route with placeholder path parameters and an empty body: where the role lacks the
route's permission the answer must be 403, where it has it anything but 401/403 (mostly
404 or 422, since the placeholders name nothing). Without credentials every non-public
route answers 401.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from openoms.identity.model import ROLE_PERMISSIONS, Role
from openoms.web.app import route_table
from openoms.web.auth import Permit
from tests.builders import TEST_PASSWORD, make_user
from tests.e2e.api.client import API, ApiClient
from tests.e2e.api.conftest import RunningServer

SKIP = {("POST", "/auth/logout")}  # would end the session the matrix runs in
POLICY = Path(__file__).with_name("route_permissions.txt")


def routes(server: RunningServer) -> list[tuple[str, str, Permit | None]]:
    """(method, path, declaration) of every route of the app; checked against the OpenAPI
    document so that no route escapes the table."""
    table = [(r.method, r.path, r.permit) for r in route_table()]
    documented = {
        (method.upper(), path)
        for path, operations in server.app.openapi()["paths"].items()
        for method in operations
    }
    assert documented <= {(m, p) for m, p, _ in table}, "routes missing from the route table"
    return table


def concrete(path: str) -> str:
    """The path with every parameter filled by a placeholder that names nothing."""
    return re.sub(r"\{[^}]+\}", "0", path).removeprefix(API)


def test_every_route_declares_who_may_call_it(server: RunningServer) -> None:
    undeclared = [f"{m} {p}" for m, p, declared in routes(server) if declared is None]

    assert undeclared == [], "routes without permit(...), signed_in() or public()"


def test_the_declarations_match_the_reviewed_policy(server: RunningServer) -> None:
    """``route_permissions.txt`` is the policy as people reviewed it; a route added or a
    permission changed in code must be changed there too, in the same commit."""
    declared = {
        f"{method} {path}": _need(permit) for method, path, permit in routes(server) if permit
    }
    reviewed = dict(
        line.rsplit(" ", 1)
        for line in POLICY.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )

    assert declared == reviewed


def _need(declared: Permit) -> str:
    if declared.is_public:
        return "public"
    return declared.permission.value if declared.permission else "signed-in"


@pytest.fixture(scope="module")
def signed_in(server: RunningServer, api: ApiClient) -> Iterator[dict[Role, ApiClient]]:
    clients = {}
    for role in Role:
        user = make_user(server.db, role)
        client = api.other()
        client.sign_in(user.email, TEST_PASSWORD)
        clients[role] = client
    yield clients
    for client in clients.values():
        client.close()


@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_exactly_the_routes_its_permissions_allow(
    server: RunningServer, signed_in: dict[Role, ApiClient], role: Role
) -> None:
    client = signed_in[role]
    wrong = []
    for method, path, declared in routes(server):
        if not path.startswith(API) or (method, path.removeprefix(API)) in SKIP:
            continue
        assert declared is not None
        status = client.http.request(method, concrete(path), json={}).status_code
        if declared.permission is not None and declared.permission not in ROLE_PERMISSIONS[role]:
            allowed = False
        else:
            allowed = True
        if allowed and status in (401, 403):
            wrong.append(f"{method} {path}: {status}, but {role} may")
        if not allowed and status != 403:
            wrong.append(f"{method} {path}: {status}, but {role} may not")

    assert wrong == []


def test_without_credentials_only_the_public_routes_answer(
    server: RunningServer, api: ApiClient
) -> None:
    anonymous = api.other()
    wrong = []
    for method, path, declared in routes(server):
        if not path.startswith(API) or (method, path.removeprefix(API)) in SKIP:
            continue
        assert declared is not None
        status = anonymous.http.request(method, concrete(path), json={}).status_code
        if declared.is_public and status == 401:
            wrong.append(f"{method} {path}: 401, but it is public")
        if not declared.is_public and status != 401:
            wrong.append(f"{method} {path}: {status}, not 401")
    anonymous.close()

    assert wrong == []
