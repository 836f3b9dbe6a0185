"""The real application on a local port, in a background thread, for end-to-end tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

STARTUP_SECONDS = 15.0


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """``uvicorn.Server`` on a free 127.0.0.1 port; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # uvicorn logs "Exception in ASGI application" *after* a 500 was sent, formatting the
    # traceback in the server thread while pytest parses source in the main thread; CPython
    # 3.11's parser is not thread-safe there ("AST constructor recursion depth mismatch").
    # The app's own log (``http.unhandled_error``) still records every 500 with its traceback.
    uv = uvicorn.Server(uvicorn.Config(app, log_level="critical", access_log=False))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base_url, thread)
        yield base_url
    finally:
        uv.should_exit = True
        thread.join(timeout=STARTUP_SECONDS)
        sock.close()
    assert not thread.is_alive(), "the server did not stop"


def _wait_until_healthy(base_url: str, thread: threading.Thread) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert thread.is_alive(), "the server thread died during startup"
        try:
            if httpx.get(f"{base_url}/health", timeout=1.0).json() == {"status": "ok"}:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail(f"the server at {base_url} did not answer /health in {STARTUP_SECONDS}s")
