"""A real HTTP receiver for webhook tests: a threaded ``http.server`` on 127.0.0.1.

It records every request (headers and raw body) and answers with the statuses it was
scripted with, then with ``then`` (200 unless told). Nothing is mocked: the webhook relay
talks to it over TCP exactly as it talks to a subscriber.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]  # lower-case names
    body: bytes
    status: int  # what the receiver answered

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    def __init__(self, script: Sequence[int] = (), then: int = 200) -> None:
        self._script = list(script)
        self.then = then
        self.requests: list[Received] = []
        self._changed = threading.Condition()
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hooks"

    def script(self, statuses: Sequence[int]) -> None:
        """Answer the next requests with these statuses, then with ``then``."""
        with self._changed:
            self._script = list(statuses)

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        with self._changed:
            status = self._script.pop(0) if self._script else self.then
            self.requests.append(Received(headers, body, status))
            self._changed.notify_all()
        return status

    def accepted(self) -> list[Received]:
        with self._changed:
            return [r for r in self.requests if 200 <= r.status < 300]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Block until ``count`` requests arrived (or fail after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"expected {count} requests, got {len(self.requests)}"
                self._changed.wait(left)
            return list(self.requests)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@contextmanager
def running_receiver(script: Sequence[int] = (), then: int = 200) -> Iterator[Receiver]:
    receiver = Receiver(script, then)
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops bursts of connects (a 1 s SYN retry)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client closing its keep-alive connection is not worth a traceback


def _handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real receivers do
        disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms stall

        def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status = receiver.answer(headers, body)
            reply = b"ok" if status < 300 else b"receiver failed on purpose"
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # quiet: the test reads what it needs from ``receiver.requests``

    return Handler
