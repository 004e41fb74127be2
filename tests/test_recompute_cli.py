"""`bizgraph recompute` runs the chosen steps, records each run, and refuses unknown ones."""

import os
import subprocess
import sys

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.core.sessions import asyncpg_dsn


def _recompute(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "recompute", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DATABASE_URL": database_url},
        check=False,
    )


def test_an_unknown_step_gives_one_line(database_url: str) -> None:
    result = _recompute("--what", "horoscope", database_url=database_url)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "invalid choice: 'horoscope'" in result.stderr


async def test_chosen_steps_run_and_are_recorded(database_url: str, clean_db: AsyncEngine) -> None:
    result = _recompute("--what", "metrics", "--what", "campaigns", database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["metrics", "campaigns"]
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        runs = await connection.fetch("SELECT name, status FROM ops.job_run ORDER BY id")
    finally:
        await connection.close()
    assert [(r["name"], r["status"]) for r in runs] == [
        ("recompute_all_metrics", "succeeded"),
        ("recompute_campaigns", "succeeded"),
    ]


async def test_steps_run_as_of_a_past_day_and_not_of_a_future_one(
    database_url: str, clean_db: AsyncEngine
) -> None:
    future = _recompute("--as-of", "2999-01-01", database_url=database_url)
    assert future.returncode != 0
    assert "in the future" in future.stderr
    assert "Traceback" not in future.stderr
    malformed = _recompute("--as-of", "yesterday", database_url=database_url)
    assert malformed.returncode == 2 and "--as-of" in malformed.stderr
    past = _recompute("--what", "metrics", "--as-of", "2026-01-31", database_url=database_url)
    assert past.returncode == 0, past.stderr
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        details = await connection.fetchval(
            "SELECT details FROM ops.job_run WHERE name = 'recompute_all_metrics'"
        )
    finally:
        await connection.close()
    assert '"as_of": "2026-01-31"' in details
