"""A minimal HTTP/1.1 keep-alive client on asyncio streams: the load generator's wire.

httpx.AsyncClient costs this machine 0.7 – 1.5 cores of client CPU for 100 – 250 empty
requests a second (measured against ``oms serve``), so with it the benchmark would measure
the client. This speaks just enough HTTP/1.1 for the server under test: one request at a
time per connection, Content-Length bodies, Content-Length or chunked answers.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit


def request_bytes(
    url: str, method: str, path: str, body: Any = None, *, token: str | None = None
) -> bytes:
    """One request on the wire; a JSON body when ``body`` is not None, a bearer token when
    ``token`` is."""
    host = urlsplit(url).netloc
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    if body is None:
        return f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n{auth}\r\n".encode()
    payload = json.dumps(body, separators=(",", ":")).encode()
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Content-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


class Connection:
    """One keep-alive connection; reopened after the server closes it."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def exchange(self, request: bytes) -> int:
        """Send one request, read the whole answer, return its status code."""
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        assert self._reader is not None
        try:
            self._writer.write(request)
            status, keep = await _read_response(self._reader)
        except (OSError, asyncio.IncompleteReadError):
            self.close()
            raise
        if not keep:
            self.close()
        return status

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    status_line, *lines = head.split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines)}
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        await _read_chunks(reader)
    keep = headers.get("connection", "").lower() != "close"
    return int(status_line.split(" ", 2)[1]), keep


async def _read_chunks(reader: asyncio.StreamReader) -> None:
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        await reader.readexactly(size + 2)
    await reader.readuntil(b"\r\n")  # the empty trailer
