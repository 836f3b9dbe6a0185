"""The audit entry of every request that may change something (see ``RequestAudit``)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from openoms.identity.services.audit import Origin, RequestAudit
from openoms.infra.db import current_commit_record

CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


class AuditMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in CHANGING:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        client = scope.get("client")
        record = RequestAudit(
            scope["method"],
            scope["path"],
            Origin(
                client[0] if client else None,
                headers.get(b"user-agent", b"").decode("latin-1") or None,
            ),
        )
        reset = current_commit_record.set(record)
        try:
            await self.app(scope, receive, send)
        finally:
            current_commit_record.reset(reset)
