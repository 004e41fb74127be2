"""What an operator watches in the database: outbox backlog, background runs, forecast ages.

Read at every metrics scrape, so each query is small: the pending outbox is a partial
index, and `ops.job_run` / `analytics.forecast_run` hold one row per batch run.
"""

from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

OUTBOX = text(
    """
    SELECT (SELECT count(*) FROM ops.outbox WHERE processed_at IS NULL),
           (SELECT extract(epoch FROM now() - created_at) FROM ops.outbox
            WHERE processed_at IS NULL ORDER BY id LIMIT 1),
           (SELECT count(*) FROM ops.outbox_effect),
           (SELECT extract(epoch FROM now() - min(created_at)) FROM ops.outbox_effect)
    """
)
JOB_RUNS = text(
    """
    SELECT name,
           extract(epoch FROM now() - max(finished_at) FILTER (WHERE status = 'succeeded')),
           (array_agg(extract(epoch FROM finished_at - started_at) ORDER BY started_at DESC)
               FILTER (WHERE finished_at IS NOT NULL))[1],
           count(*) FILTER (WHERE status = 'succeeded' AND started_at > now() - interval '1 day'),
           count(*) FILTER (WHERE status = 'failed' AND started_at > now() - interval '1 day')
    FROM ops.job_run
    GROUP BY name
    """
)
# Per scope, the stalest of the latest successful runs of its keys (tier, category...).
FORECAST_AGES = text(
    """
    SELECT scope, extract(epoch FROM now() - min(latest))
    FROM (SELECT scope, key, max(finished_at) AS latest FROM analytics.forecast_run
          WHERE status = 'succeeded' GROUP BY scope, key) AS runs
    GROUP BY scope
    """
)


@dataclass(frozen=True)
class JobRunStats:
    last_success_age_s: float | None
    last_duration_s: float | None
    succeeded_24h: int
    failed_24h: int


@dataclass(frozen=True)
class OperationalSnapshot:
    outbox_backlog: int
    outbox_oldest_age_s: float
    effects_owed: int = 0
    oldest_effect_age_s: float = 0.0
    job_runs: dict[str, JobRunStats] = field(default_factory=dict)
    forecast_age_s: dict[str, float] = field(default_factory=dict)


def _seconds(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


async def snapshot(connection: AsyncConnection) -> OperationalSnapshot:
    """The current backlog and run ages, in three small statements."""
    backlog, oldest, owed, oldest_owed = (await connection.execute(OUTBOX)).one()
    jobs = {
        name: JobRunStats(_seconds(age), _seconds(duration), int(succeeded), int(failed))
        for name, age, duration, succeeded, failed in await connection.execute(JOB_RUNS)
    }
    forecasts = {scope: float(age) for scope, age in await connection.execute(FORECAST_AGES)}
    return OperationalSnapshot(
        int(backlog),
        _seconds(oldest) or 0.0,
        int(owed),
        _seconds(oldest_owed) or 0.0,
        jobs,
        forecasts,
    )
