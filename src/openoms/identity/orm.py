from __future__ import annotations

import sqlalchemy as sa

from openoms.infra.db import metadata
from openoms.infra.types import JSON, UtcDateTime

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(254), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("locations", JSON, nullable=True),  # null: every location
    sa.Column("channels", JSON, nullable=True),  # null: every channel
    sa.Column("time_zone", sa.String(64), nullable=False, server_default="UTC"),
    sa.Column("preferences", JSON, nullable=False),
    sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", UtcDateTime(), nullable=True),
    # Bumped by a password change or "sign out everywhere": older session cookies stop working.
    sa.Column("session_version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("last_login_at", UtcDateTime(), nullable=True),
    sa.Column("password_changed_at", UtcDateTime(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("prefix", sa.String(16), nullable=False),
    # SHA-256 of the secret: the secret has 256 random bits, so a slow hash adds nothing.
    sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("permissions", JSON, nullable=False),
    sa.Column("locations", JSON, nullable=True),
    sa.Column("channels", JSON, nullable=True),
    sa.Column("created_by", sa.String(120), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("last_used_at", UtcDateTime(), nullable=True),
    sa.Column("expires_at", UtcDateTime(), nullable=True),
    sa.Column("revoked_at", UtcDateTime(), nullable=True),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", UtcDateTime(), nullable=False, index=True),
    sa.Column("actor", sa.String(120), nullable=False, index=True),
    sa.Column("action", sa.String(200), nullable=False),
    sa.Column("target", sa.String(200), nullable=True),
    sa.Column("ip", sa.String(64), nullable=True),
    sa.Column("user_agent", sa.String(300), nullable=True),
    sa.Column("status", sa.Integer, nullable=True),
    sa.Column("data", JSON, nullable=False),
)

# Recent sign-in attempts per client address and per email, for rate limiting across
# processes; old rows are purged by the worker.
login_attempts = sa.Table(
    "login_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", UtcDateTime(), nullable=False, index=True),
    sa.Column("ip", sa.String(64), nullable=False, index=True),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("succeeded", sa.Boolean, nullable=False),
)
