"""The permission matrix: every route × every role, generated from the app's route table.

A route that declares no permission fails here, so a new route cannot ship unguarded; the
declarations must match the reviewed policy in ``route_permissions.txt``. For each role a
user signs in by cookie (with its CSRF token, as the console does) and calls every route —
API and console pages — with placeholder path parameters and an empty body: where the role
lacks the route's permission the answer must be 403, where it has it anything but 401/403
(mostly 404 or 422, since the placeholders name nothing). Without credentials every
non-public API route answers 401 and every console page sends the visitor to sign in.
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

# They would end the session the matrix runs in.
SKIP = {("POST", "/api/v1/auth/logout"), ("POST", "/console/logout")}
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
    return re.sub(r"\{[^}]+\}", "0", path)


def call(client: ApiClient, method: str, path: str, csrf: str) -> int:
    """One request as a browser or integration would send it: JSON to the API, a form with
    the CSRF token to console pages. Redirects are not followed."""
    url = client.base_url + concrete(path)
    if path.startswith(API) or method == "GET":
        return client.http.request(method, url, json={} if method != "GET" else None).status_code
    return client.http.request(method, url, data={"csrf_token": csrf}).status_code


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
def signed_in(server: RunningServer, api: ApiClient) -> Iterator[dict[Role, tuple[ApiClient, str]]]:
    clients = {}
    for role in Role:
        user = make_user(server.db, role)
        client = api.other()
        csrf = client.sign_in(user.email, TEST_PASSWORD)
        clients[role] = (client, csrf)
    yield clients
    for client, _ in clients.values():
        client.close()


@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_exactly_the_routes_its_permissions_allow(
    server: RunningServer, signed_in: dict[Role, tuple[ApiClient, str]], role: Role
) -> None:
    client, csrf = signed_in[role]
    wrong = []
    for method, path, declared in routes(server):
        if (method, path) in SKIP or declared is None or declared.is_public:
            continue
        status = call(client, method, path, csrf)
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
        if (method, path) in SKIP:
            continue
        assert declared is not None
        response = anonymous.http.request(
            method, anonymous.base_url + concrete(path), json={} if method != "GET" else None
        )
        status, location = response.status_code, response.headers.get("location", "")
        page = path.startswith("/console")
        if declared.is_public and (status == 403 or location.startswith("/console/login")):
            wrong.append(f"{method} {path}: {status}, but it is public")
        if not declared.is_public and not page and status != 401:
            wrong.append(f"{method} {path}: {status}, not 401")
        if not declared.is_public and page and not location.startswith("/console/login"):
            wrong.append(f"{method} {path}: {status}, not sent to sign in")
    anonymous.close()

    assert wrong == []
