"""``python -m bench orders-count``: the instructions the server runs per order, counted.

Timings on a shared machine move by ±15 % between runs a minute apart, more than most
changes do. ``valgrind --tool=callgrind`` counts the instructions of a process instead,
whatever else runs beside it. The benchmark's shop is seeded on a scratch database and
warmed with 50 orders; then a child process calls the ASGI app in-process (route handlers
inline, as ``bench.orders.profiling`` does) under callgrind, once for ``--base`` orders and
once for ``--base`` + ``--orders``: the difference divided by ``--orders`` is the server's
own work per order (Python, psycopg, pydantic; not the database's), start-up left out.

To compare two revisions, run it in each checkout (``git worktree add``). Needs valgrind
(Debian: ``apt-get install valgrind``). About six minutes with the defaults.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.orders.database import scratch_url
from bench.orders.seed import Shop, seed_shop
from bench.orders.server import migrate
from bench.settings import POSTGRES_ENV, postgres_url_from_env
from openoms.infra.db import Database

ROOT = Path(__file__).resolve().parents[2]
WARM_UP = 50
COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if shutil.which("valgrind") is None:
        raise SystemExit("orders-count needs valgrind (Debian: apt-get install valgrind)")
    postgres = postgres_url_from_env()
    if args.backend == "postgresql" and postgres is None:
        raise SystemExit(f"set {' or '.join(POSTGRES_ENV)}")
    with scratch_url(args.backend, postgres) as url, tempfile.TemporaryDirectory() as tmp:
        migrate(url)
        db = Database.from_url(url, pool_size=4)
        shop = seed_shop(db, 1_000, 5_000_000, 200)
        db.dispose()
        shop_file = Path(tmp) / "shop.json"
        shop_file.write_text(json.dumps(dataclasses.asdict(shop)))
        _child(url, shop_file, WARM_UP, None)
        counts = {
            n: _child(url, shop_file, n, Path(tmp)) for n in (args.base, args.base + args.orders)
        }
    low, high = counts[args.base], counts[args.base + args.orders]
    per_order = (high - low) / args.orders
    print(f"instructions, {args.base} orders: {low:,}")
    print(f"instructions, {args.base + args.orders} orders: {high:,}")
    print(f"per order ({args.backend}, server in-process): {per_order / 1e6:.3f} M")
    return 0


def _child(url: str, shop_file: Path, orders: int, out: Path | None) -> int:
    """Place ``orders`` orders in a child process; under callgrind when ``out`` is given,
    returning the instructions it counted."""
    command = [sys.executable, "-m", "bench.orders.count", "--child", url, str(shop_file)]
    command.append(str(orders))
    if out is not None:
        callgrind = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out / 'cg.out'}"]
        command = callgrind + command
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    if out is None:
        return 0
    found = COLLECTED.search(done.stderr)
    if found is None:
        raise RuntimeError(f"callgrind reported no count:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def _place(url: str, shop_file: Path, orders: int) -> None:
    """The child: ``orders`` orders through the ASGI app, one after another."""
    from bench.orders.bodies import OrderMaker
    from bench.orders.profiling import _Caller, _run_handlers_inline

    fields = json.loads(shop_file.read_text())
    shop = Shop(**{**fields, "skus": tuple(fields["skus"]), "emails": tuple(fields["emails"])})
    _run_handlers_inline()
    os.environ.update(OMS_DATABASE_URL=url, OMS_EMBEDDED_WORKER="0", OMS_LOG_LEVEL="warning")
    from openoms.entrypoints.bootstrap import application

    app = application()
    maker = OrderMaker(shop, "spread", 3, f"count-{orders}-{os.getpid()}")
    call = _Caller(app, shop.token)

    async def place_all() -> None:
        for _ in range(orders):
            await call.post_order(maker.body())

    asyncio.run(place_all())
    app.state.db.dispose()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench orders-count", description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--orders", type=int, default=100, help="orders counted (default 100)")
    parser.add_argument("--base", type=int, default=20, help="orders of the base run (default 20)")
    return parser


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _place(sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]))
        raise SystemExit(0)
    raise SystemExit(main())
