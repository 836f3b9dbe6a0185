"""CPU time of a process tree (the server and its workers, or a PostgreSQL server running
on this machine), read from /proc (Linux)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import psycopg

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU seconds of ``root`` and all its descendants so far, those that have
    ended included (a process's ended and waited-for children are in its own count); NaN
    off Linux."""
    stats = _all_stats()
    if not stats:
        return float("nan")
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += stats.get(pid, (0, 0.0))[1]
        todo += children.get(pid, [])
    return total


def _all_stats() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds of it and its ended children) of every process we
    can read."""
    found = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        fields = _stat_fields(entry)
        if fields is None:  # the process ended meanwhile
            continue
        ppid = int(fields[1])
        ticks = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
        found[int(entry.parent.name)] = (ppid, ticks / TICKS)
    return found


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process so far; 0 when it has ended."""
    fields = _stat_fields(Path(f"/proc/{pid}/stat"))
    return 0.0 if fields is None else (int(fields[11]) + int(fields[12])) / TICKS


def _stat_fields(path: Path) -> list[str] | None:
    """The fields of a ``/proc/<pid>/stat`` after the command's name (field 3 on: state,
    parent pid, …), or None when the process is gone."""
    try:
        text = path.read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def backends_cpu_seconds(conninfo: str, application: str) -> float:
    """The CPU seconds so far of the PostgreSQL backends (on this machine) of every
    connection that named itself ``application`` (``PGAPPNAME``): one server's share of a
    PostgreSQL server that another serves at the same time."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (application,)
        ).fetchall()
    return sum(process_cpu_seconds(int(pid)) for (pid,) in rows if is_local_backend(int(pid)))


def is_local_backend(pid: int) -> bool:
    """Whether ``pid`` here is a connection's PostgreSQL backend (not, say, a process that
    has the pid a server in a container or on another host gave its backend)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return command.startswith(b"postgres:") and Path(f"/proc/{pid}/schedstat").exists()


def postgres_cpu(conninfo: str) -> Callable[[], float] | None:
    """The CPU seconds so far of the PostgreSQL server behind ``conninfo`` (its postmaster
    and every process under it: backends, WAL writer, checkpointer), when that server runs
    on this machine; else None."""
    with psycopg.connect(conninfo) as conn:
        backend = conn.info.backend_pid
    if not is_local_backend(backend):
        return None
    fields = _stat_fields(Path(f"/proc/{backend}/stat"))
    if fields is None:
        return None
    postmaster = int(fields[1])
    return lambda: tree_cpu_seconds(postmaster)
