"""``oms serve --workers N``: N server processes, and a parent that deals them connections.

uvicorn's own workers share one listening socket, and whichever process wakes first
accepts every connection waiting: with keep-alive clients (a web shop's or a marketplace's
integration holds its connections open) one process can end up with nearly all of them
while the others idle; measured, 15 of 16 benchmark connections on one of two workers.
One ``SO_REUSEPORT`` socket per worker spreads connections by a hash of their addresses,
which is fair only on average: 16 connections landed 5/11, 6/10 or 7/9 on two workers in
most of twelve tries, and the busier worker set the tail latency.

So the parent accepts, and hands each new connection to the next worker in turn over a
Unix socket (``SCM_RIGHTS``); the worker serves it as if it had accepted it. Accepting is
all the parent does with a connection: the requests go straight to the worker. 16
connections land 8/8. A worker says when its app has started; until then (a replacement
still importing the app takes seconds) it is dealt nothing while another worker is up.
The parent also restarts a worker that dies and stops them all on SIGINT or SIGTERM.
Where file descriptors cannot be passed (Windows), uvicorn's own workers serve.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import selectors
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
BACKLOG = 2048  # uvicorn's default
ACCEPTS_PER_TURN = 64  # then see to the workers before accepting more
READY = b"ready"  # a worker to its parent, once its app has started

log = structlog.get_logger()

WorkerTarget = Callable[[socket.socket, str], None]


def serve(host: str, port: int, workers: int, log_level: str) -> None:
    """Serve the app on host:port with ``workers`` processes; returns when stopped."""
    if workers <= 1 or not hasattr(socket, "send_fds"):
        uvicorn.run(APP, factory=True, host=host, port=port, workers=workers, log_level=log_level)
        return
    listener = _listener(host, port)  # a taken port or a bad address fails here
    try:
        Supervisor(listener, workers, log_level).run()
    finally:
        listener.close()


def _listener(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    sock.setblocking(False)
    return sock


def _worker(channel: socket.socket, log_level: str) -> None:
    """One worker process: one uvicorn server fed the connections sent over ``channel``."""
    config = uvicorn.Config(APP, factory=True, log_level=log_level)
    HandedConnectionsServer(config, channel).run()


class HandedConnectionsServer(uvicorn.Server):
    """A uvicorn server without a listening socket: it serves the connections another
    process accepted and sent over ``channel`` (one message, one file descriptor each), and
    stops when that process is gone."""

    def __init__(self, config: uvicorn.Config, channel: socket.socket) -> None:
        super().__init__(config)
        self.channel = channel

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:  # noqa: ARG002
        await super().startup(sockets=[])
        loop = asyncio.get_running_loop()
        self.channel.setblocking(False)
        loop.add_reader(self.channel.fileno(), self._take, loop)
        try:
            self.channel.send(READY)
        except OSError:  # the parent is gone already
            self._parent_gone(loop)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Take no more connections (the parent hears it and deals them elsewhere), then
        finish the ones taken, as uvicorn does."""
        self._stop_taking(asyncio.get_running_loop())
        await super().shutdown(sockets=sockets)

    def _stop_taking(self, loop: asyncio.AbstractEventLoop) -> None:
        if self.channel.fileno() < 0:
            return
        loop.remove_reader(self.channel.fileno())
        with contextlib.suppress(OSError):
            self.channel.shutdown(socket.SHUT_WR)  # the parent reads end-of-file
        while True:  # sent before the parent heard: nobody will serve them here
            try:
                _message, fds, _flags, _address = socket.recv_fds(self.channel, 1, 1)
            except OSError:
                break
            if not fds:
                break
            for fd in fds:
                os.close(fd)
        self.channel.close()

    def _parent_gone(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.remove_reader(self.channel.fileno())
        self.should_exit = True  # finish what is in flight, then stop

    def _protocol(self) -> asyncio.Protocol:
        protocol: asyncio.Protocol = self.config.http_protocol_class(  # type: ignore[call-arg]
            config=self.config, server_state=self.server_state, app_state=self.lifespan.state
        )
        return protocol

    def _take(self, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            try:
                message, fds, _flags, _address = socket.recv_fds(self.channel, 1, 1)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # reset: the parent is gone
                message, fds = b"", []
            if not message:
                self._parent_gone(loop)
                return
            for fd in fds:
                connection = socket.socket(fileno=fd)
                task = loop.create_task(loop.connect_accepted_socket(self._protocol, connection))
                task.add_done_callback(_forget_early_hang_up)


def _forget_early_hang_up(task: asyncio.Task[object]) -> None:
    """A client that hung up between the parent's accept and the worker's turn."""
    if not task.cancelled() and isinstance(task.exception(), OSError):
        log.info("serve.connection_lost_before_serving", error=str(task.exception()))


class Supervisor:
    """Starts ``workers`` processes running ``target(channel, log_level)``, deals them the
    connections ``listener`` accepts, in turn, and keeps them running until SIGINT or
    SIGTERM."""

    def __init__(
        self,
        listener: socket.socket,
        workers: int,
        log_level: str,
        target: WorkerTarget = _worker,
    ) -> None:
        self.listener = listener
        self.target = target
        self.log_level = log_level
        self.count = workers
        self.context = multiprocessing.get_context("spawn")
        self.processes: list[BaseProcess] = []
        self.channels: list[socket.socket] = []
        self.ready: list[bool] = []
        self.selector = selectors.DefaultSelector()
        self.restarts: deque[float] = deque()
        self.turn = 0
        self.waiting: socket.socket | None = None  # accepted, no worker could take it yet
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
        host, port = self.listener.getsockname()[:2]
        self.selector.register(self.listener, selectors.EVENT_READ)
        for _ in range(self.count):
            process, channel = self._start()
            self.processes.append(process)
            self.channels.append(channel)
            self.ready.append(False)
        log.info("serve.started", workers=self.count, url=f"http://{host}:{port}")
        try:
            while not self.stopping:
                timeout = 0.05 if self.waiting is not None else 0.5
                for key, _events in self.selector.select(timeout=timeout):
                    if key.fileobj is self.listener:
                        self._deal()
                    else:
                        self._heard_from(key.data)
                self._replace_dead()
                if self.waiting is not None:
                    self._deal()
        finally:
            self._stop_all()
            self.selector.close()

    def _start(self) -> tuple[BaseProcess, socket.socket]:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        process = self.context.Process(
            target=self.target, args=(theirs, self.log_level), daemon=False
        )
        try:
            process.start()
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()  # the worker has its own copy
        ours.setblocking(False)
        self.selector.register(ours, selectors.EVENT_READ, data=ours)
        return process, ours

    def _heard_from(self, channel: socket.socket) -> None:
        """A worker said it is ready, or hung up (it died: ``_replace_dead`` sees to it)."""
        try:
            message = channel.recv(16)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            message = b""
        i = self.channels.index(channel)
        if message == READY:
            self.ready[i] = True
        elif not message:
            self.ready[i] = False
            self.selector.unregister(channel)

    def _deal(self) -> None:
        """Send each connection waiting to the next worker that is ready and takes it (one
        that died, or whose queue is full, is skipped). While no worker is ready (the
        server is starting), to the next one that takes it, which serves it once started.
        When none takes it, it waits here, and the next ones in the kernel's backlog, until
        one does."""
        for _ in range(ACCEPTS_PER_TURN):
            if self.waiting is None:
                try:
                    self.waiting, _address = self.listener.accept()
                except (BlockingIOError, InterruptedError):
                    return
                except OSError as error:  # out of file descriptors, say: try again soon
                    log.warning("serve.accept_failed", error=str(error))
                    time.sleep(0.05)
                    return
            if not self._hand(self.waiting, ready_only=any(self.ready)):
                if self.listener.fileno() in self.selector.get_map():
                    self.selector.unregister(self.listener)  # the backlog holds the rest
                return
            self.waiting.close()  # the worker has its own copy
            self.waiting = None
            if self.listener.fileno() not in self.selector.get_map():
                self.selector.register(self.listener, selectors.EVENT_READ)

    def _hand(self, connection: socket.socket, *, ready_only: bool) -> bool:
        for _ in range(len(self.channels)):
            i = self.turn % len(self.channels)
            self.turn += 1
            if ready_only and not self.ready[i]:
                continue
            try:
                socket.send_fds(self.channels[i], [b"c"], [connection.fileno()])
                return True
            except OSError:
                continue
        return False

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
            old = self.channels[i]
            if old.fileno() in self.selector.get_map():
                self.selector.unregister(old)
            old.close()
            self.ready[i] = False
            try:
                self.processes[i], self.channels[i] = self._start()
            except OSError as error:  # no process could be started: try again next turn
                log.error("serve.worker_not_started", error=str(error))

    def _stop(self, _signum: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def _stop_all(self) -> None:
        # No new connections while the workers finish theirs: refused at once, not left
        # waiting in the backlog.
        if self.listener.fileno() in self.selector.get_map():
            self.selector.unregister(self.listener)
        self.listener.close()
        if self.waiting is not None:
            self.waiting.close()
        for process in self.processes:
            if process.is_alive() and process.pid is not None:
                process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
        deadline = time.monotonic() + STOP_SECONDS
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        for channel in self.channels:
            channel.close()
