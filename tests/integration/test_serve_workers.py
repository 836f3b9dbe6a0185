"""``oms serve --workers N`` as an operator runs it: the workers get the connections in equal
shares (the parent deals them out), a worker that dies is replaced, SIGTERM stops them all,
and a port already taken is a clear error. Linux only: it reads /proc."""

from __future__ import annotations

import asyncio
import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from openoms.entrypoints import serving

OMS = str(Path(sys.executable).with_name("oms"))
START_SECONDS = 60.0

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc to see the worker processes"
)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("serve")
    values = {
        **os.environ,
        "OMS_DATABASE_URL": f"sqlite:///{folder / 'oms.db'}",
        "OMS_EMBEDDED_WORKER": "0",
        "OMS_LOG_LEVEL": "warning",
        "OMS_SECRET_KEY": "s" * 40,
        "OMS_MAIL_FOLDER": str(folder / "mail"),
    }
    subprocess.run([OMS, "db", "upgrade"], env=values, check=True, capture_output=True)
    return values


def test_every_worker_takes_connections_and_a_dead_one_is_replaced(env: dict[str, str]) -> None:
    with _serving(env, workers=2) as (process, port):
        workers = _children(process.pid)
        assert len(workers) == 2
        # when: 32 keep-alive clients connect at once, as a busy integration's pool does
        clients = [httpx.Client(base_url=f"http://127.0.0.1:{port}") for _ in range(32)]
        try:
            assert all(c.get("/health").status_code == 200 for c in clients)
            held = _connections_by_pid(port, workers)
            # then: each worker holds half of them (by a hash of the addresses, 16/16 came
            # out about one time in seven)
            assert sorted(held.values()) == [16, 16], held
        finally:
            for c in clients:
                c.close()
        # when a worker dies, another takes its place and the server keeps answering, also
        # while the new one is still starting (only a started worker is dealt connections)
        os.kill(workers[0], signal.SIGKILL)
        # Reaped by the parent, not merely a zombie: a killed worker's leading thread turns
        # zombie while its other threads still exit, and its end of the channel (with any
        # connection dealt to it meanwhile) closes only with the last of them. Dealing in that
        # window cannot be helped; once the parent has reaped it, it deals to it no more.
        deadline = time.monotonic() + START_SECONDS
        while Path(f"/proc/{workers[0]}").exists():
            assert time.monotonic() < deadline, "the parent did not reap the killed worker"
            time.sleep(0.01)
        for _ in range(6):  # a connection dealt to the starting one would wait its start-up
            assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=1.5).status_code == 200
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            now = _children(process.pid)
            if len(now) == 2 and workers[0] not in now:
                break
            time.sleep(0.2)
        assert workers[0] not in _children(process.pid)
        assert len(_children(process.pid)) == 2
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200
    # SIGTERM (by _serving) stopped the parent and both workers
    assert process.returncode == 0
    for pid in workers[1:]:
        assert _gone(pid)


def test_workers_stop_when_their_parent_is_killed(env: dict[str, str]) -> None:
    with _serving(env, workers=2) as (process, port):
        workers = _children(process.pid)
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}")
        assert client.get("/health").status_code == 200
        os.kill(process.pid, signal.SIGKILL)  # no SIGTERM, no clean-up
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline and not all(map(_gone, workers)):
            time.sleep(0.2)
        client.close()
        assert all(map(_gone, workers)), "workers outlived their parent"


def _gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists() or _zombie(pid)


def test_a_port_already_taken_stops_the_server_with_an_error(env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [OMS, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
            env=env,
            capture_output=True,
            text=True,
            timeout=START_SECONDS,
        )
    assert result.returncode != 0
    assert "Address already in use" in result.stdout + result.stderr


def _dies_at_once(_channel: socket.socket, _log_level: str) -> None:
    raise SystemExit(1)  # as a worker does whose app cannot start


def test_workers_that_keep_dying_stop_the_server_instead_of_restarting_forever() -> None:
    listener = serving._listener("127.0.0.1", 0)
    supervisor = serving.Supervisor(listener, 2, "warning", target=_dies_at_once)
    with pytest.raises(SystemExit) as stopped, listener:
        supervisor.run()
    assert stopped.value.code == 3
    assert len(supervisor.restarts) == serving.RESTARTS_ALLOWED
    assert not any(p.is_alive() for p in supervisor.processes)


@contextmanager
def _serving(env: dict[str, str], workers: int) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [OMS, "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen([*command, "--workers", str(workers)], env=env)
    try:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            assert process.poll() is None, "oms serve exited while starting"
            if len(_children(process.pid)) == workers and _answers(port):
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"oms serve --workers {workers} did not start in {START_SECONDS}s")
        # every worker listens once /health answers from all of them
        time.sleep(1.0)
        yield process, port
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.wait(timeout=START_SECONDS)


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _children(pid: int) -> list[int]:
    """The server's worker processes (not multiprocessing's resource tracker)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in map(int, (task / "children").read_text().split()):
            try:
                command = Path(f"/proc/{child}/cmdline").read_bytes()
            except FileNotFoundError:
                continue
            if b"resource_tracker" not in command and not _zombie(child):
                found.append(child)
    return found


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def _connections_by_pid(port: int, pids: list[int]) -> dict[int, int]:
    """Established connections on ``port`` held by each of ``pids`` (from /proc/net/tcp)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "01":  # ESTABLISHED
                inodes.add(fields[9])
    held = {}
    for pid in pids:
        sockets = set()
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                sockets.add(target[8:-1])
        held[pid] = len(sockets & inodes)
    return held


async def _stalling_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A worker's app for the tests below: ``/stall`` blocks the worker's event loop (as a
    long synchronous call would), ``/slow`` takes a while without blocking it."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["path"] == "/stall":
        time.sleep(3)
    if scope["path"] == "/slow":
        await asyncio.sleep(2)
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]}
    )
    await send({"type": "http.response.body", "body": b"ok"})


def _stalling_worker(channel: socket.socket, log_level: str) -> None:
    config = uvicorn.Config(_stalling_app, log_level=log_level, lifespan="on")
    serving.HandedConnectionsServer(config, channel).run()


@contextmanager
def _supervising(workers: int) -> Iterator[tuple[serving.Supervisor, int]]:
    listener = serving._listener("127.0.0.1", 0)
    supervisor = serving.Supervisor(listener, workers, "warning", target=_stalling_worker)
    thread = threading.Thread(target=supervisor._supervise, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + START_SECONDS
        while not (supervisor.ready and all(supervisor.ready)):
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.05)
        yield supervisor, listener.getsockname()[1]
    finally:
        supervisor.stopping = True
        thread.join(START_SECONDS)
        listener.close()


def _get(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


def test_connections_wait_while_every_worker_is_stalled_instead_of_being_dropped() -> None:
    with _supervising(workers=2) as (_supervisor, port):
        stalls = [threading.Thread(target=_get, args=(port, "/stall")) for _ in range(2)]
        for stall in stalls:
            stall.start()
        time.sleep(0.3)  # both workers' event loops are stuck for 3 s
        # more connections than the two workers' queues hold (about 278 each)
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(640)]
        for stall in stalls:
            stall.join()
        answered = 0
        for client in clients:
            with client:
                client.settimeout(30)
                client.sendall(b"GET / HTTP/1.1\r\nHost: oms\r\nConnection: close\r\n\r\n")
                answered += client.recv(64).startswith(b"HTTP/1.1 200")
    assert answered == 640


def test_a_worker_asked_to_stop_takes_no_new_connections_and_stops() -> None:
    with _supervising(workers=2) as (supervisor, port):
        stopping = supervisor.processes[0]
        slow = threading.Thread(target=lambda: [_get(port, "/slow") for _ in range(2)])
        slow.start()
        time.sleep(0.3)
        assert stopping.pid is not None
        os.kill(stopping.pid, signal.SIGTERM)  # as an operator recycling one worker does
        time.sleep(0.3)
        # keep-alive clients that connect after the signal are served by the other worker
        clients = [httpx.Client(base_url=f"http://127.0.0.1:{port}") for _ in range(4)]
        try:
            deadline = time.monotonic() + 15
            while stopping.is_alive() and time.monotonic() < deadline:
                assert all(c.get("/").status_code == 200 for c in clients)
                time.sleep(0.2)
        finally:
            for client in clients:
                client.close()
        slow.join()
        assert not stopping.is_alive(), "the stopping worker kept taking connections"
