"""``oms serve --workers N``: N server processes, each accepting on its own socket.

uvicorn's own workers share one listening socket, and whichever process wakes first
accepts every connection waiting: with keep-alive clients (a web shop's or a marketplace's
integration holds its connections open) one process can end up with nearly all of them
while the others idle; measured, 15 of 16 benchmark connections on one of two workers.
Here each worker binds its own socket to the same address with ``SO_REUSEPORT``, and the
kernel spreads new connections over the workers by a hash of their addresses. The parent
only supervises: it restarts a worker that dies, and stops them all on SIGINT or SIGTERM.
Where ``SO_REUSEPORT`` does not exist, uvicorn's own workers serve.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import time
from collections import deque
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from types import FrameType

import structlog
import uvicorn

APP = "openoms.entrypoints.bootstrap:application"
# More deaths than this within the window is a server that cannot run (a bad setting, a
# broken database): stop instead of restarting forever.
RESTARTS_ALLOWED = 5
RESTART_WINDOW_SECONDS = 60.0
STOP_SECONDS = 15.0

log = structlog.get_logger()


def serve(host: str, port: int, workers: int, log_level: str) -> None:
    """Serve the app on host:port with ``workers`` processes; returns when stopped."""
    if workers <= 1 or not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run(APP, factory=True, host=host, port=port, workers=workers, log_level=log_level)
        return
    _listener(host, port).close()  # a taken port or a bad address fails here, once
    Supervisor(host, port, workers, log_level).run()


def _listener(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _worker(host: str, port: int, log_level: str) -> None:
    """One worker process: its own socket, one uvicorn server."""
    sock = _listener(host, port)
    config = uvicorn.Config(APP, factory=True, host=host, port=port, log_level=log_level)
    uvicorn.Server(config).run(sockets=[sock])


class Supervisor:
    """Starts ``workers`` processes running ``target(host, port, log_level)`` and keeps
    them running until SIGINT or SIGTERM."""

    def __init__(
        self,
        host: str,
        port: int,
        workers: int,
        log_level: str,
        target: Callable[[str, int, str], None] = _worker,
    ) -> None:
        self.target = target
        self.args = (host, port, log_level)
        self.count = workers
        self.context = multiprocessing.get_context("spawn")
        self.processes: list[BaseProcess] = []
        self.restarts: deque[float] = deque()
        self.stopping = False
        self.failed = False

    def run(self) -> None:
        """Returns when stopped; raises SystemExit(3) when the workers keep dying."""
        previous = (
            signal.signal(signal.SIGINT, self._stop),
            signal.signal(signal.SIGTERM, self._stop),
        )
        try:
            self._supervise()
        finally:
            signal.signal(signal.SIGINT, previous[0])
            signal.signal(signal.SIGTERM, previous[1])
        if self.failed:
            raise SystemExit(3)

    def _supervise(self) -> None:
        host, port, _level = self.args
        self.processes = [self._start() for _ in range(self.count)]
        log.info("serve.started", workers=self.count, url=f"http://{host}:{port}")
        try:
            while not self.stopping:
                time.sleep(0.5)
                self._replace_dead()
        finally:
            self._stop_all()

    def _start(self) -> BaseProcess:
        process = self.context.Process(target=self.target, args=self.args, daemon=False)
        process.start()
        return process

    def _replace_dead(self) -> None:
        for i, process in enumerate(self.processes):
            if process.is_alive() or self.stopping:
                continue
            now = time.monotonic()
            while self.restarts and now - self.restarts[0] > RESTART_WINDOW_SECONDS:
                self.restarts.popleft()
            if len(self.restarts) >= RESTARTS_ALLOWED:
                log.error(
                    "serve.giving_up",
                    pid=process.pid,
                    exitcode=process.exitcode,
                    restarts=len(self.restarts),
                    window_seconds=RESTART_WINDOW_SECONDS,
                )
                self.failed = self.stopping = True
                return
            log.warning("serve.worker_restarted", pid=process.pid, exitcode=process.exitcode)
            self.restarts.append(now)
            self.processes[i] = self._start()

    def _stop(self, _signum: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def _stop_all(self) -> None:
        for process in self.processes:
            if process.is_alive() and process.pid is not None:
                process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
        deadline = time.monotonic() + STOP_SECONDS
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
