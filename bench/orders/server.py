"""The real server in its own process: ``oms serve`` on a free port over a scratch database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

OMS = str(Path(sys.executable).with_name("oms"))
STARTUP_SECONDS = 30.0
STOP_SECONDS = 15.0


@dataclass(frozen=True)
class Server:
    url: str
    pid: int
    log: Path


def server_env(database_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {
        **os.environ,
        "OMS_DATABASE_URL": database_url,
        "OMS_EMBEDDED_WORKER": "0",
        "OMS_LOG_LEVEL": "warning",
        **(extra or {}),
    }


def migrate(database_url: str, extra_env: dict[str, str] | None = None) -> None:
    """``oms db upgrade``, as an operator would run it."""
    subprocess.run(
        [OMS, "db", "upgrade"],
        env=server_env(database_url, extra_env),
        check=True,
        capture_output=True,
    )


@contextmanager
def running_server(
    database_url: str, workers: int, log: Path, extra_env: dict[str, str] | None = None
) -> Iterator[Server]:
    """``oms serve --workers N``; its output goes to ``log``; stopped (SIGTERM) afterwards.
    ``extra_env``: more of its environment (another checkout's code on ``PYTHONPATH``)."""
    port = _free_port()
    command = [OMS, "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            env=server_env(database_url, extra_env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the workers stop with it
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_healthy(url, process, log)
        yield Server(url, process.pid, log)
    finally:
        _stop(process)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"oms serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"oms serve did not answer /health in {STARTUP_SECONDS:g} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the group we started, nothing else
        process.wait()
