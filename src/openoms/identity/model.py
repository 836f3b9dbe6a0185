"""Who may do what: roles, permissions, the principal of a request, and its scope.

Pure: no framework. The permission matrix is data in code, so a test can walk every route
against every role, and a reviewer can read in one place what each role may do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from openoms.shared.errors import Conflict, NotFound, OmsError
from openoms.shared.scope import EVERYWHERE, Scope


class Permission(StrEnum):
    ORDERS_VIEW = "orders.view"
    ORDERS_CREATE = "orders.create"
    ORDERS_EDIT = "orders.edit"  # address, lines, notes
    ORDERS_HOLD = "orders.hold"  # put on hold, release
    ORDERS_CANCEL = "orders.cancel"
    CARTS_MANAGE = "carts.manage"
    CUSTOMERS_VIEW = "customers.view"
    CUSTOMERS_EDIT = "customers.edit"
    CATALOG_VIEW = "catalog.view"
    CATALOG_EDIT = "catalog.edit"
    INVENTORY_VIEW = "inventory.view"
    INVENTORY_ADJUST = "inventory.adjust"  # receipts, adjustments, counts, safety stock
    INVENTORY_TRANSFER = "inventory.transfer"
    INVENTORY_RESERVE = "inventory.reserve"  # manual reservations and their release
    LOCATIONS_VIEW = "locations.view"
    LOCATIONS_MANAGE = "locations.manage"
    CHANNELS_VIEW = "channels.view"
    CHANNELS_MANAGE = "channels.manage"
    FINANCE_VIEW = "finance.view"  # tax and FX rates, revenue figures
    FINANCE_MANAGE = "finance.manage"  # tax and FX rates
    PAYMENTS_CAPTURE = "payments.capture"  # capture, void, record money received
    PAYMENTS_REFUND = "payments.refund"
    FRAUD_REVIEW = "fraud.review"  # approve or reject orders in review; the blocklist
    QUOTES_MANAGE = "quotes.manage"  # B2B quotes: create, edit, send, accept, reject
    INVOICES_MANAGE = "invoices.manage"  # issue and void invoices, record payments, statements
    FULFILLMENT_VIEW = "fulfillment.view"  # fulfilment orders, pick lists, shipments
    FULFILLMENT_PICK = "fulfillment.pick"  # release waves, pick, pack, pickup hand-over
    FULFILLMENT_SHIP = "fulfillment.ship"  # ship, labels
    FULFILLMENT_CONFIGURE = "fulfillment.configure"  # boxes, carriers, services, strategies
    TRACKING_RECORD = "tracking.record"  # carrier scans in
    RETURNS_VIEW = "returns.view"
    RETURNS_MANAGE = "returns.manage"  # open, approve, reject, close, exchange
    RETURNS_RECEIVE = "returns.receive"  # in transit, receive, inspect (restock, write off)
    RETURNS_REFUND = "returns.refund"  # refund or store credit for a return
    PURCHASING_MANAGE = "purchasing.manage"
    WEBHOOKS_MANAGE = "webhooks.manage"
    USERS_MANAGE = "users.manage"
    TOKENS_MANAGE = "tokens.manage"
    AUDIT_VIEW = "audit.view"
    ALERTS_VIEW = "alerts.view"  # the staff alerts inbox
    ALERTS_ACKNOWLEDGE = "alerts.acknowledge"


P = Permission

_VIEW = frozenset(
    {
        P.ORDERS_VIEW,
        P.CUSTOMERS_VIEW,
        P.CATALOG_VIEW,
        P.INVENTORY_VIEW,
        P.LOCATIONS_VIEW,
        P.CHANNELS_VIEW,
        P.FULFILLMENT_VIEW,
        P.ALERTS_VIEW,
        P.RETURNS_VIEW,
    }
)


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    SALES = "sales"
    WAREHOUSE = "warehouse"
    FINANCE = "finance"
    PURCHASING = "purchasing"
    READ_ONLY = "read_only"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.MANAGER: frozenset(Permission) - {P.USERS_MANAGE, P.TOKENS_MANAGE},
    Role.SALES: _VIEW
    | {
        P.ORDERS_CREATE,
        P.ORDERS_EDIT,
        P.ORDERS_HOLD,
        P.ORDERS_CANCEL,
        P.CARTS_MANAGE,
        P.CUSTOMERS_EDIT,
        P.INVENTORY_RESERVE,
        P.QUOTES_MANAGE,
        P.ALERTS_ACKNOWLEDGE,
        P.RETURNS_MANAGE,
        P.RETURNS_RECEIVE,
        P.RETURNS_REFUND,
    },
    Role.WAREHOUSE: _VIEW - {P.CUSTOMERS_VIEW}
    | {
        P.INVENTORY_ADJUST,
        P.INVENTORY_TRANSFER,
        P.INVENTORY_RESERVE,
        P.FULFILLMENT_PICK,
        P.FULFILLMENT_SHIP,
        P.TRACKING_RECORD,
        P.ALERTS_ACKNOWLEDGE,
        P.RETURNS_RECEIVE,
    },
    Role.FINANCE: _VIEW
    | {
        P.FINANCE_VIEW,
        P.FINANCE_MANAGE,
        P.PAYMENTS_CAPTURE,
        P.PAYMENTS_REFUND,
        P.FRAUD_REVIEW,
        P.INVOICES_MANAGE,
        P.CUSTOMERS_VIEW,
        P.ALERTS_ACKNOWLEDGE,
        P.RETURNS_REFUND,
    },
    Role.PURCHASING: _VIEW - {P.CUSTOMERS_VIEW}
    | {P.CATALOG_EDIT, P.PURCHASING_MANAGE, P.ALERTS_ACKNOWLEDGE},
    Role.READ_ONLY: _VIEW,
}

ROLE_TITLES = {
    Role.ADMIN: "Administrator",
    Role.MANAGER: "Manager",
    Role.SALES: "Sales / customer service",
    Role.WAREHOUSE: "Warehouse",
    Role.FINANCE: "Finance",
    Role.PURCHASING: "Purchasing",
    Role.READ_ONLY: "Read-only",
}


@dataclass(frozen=True)
class Principal:
    """Who a request acts for: a signed-in user or an API token."""

    kind: str  # "user" or "token"
    id: int
    name: str
    permissions: frozenset[Permission]
    scope: Scope = EVERYWHERE
    time_zone: str = "UTC"
    role: Role | None = None
    csrf: str = ""  # the session's CSRF token (users signed in by cookie)

    @property
    def actor(self) -> str:
        """How the principal appears in timelines, ledgers and the audit log."""
        return f"{self.kind}:{self.name}"

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions


@dataclass(frozen=True)
class User:
    id: int
    email: str
    name: str
    role: Role
    is_active: bool
    locations: list[str] | None
    channels: list[str] | None
    time_zone: str
    failed_logins: int
    locked_until: datetime | None
    last_login_at: datetime | None
    created_at: datetime
    session_version: int = 1
    preferences: dict[str, object] = field(default_factory=dict)

    @property
    def scope(self) -> Scope:
        return Scope.of(self.locations, self.channels)

    @property
    def permissions(self) -> frozenset[Permission]:
        return ROLE_PERMISSIONS[self.role]


@dataclass(frozen=True)
class ApiToken:
    id: int
    name: str
    prefix: str  # the first characters, shown so people can tell tokens apart
    permissions: list[Permission]
    locations: list[str] | None
    channels: list[str] | None
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True)
class IssuedToken:
    """A new token with its secret, shown once and never again."""

    token: ApiToken
    secret: str


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target: str | None
    ip: str | None
    user_agent: str | None
    status: int | None
    data: dict[str, object]


class NotAuthenticated(OmsError):
    code = "not_authenticated"
    kind = "unauthorized"
    title = "Sign-in required"


class PermissionDenied(OmsError):
    code = "permission_denied"
    kind = "forbidden"
    title = "Not allowed"


class InvalidCredentials(OmsError):
    code = "invalid_credentials"
    kind = "unauthorized"
    title = "Wrong email or password"


class AccountLocked(OmsError):
    code = "account_locked"
    kind = "rate_limited"
    title = "Account locked"


class TooManyAttempts(OmsError):
    code = "too_many_attempts"
    kind = "rate_limited"
    title = "Too many sign-in attempts"


class UserNotFound(NotFound):
    code = "user_not_found"
    title = "User not found"


class TokenNotFound(NotFound):
    code = "token_not_found"
    title = "API token not found"


class EmailTaken(Conflict):
    code = "email_taken"
    title = "Email already in use"


class LastAdmin(Conflict):
    code = "last_admin"
    title = "The last administrator cannot be removed"
