"""`bizgraph recompute`: run analytics steps now, in this process, with a progress bar each.

Model fits use a process pool of this machine's cores, like the worker's. Every step is
recorded as a run (`ops.job_run`); a failing step is reported and the others still run.
"""

import asyncio
import os
import sys
import time
from collections.abc import Sequence
from datetime import date
from typing import Any

ALL = "all"


def expand(choices: Sequence[str] | None) -> list[str]:
    """The steps to run, in dependency-free but sensible order (all when none given)."""
    from domain.analytics.recompute import STEPS

    wanted = set(choices or [ALL])
    return [name for name in STEPS if ALL in wanted or name in wanted]


class _Bar:
    """A tqdm bar behind the domain's `Progress` protocol."""

    def __init__(self, description: str, show: bool) -> None:
        from tqdm import tqdm

        self.bar: Any = tqdm(desc=f"{description:<42}", total=1, disable=not show, leave=True)

    def start(self, total: int) -> None:
        self.bar.reset(total=max(total, 1))

    def advance(self, done: int = 1) -> None:
        self.bar.update(done)

    def close(self) -> None:
        # A step that reported no progress of its own is done all the same: never leave a
        # bar at 0 %.
        self.bar.n = self.bar.total
        self.bar.refresh()
        self.bar.close()


async def run(
    database_url: str,
    steps: Sequence[str],
    *,
    show_progress: bool = True,
    as_of: date | None = None,
) -> list[str]:
    """Run `steps` (as of the start of `as_of`, default today); print one line per step;
    return the names of the steps that failed."""
    from domain.analytics.pool import process_pool
    from domain.analytics.prophet_model import quiet
    from domain.analytics.recompute import STEPS, run_step
    from domain.core.sessions import create_engine

    engine = create_engine(database_url, pool_size=2)
    pool = process_pool(os.cpu_count() or 1, quiet)
    failed: list[str] = []
    show = show_progress and sys.stderr.isatty()
    try:
        for name in steps:
            bar = _Bar(STEPS[name].description, show)
            started = time.perf_counter()
            try:
                record = await run_step(engine, name, executor=pool, progress=bar, as_of=as_of)
            except Exception as error:
                bar.close()
                print(f"{name}: failed ({error.__class__.__name__}: {error})", flush=True)
                failed.append(name)
                continue
            bar.close()
            seconds = time.perf_counter() - started
            print(f"{name}: {record.rows:,} rows in {seconds:.1f} s", flush=True)
    finally:
        pool.shutdown(cancel_futures=True)
        await engine.dispose()
    return failed


def run_sync(database_url: str, steps: Sequence[str], *, as_of: date | None = None) -> list[str]:
    return asyncio.run(run(database_url, steps, as_of=as_of))
