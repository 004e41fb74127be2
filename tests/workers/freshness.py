"""Figures the workers keep, marked as freshly computed, so a started worker has no catch-up.

A worker's start-up runs every recompute step without a successful run in the last 20
hours (a fresh install gets its forecasts at once). Tests of other behaviour start workers
against a database whose figures count as fresh, dated an hour ago.
"""

import asyncpg

from domain.analytics.recompute import STEPS

MARKED_AGO = "1 hour"


async def mark_figures_fresh(db: asyncpg.Connection) -> None:
    await db.executemany(
        "INSERT INTO ops.job_run (name, status, started_at, finished_at) "
        f"VALUES ($1, 'succeeded', now() - interval '{MARKED_AGO}', "
        f"now() - interval '{MARKED_AGO}')",
        [(step.run_name,) for step in STEPS.values()],
    )
