"""Session cookies that cannot be forged or outlive their time, and the role matrix."""

from __future__ import annotations

import time

from openoms.identity.model import ROLE_PERMISSIONS, Permission, Role
from openoms.shared.scope import Scope
from openoms.web.sessions import SessionCodec


def test_a_cookie_reads_back_its_claims() -> None:
    codec = SessionCodec("secret", 3600)
    value, csrf = codec.issue(7, 3)

    claims = codec.read(value)

    assert claims is not None
    assert (claims.user_id, claims.version, claims.csrf) == (7, 3, csrf)


def test_a_tampered_or_foreign_cookie_is_nobody() -> None:
    codec = SessionCodec("secret", 3600)
    value, _ = codec.issue(7, 1)
    other_server, _ = SessionCodec("another secret", 3600).issue(7, 1)

    assert codec.read(value[:-2] + ("AA" if not value.endswith("AA") else "BB")) is None
    assert codec.read(other_server) is None
    assert codec.read("") is None
    assert codec.read("not.a.cookie") is None


def test_an_expired_cookie_is_nobody() -> None:
    codec = SessionCodec("secret", 1)
    value, _ = codec.issue(7, 1)
    time.sleep(2.1)

    assert codec.read(value) is None


def test_the_roles_follow_least_privilege() -> None:
    assert ROLE_PERMISSIONS[Role.ADMIN] == frozenset(Permission)
    assert Permission.USERS_MANAGE not in ROLE_PERMISSIONS[Role.MANAGER]
    read_only = ROLE_PERMISSIONS[Role.READ_ONLY]
    assert all(p.value.endswith(".view") for p in read_only)
    assert Permission.INVENTORY_ADJUST not in ROLE_PERMISSIONS[Role.SALES]
    assert Permission.ORDERS_CANCEL not in ROLE_PERMISSIONS[Role.WAREHOUSE]
    assert Permission.PAYMENTS_REFUND in ROLE_PERMISSIONS[Role.FINANCE]
    assert Permission.CUSTOMERS_VIEW not in ROLE_PERMISSIONS[Role.WAREHOUSE]


def test_a_scope_limited_to_both_sees_either() -> None:
    clerk = Scope(frozenset({"ST-AMS"}), frozenset({"POS-AMS"}))

    assert clerk.is_limited
    assert clerk.sees_location("ST-AMS")
    assert not clerk.sees_location("WH-RTM")
    assert not clerk.sees_location(None)
    assert clerk.sees_channel("POS-AMS")
    assert not clerk.sees_channel("WEB-EU")
    assert not Scope().is_limited
