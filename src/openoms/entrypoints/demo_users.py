"""The demo's staff: one user per role, a store clerk limited to the Amsterdam store, and an
API token for trying the API from /docs."""

from __future__ import annotations

from dataclasses import dataclass

from openoms.identity.model import Permission, Principal, Role
from openoms.identity.services import tokens, users
from openoms.infra.db import Database

DEMO_PASSWORD = "openoms-demo"
DOMAIN = "demo.openoms.dev"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    name: str
    role: Role
    limited_to: str


LOGINS = [
    DemoLogin(f"admin@{DOMAIN}", "Ada Admin", Role.ADMIN, ""),
    DemoLogin(f"manager@{DOMAIN}", "Max Manager", Role.MANAGER, ""),
    DemoLogin(f"sales@{DOMAIN}", "Sam Sales", Role.SALES, ""),
    DemoLogin(f"warehouse@{DOMAIN}", "Wim Warehouse", Role.WAREHOUSE, ""),
    DemoLogin(f"finance@{DOMAIN}", "Fay Finance", Role.FINANCE, ""),
    DemoLogin(f"purchasing@{DOMAIN}", "Pia Purchasing", Role.PURCHASING, ""),
    DemoLogin(f"viewer@{DOMAIN}", "Vic Viewer", Role.READ_ONLY, ""),
    DemoLogin(f"clerk.ams@{DOMAIN}", "Cleo Clerk", Role.SALES, "ST-AMS, POS-AMS"),
]


def load_users(db: Database) -> str:
    """Create the demo users; returns the secret of a new all-permission API token."""
    for login in LOGINS:
        limited = login.limited_to != ""
        users.create_user(
            db.uow(),
            users.UserSpec(
                email=login.email,
                name=login.name,
                role=login.role,
                password=DEMO_PASSWORD,
                locations=["ST-AMS"] if limited else None,
                channels=["POS-AMS"] if limited else None,
                time_zone="Europe/Amsterdam",
            ),
            actor="demo",
        )
    granter = Principal("user", 0, "demo", frozenset(Permission))
    spec = tokens.TokenSpec("Demo integration", sorted(Permission))
    return tokens.issue_token(db.uow(), spec, granter=granter).secret
