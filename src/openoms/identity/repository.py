"""Rows of the identity tables to and from the model."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from openoms.identity.model import ApiToken, AuditEntry, Permission, Role, User
from openoms.identity.orm import api_tokens, audit_log, users


def user_from(row: RowMapping) -> User:
    return User(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        role=Role(row["role"]),
        is_active=row["is_active"],
        locations=row["locations"],
        channels=row["channels"],
        time_zone=row["time_zone"],
        failed_logins=row["failed_logins"],
        locked_until=row["locked_until"],
        last_login_at=row["last_login_at"],
        created_at=row["created_at"],
        session_version=row["session_version"],
        preferences=dict(row["preferences"] or {}),
    )


def token_from(row: RowMapping) -> ApiToken:
    return ApiToken(
        id=row["id"],
        name=row["name"],
        prefix=row["prefix"],
        permissions=[
            Permission(p) for p in row["permissions"] if p in Permission._value2member_map_
        ],
        locations=row["locations"],
        channels=row["channels"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
    )


def audit_from(row: RowMapping) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        at=row["at"],
        actor=row["actor"],
        action=row["action"],
        target=row["target"],
        ip=row["ip"],
        user_agent=row["user_agent"],
        status=row["status"],
        data=dict(row["data"] or {}),
    )


def user_row(conn: Connection, **where: Any) -> RowMapping | None:
    query = sa.select(users)
    for column, value in where.items():
        query = query.where(users.c[column] == value)
    return conn.execute(query).mappings().first()


def token_row(conn: Connection, token_id: int) -> RowMapping | None:
    return conn.execute(sa.select(api_tokens).where(api_tokens.c.id == token_id)).mappings().first()


def audit_row_values(**values: Any) -> dict[str, Any]:
    return {c.name: values.get(c.name) for c in audit_log.columns if c.name != "id"}
