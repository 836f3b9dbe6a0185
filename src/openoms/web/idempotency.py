"""``Idempotency-Key`` for every creating request (POST, PUT, PATCH).

A pure ASGI middleware: it claims the key, runs the request with the claim in a context
variable (the unit of work spends the key in the same transaction as the change), stores the
response, and replays it to retries. See :mod:`openoms.infra.idempotency`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import timedelta
from typing import Any

from anyio import to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openoms.infra import idempotency
from openoms.infra.db import Database, current_idempotency_claim
from openoms.web.sessions import SESSION_COOKIE

HEADER = b"idempotency-key"
METHODS = {"POST", "PUT", "PATCH"}
WAIT_FOR_OTHER_SECONDS = 10.0


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, db: Database, ttl: timedelta) -> None:
        self.app = app
        self.db = db
        self.ttl = ttl

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in METHODS:
            await self.app(scope, receive, send)
            return
        key = dict(scope["headers"]).get(HEADER)
        if key is None:
            await self.app(scope, receive, send)
            return
        text = key.decode("latin-1").strip()
        if not text or len(text) > 255:
            await _problem(
                send,
                422,
                "Invalid Idempotency-Key",
                "The Idempotency-Key header must be 1 to 255 characters.",
                "invalid_idempotency_key",
            )
            return
        text = _scoped(scope, text)
        body = await _read_body(receive)
        fingerprint = hashlib.sha256(
            b"\n".join(
                [
                    scope["method"].encode(),
                    scope["path"].encode(),
                    scope.get("query_string", b""),
                    body,
                ]
            )
        ).hexdigest()
        await self._handle(scope, send, text, fingerprint, body)

    async def _handle(
        self, scope: Scope, send: Send, key: str, fingerprint: str, body: bytes
    ) -> None:
        engine = self.db.engine
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_FOR_OTHER_SECONDS
        while True:
            result = await to_thread.run_sync(idempotency.claim, engine, key, fingerprint, self.ttl)
            if not isinstance(result, idempotency.Busy) or loop.time() > deadline:
                break
            await asyncio.sleep(0.05)  # the first request with this key is still running
        if isinstance(result, idempotency.Replay):
            await _replay(send, result)
        elif isinstance(result, idempotency.Mismatch):
            await _problem(
                send,
                422,
                "Idempotency key reused",
                "This Idempotency-Key was used with a different request body.",
                "idempotency_key_mismatch",
            )
        elif isinstance(result, idempotency.Busy):
            await _problem(
                send,
                409,
                "Request in progress",
                "A request with this Idempotency-Key is still being processed; retry later.",
                "idempotency_key_in_progress",
            )
        else:
            await self._run(scope, send, key, result.token, body)

    async def _run(self, scope: Scope, send: Send, key: str, token: str, body: bytes) -> None:
        captured: list[Message] = []
        sent_body = False

        async def replay_receive() -> Message:
            nonlocal sent_body
            if sent_body:
                return {"type": "http.disconnect"}
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            captured.append(message)

        reset = current_idempotency_claim.set((key, token))
        try:
            await self.app(scope, replay_receive, capture)
        finally:
            current_idempotency_claim.reset(reset)
        status, headers, payload = _collect(captured)
        engine = self.db.engine
        committed = await to_thread.run_sync(idempotency.is_committed, engine, key, token)
        if committed or 200 <= status < 300:
            kept = {k: v for k, v in headers.items() if k in ("content-type", "location")}
            await to_thread.run_sync(
                idempotency.complete, engine, key, token, status, payload, kept
            )
        else:
            await to_thread.run_sync(idempotency.release, engine, key, token)
        for message in captured:
            await send(message)


def _scoped(scope: Scope, key: str) -> str:
    """Keys belong to the caller (its bearer token or session cookie): one caller can never
    be answered with another's response."""
    headers = dict(scope["headers"])
    caller = headers.get(b"authorization") or _session_cookie(headers.get(b"cookie", b""))
    return hashlib.sha256(caller + b"\n" + key.encode()).hexdigest()


def _session_cookie(cookies: bytes) -> bytes:
    for part in cookies.split(b";"):
        name, _, value = part.strip().partition(b"=")
        if name == SESSION_COOKIE.encode():
            return value
    return b""


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _collect(messages: list[Message]) -> tuple[int, dict[str, str], bytes]:
    status = 500
    headers: dict[str, str] = {}
    body = b""
    for message in messages:
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = {
                k.decode("latin-1"): v.decode("latin-1") for k, v in message.get("headers", [])
            }
        elif message["type"] == "http.response.body":
            body += message.get("body", b"")
    return status, headers, body


async def _replay(send: Send, replay: idempotency.Replay) -> None:
    headers = [(k.encode(), v.encode()) for k, v in replay.headers.items()]
    headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": replay.status, "headers": headers})
    await send({"type": "http.response.body", "body": replay.body})


async def _problem(send: Send, status: int, title: str, detail: str, code: str) -> None:
    from openoms.web.problems import MEDIA_TYPE, PROBLEM_TYPE

    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + code.replace("_", "-"),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", MEDIA_TYPE.encode())],
        }
    )
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})
