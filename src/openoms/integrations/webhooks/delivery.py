"""The HTTP adapter: POST one signed request with httpx and say what came of it.

Every way a request can fail (refused, timed out, a TLS or protocol error, a non-2xx
answer) becomes an :class:`Outcome` with a short error text, never an exception: a failed
delivery is an expected result that the relay records and retries. Redirects are not
followed (a 3xx is a failure), so a receiver cannot bounce signed events elsewhere.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Mapping
from functools import cache
from types import TracebackType

import httpx

from openoms.integrations.webhooks.model import Outcome, short_error

SNIPPET_BYTES = 200


class HttpSender:
    """A pooled httpx client; use it as a context manager so connections are closed."""

    def __init__(self, timeout: float, *, transport: httpx.BaseTransport | None = None) -> None:
        self.timeout = timeout
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            transport=transport,
            verify=_tls_context(),
        )

    def __enter__(self) -> HttpSender:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def send(self, url: str, body: bytes, headers: Mapping[str, str]) -> Outcome:
        started = time.perf_counter()
        try:
            with self._client.stream("POST", url, content=body, headers=dict(headers)) as answer:
                status = answer.status_code
                snippet = "" if 200 <= status < 300 else _snippet(answer)
        except httpx.TimeoutException:
            return Outcome(None, f"timed out after {self.timeout:g}s", _ms_since(started))
        except (httpx.HTTPError, httpx.InvalidURL) as e:
            return Outcome(None, short_error(f"{type(e).__name__}: {e}"), _ms_since(started))
        error = None if 200 <= status < 300 else short_error(f"HTTP {status} {snippet}")
        return Outcome(status, error, _ms_since(started))


@cache
def _tls_context() -> ssl.SSLContext:
    """Built once per process: loading the CA bundle costs tens of milliseconds."""
    return httpx.create_ssl_context()


def _snippet(answer: httpx.Response) -> str:
    """The start of an error answer's body, for the operator; the rest is never read."""
    data = b""
    for chunk in answer.iter_bytes():
        data += chunk
        if len(data) >= SNIPPET_BYTES:
            break
    return data[:SNIPPET_BYTES].decode("utf-8", errors="replace")


def _ms_since(started: float) -> int:
    return max(0, round((time.perf_counter() - started) * 1000))
