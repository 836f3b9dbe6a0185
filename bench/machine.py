"""What the benchmark ran on, for the results file and docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
import shutil
import sqlite3
import subprocess
from pathlib import Path

import psycopg
import sqlalchemy as sa


def describe_machine() -> dict[str, str]:
    return {
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count()),
        "memory": _memory(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sa.__version__,
        "psycopg": psycopg.__version__,
    }


def busy_note(cores: int | None = None) -> str | None:
    """A warning when other work shares the machine: figures are then noisy and low."""
    one_minute = os.getloadavg()[0]
    if one_minute <= 0.5 * (cores or os.cpu_count() or 1):
        return None
    return f"load average was {one_minute:.2f} at the start: other processes shared the CPUs"


def _cpu_model() -> str:
    lscpu = shutil.which("lscpu")
    if lscpu:
        out = subprocess.run([lscpu], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory() -> str:
    meminfo = Path("/proc/meminfo")
    if not meminfo.exists():
        return "unknown"
    for line in meminfo.read_text().splitlines():
        if line.startswith("MemTotal:"):
            kib = int(line.split()[1])
            return f"{kib / 1024**2:.1f} GiB"
    return "unknown"
