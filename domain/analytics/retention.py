"""Old revenue forecasts are deleted nightly; the newest successful one of a series stays."""

from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

FORECAST_RUNS = timedelta(days=30)

PRUNE_FORECASTS = text(
    """
    DELETE FROM analytics.forecast_run
    WHERE started_at < now() - make_interval(secs => :age)
      AND id NOT IN (SELECT DISTINCT ON (scope, key) id FROM analytics.forecast_run
                     WHERE status = 'succeeded' ORDER BY scope, key, started_at DESC, id DESC)
    """
)


async def prune_forecasts(connection: AsyncConnection) -> int:
    """Delete forecast runs (and their points) past retention; returns runs deleted."""
    result = await connection.execute(PRUNE_FORECASTS, {"age": FORECAST_RUNS.total_seconds()})
    return result.rowcount or 0
