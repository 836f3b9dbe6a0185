"""Staff sessions in signed cookies.

The cookie holds the user's id, their session version and the session's CSRF token, signed
with the server's secret and timestamped (itsdangerous). Nothing is stored on the server: a
password change, deactivation or "sign out everywhere" bumps the user's session version, and
every older cookie stops working.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "oms_session"


@dataclass(frozen=True)
class SessionClaims:
    user_id: int
    version: int
    csrf: str


class SessionCodec:
    def __init__(self, secret: str, max_age_seconds: int) -> None:
        self.secret = secret
        self._serializer = URLSafeTimedSerializer(secret, salt="openoms.session")
        self.max_age_seconds = max_age_seconds

    def issue(self, user_id: int, version: int) -> tuple[str, str]:
        """A new cookie value and its CSRF token."""
        csrf = secrets.token_urlsafe(24)
        return self._serializer.dumps({"u": user_id, "v": version, "c": csrf}), csrf

    def read(self, value: str) -> SessionClaims | None:
        """The claims of a genuine, unexpired cookie; None for anything else."""
        try:
            data = self._serializer.loads(value, max_age=self.max_age_seconds)
        except BadSignature:  # also SignatureExpired
            return None
        if not isinstance(data, dict):
            return None
        user_id, version, csrf = data.get("u"), data.get("v"), data.get("c")
        if (
            not isinstance(user_id, int)
            or not isinstance(version, int)
            or not isinstance(csrf, str)
        ):
            return None
        return SessionClaims(user_id, version, csrf)
