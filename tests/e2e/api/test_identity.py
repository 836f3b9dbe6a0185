"""Sign-in, sessions, users, API tokens and the audit log, over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from openoms.identity.model import Permission, Role
from tests.builders import TEST_PASSWORD, make_token, make_user, random_code
from tests.e2e.api.client import ApiClient, field_errors
from tests.e2e.api.conftest import RunningServer

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def browser(api: ApiClient) -> Iterator[ApiClient]:
    """A caller without a token, as a browser is: it signs in by cookie."""
    client = api.other()
    yield client
    client.close()


def user_body(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "email": f"{random_code('new').lower()}@example.com",
        "name": "New Colleague",
        "role": "sales",
        "password": TEST_PASSWORD,
        "time_zone": "Europe/Amsterdam",
    }
    body.update(overrides)
    return body


@pytest.mark.covers("POST /auth/login", "GET /me")
def test_a_user_signs_in_by_cookie_and_sees_who_they_are(
    server: RunningServer, browser: ApiClient
) -> None:
    # given
    user = make_user(server.db, Role.WAREHOUSE, locations=["WH-1"])
    # when
    response = browser.post("/auth/login", {"email": user.email.upper(), "password": TEST_PASSWORD})
    # then
    assert response.status_code == 200
    assert "oms_session" in response.cookies
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert response.json()["csrf_token"]
    me = browser.get("/me").json()
    assert me["kind"] == "user"
    assert me["name"] == user.email
    assert me["locations"] == ["WH-1"]
    assert "inventory.adjust" in me["permissions"]
    assert "users.manage" not in me["permissions"]


@pytest.mark.covers("POST /auth/login")
def test_sign_in_refuses_a_wrong_password_and_bad_input(
    server: RunningServer, browser: ApiClient
) -> None:
    user = make_user(server.db, Role.SALES)

    wrong = browser.post("/auth/login", {"email": user.email, "password": "not it at all"})
    unknown = browser.post("/auth/login", {"email": "nobody@example.com", "password": "x" * 12})
    invalid = browser.post("/auth/login", {"email": user.email})

    assert wrong.status_code == 401
    assert wrong.json()["code"] == "invalid_credentials"
    assert unknown.status_code == 401
    assert unknown.json()["detail"] == wrong.json()["detail"]  # no hint which one was wrong
    assert invalid.status_code == 422
    assert field_errors(invalid) == {"password": "Field required"}


def test_an_account_locks_after_five_wrong_passwords_and_a_reset_unlocks_it(
    server: RunningServer, api: ApiClient, browser: ApiClient
) -> None:
    # given
    user = make_user(server.db, Role.SALES)
    # when
    answers = [
        browser.post("/auth/login", {"email": user.email, "password": f"wrong guess {i}"})
        for i in range(6)
    ]
    right = browser.post("/auth/login", {"email": user.email, "password": TEST_PASSWORD})
    # then
    assert [a.status_code for a in answers] == [401] * 5 + [429]
    assert right.status_code == 429
    assert right.json()["code"] == "account_locked"
    assert api.get(f"/users/{user.id}").json()["locked_until"] is not None
    # when an administrator sets a new password
    reset = api.post(f"/users/{user.id}/password", {"password": NEW_PASSWORD})
    # then
    assert reset.status_code == 200
    assert reset.json()["locked_until"] is None
    again = browser.post("/auth/login", {"email": user.email, "password": NEW_PASSWORD})
    assert again.status_code == 200


@pytest.mark.covers("POST /auth/logout")
def test_signing_out_clears_the_session(server: RunningServer, browser: ApiClient) -> None:
    user = make_user(server.db, Role.READ_ONLY)
    browser.sign_in(user.email, TEST_PASSWORD)
    assert browser.get("/me").status_code == 200

    response = browser.post("/auth/logout")

    assert response.status_code == 204
    assert browser.get("/me").status_code == 401


def test_a_change_by_cookie_needs_the_csrf_token(server: RunningServer, browser: ApiClient) -> None:
    # given
    user = make_user(server.db, Role.ADMIN)
    csrf = browser.sign_in(user.email, TEST_PASSWORD)
    body = {"code": random_code("C"), "name": "Forged"}
    # when
    del browser.http.headers["X-CSRF-Token"]
    missing = browser.post("/categories", body)
    wrong = browser.post("/categories", body, headers={"X-CSRF-Token": "forged"})
    right = browser.post("/categories", body, headers={"X-CSRF-Token": csrf})
    # then
    assert (missing.status_code, wrong.status_code, right.status_code) == (403, 403, 201)
    assert missing.json()["reason"] == "csrf"
    assert browser.get("/categories").status_code == 200  # reading needs no token


@pytest.mark.covers("POST /me/password")
def test_changing_your_password_ends_your_other_sessions(
    server: RunningServer, api: ApiClient
) -> None:
    # given two browsers signed in as the same user
    user = make_user(server.db, Role.SALES)
    first, second = api.other(), api.other()
    first.sign_in(user.email, TEST_PASSWORD)
    second.sign_in(user.email, TEST_PASSWORD)
    # when
    wrong = first.post(
        "/me/password", {"current_password": "not mine at all", "new_password": NEW_PASSWORD}
    )
    weak = first.post("/me/password", {"current_password": TEST_PASSWORD, "new_password": "short"})
    changed = first.post(
        "/me/password", {"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD}
    )
    # then
    assert field_errors(wrong) == {"current_password": "this is not your current password"}
    assert field_errors(weak) == {"new_password": "use at least 10 characters"}
    assert changed.status_code == 200
    first.http.headers["X-CSRF-Token"] = changed.json()["csrf_token"]
    assert first.get("/me").status_code == 200  # this session goes on
    assert second.get("/me").status_code == 401  # the other one ended
    first.close()
    second.close()


def test_an_api_token_has_no_password_to_change(api: ApiClient) -> None:
    response = api.post("/me/password", {"current_password": "x" * 10, "new_password": "y" * 12})

    assert response.status_code == 401


@pytest.mark.covers("GET /roles")
def test_the_roles_and_their_permissions_are_listed(api: ApiClient) -> None:
    roles = {r["role"]: r for r in api.get("/roles").json()}

    assert set(roles) == {r.value for r in Role}
    assert len(roles["admin"]["permissions"]) == len(Permission)
    assert "orders.create" in roles["sales"]["permissions"]
    assert "orders.create" not in roles["read_only"]["permissions"]


@pytest.mark.covers("POST /users", "GET /users", "GET /users/{user_id}")
def test_an_admin_adds_a_user_who_can_then_sign_in(api: ApiClient, browser: ApiClient) -> None:
    # given
    body = user_body(locations=["STORE-1"], channels=["POS-1"])
    # when
    created = api.post("/users", body)
    # then
    assert created.status_code == 201
    user = created.json()
    assert user["role"] == "sales"
    assert user["role_title"] == "Sales / customer service"
    assert (user["locations"], user["channels"]) == (["STORE-1"], ["POS-1"])
    assert "password" not in user
    assert "password_hash" not in user
    assert any(u["email"] == body["email"] for u in api.get("/users").json())
    assert api.get(f"/users/{user['id']}").json() == user
    assert browser.post(
        "/auth/login", {"email": body["email"], "password": TEST_PASSWORD}
    ).is_success


@pytest.mark.covers("POST /users", "GET /users/{user_id}")
def test_bad_users_are_refused_with_every_reason(api: ApiClient) -> None:
    taken = api.post("/users", user_body()).json()["email"]

    invalid = api.post(
        "/users",
        user_body(email="not-an-email", name=" ", password="short", time_zone="Mars/Base"),
    )
    duplicate = api.post("/users", user_body(email=taken))
    bad_role = api.post("/users", user_body(role="overlord"))
    unknown = api.get("/users/999999")
    not_a_number = api.get("/users/abc")

    assert field_errors(invalid) == {
        "email": "'not-an-email' is not an email address",
        "name": "must not be empty",
        "time_zone": "unknown time zone 'Mars/Base'",
        "password": "use at least 10 characters",
    }
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "email_taken"
    assert bad_role.status_code == 422
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "user_not_found"
    assert not_a_number.status_code == 422


@pytest.mark.covers("PATCH /users/{user_id}")
def test_an_admin_changes_a_role_limits_and_deactivates_a_user(
    server: RunningServer, api: ApiClient, browser: ApiClient
) -> None:
    # given
    user = make_user(server.db, Role.SALES, locations=["STORE-1"])
    browser.sign_in(user.email, TEST_PASSWORD)
    # when
    promoted = api.patch(f"/users/{user.id}", {"role": "manager", "all_locations": True})
    # then
    assert promoted.status_code == 200
    assert (promoted.json()["role"], promoted.json()["locations"]) == ("manager", None)
    assert "audit.view" in browser.get("/me").json()["permissions"]
    # when
    deactivated = api.patch(f"/users/{user.id}", {"is_active": False})
    # then
    assert deactivated.json()["is_active"] is False
    assert browser.get("/me").status_code == 401
    assert (
        browser.post("/auth/login", {"email": user.email, "password": TEST_PASSWORD}).status_code
        == 401
    )
    assert api.patch(f"/users/{user.id}", {"time_zone": "Nowhere/Land"}).status_code == 422
    assert api.patch("/users/999999", {"name": "Ghost"}).status_code == 404


def test_the_last_administrator_cannot_be_demoted_or_deactivated(
    server: RunningServer, api: ApiClient
) -> None:
    # given every other administrator made a manager
    last = make_user(server.db, Role.ADMIN)
    others = [
        u["id"]
        for u in api.get("/users").json()
        if u["role"] == "admin" and u["is_active"] and u["id"] != last.id
    ]
    for other in others:
        assert api.patch(f"/users/{other}", {"role": "manager"}).status_code == 200
    # when
    demoted = api.patch(f"/users/{last.id}", {"role": "sales"})
    deactivated = api.patch(f"/users/{last.id}", {"is_active": False})
    # then
    for other in others:
        api.patch(f"/users/{other}", {"role": "admin"})
    assert (demoted.status_code, deactivated.status_code) == (409, 409)
    assert demoted.json()["code"] == "last_admin"


@pytest.mark.covers("POST /users/{user_id}/password")
def test_a_reset_password_must_follow_the_rules(server: RunningServer, api: ApiClient) -> None:
    user = make_user(server.db, Role.SALES)

    weak = api.post(f"/users/{user.id}/password", {"password": "aaaaaaaaaaaa"})
    missing = api.post("/users/999999/password", {"password": NEW_PASSWORD})

    assert field_errors(weak) == {"password": "use more different characters"}
    assert missing.status_code == 404


@pytest.mark.covers("POST /users/{user_id}/sign-out")
def test_an_admin_signs_a_user_out_everywhere(
    server: RunningServer, api: ApiClient, browser: ApiClient
) -> None:
    user = make_user(server.db, Role.SALES)
    browser.sign_in(user.email, TEST_PASSWORD)

    response = api.post(f"/users/{user.id}/sign-out")

    assert response.status_code == 204
    assert browser.get("/me").status_code == 401
    assert api.post("/users/999999/sign-out").status_code == 404
    assert api.post("/users/x/sign-out").status_code == 422


@pytest.mark.covers("POST /tokens", "GET /tokens", "GET /tokens/{token_id}")
def test_a_token_is_shown_once_stored_hashed_and_limited_to_its_permissions(
    api: ApiClient,
) -> None:
    # when
    issued = api.post("/tokens", {"name": "Shop sync", "permissions": ["catalog.view"]})
    # then
    assert issued.status_code == 201
    token = issued.json()
    secret = token.pop("secret")
    assert secret.startswith(token["prefix"] + "_")
    assert api.get(f"/tokens/{token['id']}").json() == token  # the secret is not shown again
    assert all("secret" not in t for t in api.get("/tokens").json())
    shop = api.other(secret)
    assert shop.get("/skus").status_code == 200
    assert shop.get("/orders").status_code == 403
    assert shop.post("/categories", {"code": random_code("C"), "name": "No"}).status_code == 403
    assert shop.get("/me").json()["permissions"] == ["catalog.view"]
    assert api.get(f"/tokens/{token['id']}").json()["last_used_at"] is not None
    shop.close()


@pytest.mark.covers("POST /tokens", "GET /tokens/{token_id}")
def test_bad_tokens_are_refused(server: RunningServer, api: ApiClient) -> None:
    no_permissions = api.post("/tokens", {"name": "x", "permissions": []})
    unknown_permission = api.post("/tokens", {"name": "x", "permissions": ["orders.eat"]})
    missing = api.get("/tokens/999999")
    not_a_number = api.get("/tokens/abc")
    limited = api.other(make_token(server.db, frozenset({Permission.TOKENS_MANAGE})))
    escalation = limited.post("/tokens", {"name": "more", "permissions": ["users.manage"]})

    assert no_permissions.status_code == 422
    assert unknown_permission.status_code == 422
    assert missing.status_code == 404
    assert not_a_number.status_code == 422
    assert escalation.status_code == 403
    assert "users.manage" in escalation.json()["detail"]
    limited.close()


@pytest.mark.covers("POST /tokens/{token_id}/revoke")
def test_a_revoked_token_stops_working_at_once(server: RunningServer, api: ApiClient) -> None:
    issued = api.post("/tokens", {"name": "Old ERP", "permissions": ["orders.view"]}).json()
    erp = api.other(issued["secret"])
    assert erp.get("/orders").status_code == 200

    revoked = api.post(f"/tokens/{issued['id']}/revoke")

    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert erp.get("/orders").status_code == 401
    assert api.post("/tokens/999999/revoke").status_code == 404
    assert api.post("/tokens/x/revoke").status_code == 422
    erp.close()


def test_a_caller_without_credentials_or_with_a_wrong_token_is_refused(api: ApiClient) -> None:
    anonymous, forged = api.other(), api.other("oms_deadbeef_not-a-real-secret")

    for client in (anonymous, forged):
        response = client.get("/orders")
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"
    assert anonymous.get("/ping").status_code == 200  # the public ones stay open
    anonymous.close()
    forged.close()


@pytest.mark.covers("GET /audit")
def test_the_audit_log_records_who_changed_what_from_where(
    server: RunningServer, api: ApiClient, browser: ApiClient
) -> None:
    # given
    user = make_user(server.db, Role.SALES)
    browser.sign_in(user.email, TEST_PASSWORD)
    code = random_code("C")
    browser.post("/customers", {"email": f"{code.lower()}@example.com", "name": "Audited"})
    browser.post("/categories", {"code": code, "name": "Not allowed"})
    # when
    entries = api.get("/audit", params={"actor": f"user:{user.email}"}).json()["items"]
    # then
    actions = [e["action"] for e in entries]
    assert actions[:3] == [
        "denied POST /api/v1/categories",
        "POST /api/v1/customers",
        "login.succeeded",
    ]
    assert all(e["ip"] == "127.0.0.1" for e in entries)
    assert entries[0]["status"] == 403
    assert entries[0]["data"] == {"needs": "catalog.edit"}
    page = api.get("/audit", params={"limit": 1})
    assert len(page.json()["items"]) == 1
    assert api.get("/audit", params={"cursor": page.json()["next_cursor"]}).status_code == 200
    assert api.get("/audit", params={"limit": 0}).status_code == 422
    assert api.get("/audit", params={"cursor": "nonsense"}).status_code == 422


def test_a_session_cookie_carries_its_own_user_only(server: RunningServer, api: ApiClient) -> None:
    """One user's cookie shows that user's data; a cookie edited to name someone else is
    nobody, on the API and in the console."""
    # given two users signed in
    first, second = make_user(server.db, Role.SALES), make_user(server.db, Role.SALES)
    one, two = api.other(), api.other()
    one.sign_in(first.email, TEST_PASSWORD)
    two.sign_in(second.email, TEST_PASSWORD)
    csrf = one.http.headers["X-CSRF-Token"]
    saved = one.http.post(
        one.base_url + "/console/orders/views",
        data={"csrf_token": csrf, "name": "Mine only", "query": "?status=on_hold"},
    )
    assert saved.status_code == 303
    # when
    mine = one.get("/me").json()["name"]
    theirs = two.get("/me").json()["name"]
    their_list = two.http.get(two.base_url + "/console/orders").text
    my_list = one.http.get(one.base_url + "/console/orders").text
    # then
    assert (mine, theirs) == (first.email, second.email)
    assert "Mine only" in my_list
    assert "Mine only" not in their_list
    # when the cookie is edited to name the second user
    cookie = one.http.cookies["oms_session"]
    payload, _, rest = cookie.partition(".")
    forged = cookie.replace(
        payload, payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    )
    thief = api.other()
    thief.http.cookies.set("oms_session", forged)
    # then
    assert thief.get("/me").status_code == 401
    assert thief.http.get(thief.base_url + "/console").status_code == 303
    for client in (one, two, thief):
        client.close()
