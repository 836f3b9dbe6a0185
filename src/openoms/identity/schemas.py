from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from openoms.identity.model import (
    ROLE_PERMISSIONS,
    ROLE_TITLES,
    ApiToken,
    AuditEntry,
    Permission,
    Role,
    User,
)
from openoms.web.schemas import Strict


class LoginIn(Strict):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class UserCreate(Strict):
    email: str = Field(max_length=254)
    name: str = Field(max_length=200)
    role: Role
    password: str = Field(max_length=1024)
    locations: list[str] | None = Field(default=None, description="null: every location")
    channels: list[str] | None = Field(default=None, description="null: every channel")
    time_zone: str = Field(default="UTC", max_length=64)


class UserUpdate(Strict):
    name: str | None = Field(default=None, max_length=200)
    role: Role | None = None
    is_active: bool | None = None
    locations: list[str] | None = Field(default=None, description="[] or codes; see all_locations")
    channels: list[str] | None = None
    all_locations: bool = Field(default=False, description="lift the location limit")
    all_channels: bool = Field(default=False, description="lift the channel limit")
    time_zone: str | None = Field(default=None, max_length=64)


class PasswordIn(Strict):
    password: str = Field(max_length=1024)


class PasswordChange(Strict):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class UserOut(BaseModel):
    id: int
    email: str
    name: str
    role: Role
    role_title: str
    is_active: bool
    locations: list[str] | None
    channels: list[str] | None
    time_zone: str
    permissions: list[str]
    locked_until: datetime | None
    last_login_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, u: User) -> UserOut:
        return cls(
            id=u.id,
            email=u.email,
            name=u.name,
            role=u.role,
            role_title=ROLE_TITLES[u.role],
            is_active=u.is_active,
            locations=u.locations,
            channels=u.channels,
            time_zone=u.time_zone,
            permissions=sorted(p.value for p in u.permissions),
            locked_until=u.locked_until,
            last_login_at=u.last_login_at,
            created_at=u.created_at,
        )


class SessionOut(BaseModel):
    user: UserOut
    csrf_token: str = Field(description="send as X-CSRF-Token with every change made by cookie")


class MeOut(BaseModel):
    kind: str
    name: str
    permissions: list[str]
    locations: list[str] | None
    channels: list[str] | None
    user: UserOut | None = None


class RoleOut(BaseModel):
    role: Role
    title: str
    permissions: list[str]


def roles_out() -> list[RoleOut]:
    return [
        RoleOut(
            role=r, title=ROLE_TITLES[r], permissions=sorted(p.value for p in ROLE_PERMISSIONS[r])
        )
        for r in Role
    ]


class TokenCreate(Strict):
    name: str = Field(max_length=100)
    permissions: list[Permission] = Field(min_length=1)
    locations: list[str] | None = None
    channels: list[str] | None = None
    expires_at: datetime | None = None


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    permissions: list[str]
    locations: list[str] | None
    channels: list[str] | None
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, t: ApiToken) -> TokenOut:
        return cls(
            id=t.id,
            name=t.name,
            prefix=t.prefix,
            permissions=[p.value for p in t.permissions],
            locations=t.locations,
            channels=t.channels,
            created_by=t.created_by,
            created_at=t.created_at,
            last_used_at=t.last_used_at,
            expires_at=t.expires_at,
            revoked_at=t.revoked_at,
        )


class IssuedTokenOut(TokenOut):
    secret: str = Field(description="shown this once; keep it safe")


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    target: str | None
    ip: str | None
    user_agent: str | None
    status: int | None
    data: dict[str, object]

    @classmethod
    def of(cls, e: AuditEntry) -> AuditOut:
        return cls(**e.__dict__)
