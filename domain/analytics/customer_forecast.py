"""Customer forecast value (`analytics.customer_forecast`): the next 90 days of each customer.

Purchases are days with at least one placed, confirmed or fulfilled order (orders on the
same day are one purchase worth their summed net value), counted from the customer's first
purchase. The nightly run (and `bizgraph recompute --as-of`) fits the models on the history
up to the last complete day before `as_of` (UTC), as every step does, stores the
parameters with the run, and counts in the pipeline only opportunities created before
`as_of`; a recompute after an event reuses the parameters and only rescores that customer,
with its purchases up to now (its order of a minute ago included). Customers who never
bought get no model figures (BG/NBD starts at a first purchase), only their pipeline.

`computed_at` is when the data was read: the nightly run reads, then computes for a while,
then writes, and must not overwrite a customer that a recompute after an event brought
further in the meantime (rows are only replaced by figures read at the same time or later).

The pipeline is the open opportunities expected to close within the horizon (overdue ones
included: they are still open), each weighted by its win probability. It is kept apart
from the model's revenue: a won deal becomes an order the model may already expect.
"""

import asyncio
from concurrent.futures import Executor
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.analytics import clv
from domain.analytics.clv_interval import Customers
from domain.analytics.daily import ORDER_DAY, SALES_STATUSES, utc_today
from domain.analytics.progress import Progress, Silent
from domain.analytics.runs import latest_details
from domain.crm.opportunity_stages import OPEN_STAGES

RUN = "forecast_customers"
HORIZON_DAYS = 90
METHOD = "BG/NBD + Gamma-Gamma"
NO_PURCHASES = "pipeline only (no purchase yet)"
CHUNK = 2_000

_HISTORIES = f"""
WITH days AS (
    SELECT o.customer_id, {ORDER_DAY} AS day, sum(o.subtotal) AS value
    FROM erp.sales_order o
    WHERE o.status IN {SALES_STATUSES} AND o.ordered_at < :until {{filter}}
    GROUP BY 1, 2
), numbered AS (
    SELECT *, row_number() OVER (PARTITION BY customer_id ORDER BY day) AS n FROM days
)
SELECT customer_id, count(*) - 1 AS x, max(day) - min(day) AS t_x,
       CAST(:as_of AS date) - min(day) AS age,
       -- mean of repeat purchases; the first purchase only stands in when there is none
       coalesce(avg(value) FILTER (WHERE n > 1), max(value)) AS m
FROM numbered GROUP BY customer_id ORDER BY customer_id
"""

_HOLDOUT = text(
    f"""
    WITH bounds AS (SELECT CAST(:cut AS date) AS cut, CAST(:as_of AS date) AS as_of)
    SELECT customer_id,
           count(DISTINCT day) FILTER (WHERE day > cut) AS orders,
           coalesce(sum(subtotal) FILTER (WHERE day > cut), 0) AS revenue,
           count(DISTINCT day) FILTER (WHERE day <= cut) AS previous_orders,
           coalesce(sum(subtotal) FILTER (WHERE day <= cut), 0) AS previous_revenue
    FROM (SELECT o.customer_id, {ORDER_DAY} AS day, o.subtotal FROM erp.sales_order o
          WHERE o.status IN {SALES_STATUSES}) o, bounds
    WHERE day > cut - CAST(:days AS integer) AND day <= as_of
    GROUP BY customer_id
    """
)

_WRITE = """
WITH scored AS (
    SELECT * FROM unnest(CAST(:ids AS bigint[]), CAST(:orders AS float8[]),
                         CAST(:revenue AS float8[]), CAST(:low AS float8[]),
                         CAST(:high AS float8[]), CAST(:alive AS float8[]))
           AS s(customer_id, orders, revenue, low, high, alive)
), pipeline AS (
    SELECT customer_id, round(sum(amount * probability) / 100, 2) AS value
    FROM crm.opportunity
    WHERE stage IN {open_stages}
      AND expected_close_on <= CAST(:as_of AS date) + CAST(:days AS integer)
      AND created_at < coalesce(CAST(:until AS timestamptz), 'infinity') {pipeline_filter}
    GROUP BY customer_id
)
INSERT INTO analytics.customer_forecast (
    customer_id, expected_orders_90d, expected_revenue_90d, revenue_low, revenue_high,
    probability_alive, pipeline_value, method, computed_at)
SELECT c.id, coalesce(round(s.orders::numeric, 3), 0), coalesce(round(s.revenue::numeric, 2), 0),
       coalesce(round(s.low::numeric, 2), 0), coalesce(round(s.high::numeric, 2), 0),
       round(s.alive::numeric, 4), coalesce(p.value, 0),
       CASE WHEN s.customer_id IS NULL THEN :no_purchases ELSE :method END,
       coalesce(CAST(:computed_at AS timestamptz), now())
FROM crm.customer c
LEFT JOIN scored s ON s.customer_id = c.id
LEFT JOIN pipeline p ON p.customer_id = c.id
{customer_filter}
ON CONFLICT (customer_id) DO UPDATE SET
    expected_orders_90d = EXCLUDED.expected_orders_90d,
    expected_revenue_90d = EXCLUDED.expected_revenue_90d,
    revenue_low = EXCLUDED.revenue_low, revenue_high = EXCLUDED.revenue_high,
    probability_alive = EXCLUDED.probability_alive, pipeline_value = EXCLUDED.pipeline_value,
    method = EXCLUDED.method, computed_at = EXCLUDED.computed_at
WHERE analytics.customer_forecast.computed_at <= EXCLUDED.computed_at
"""
OPEN = "(" + ", ".join(f"'{stage}'" for stage in OPEN_STAGES) + ")"
WRITE_ALL = text(
    _WRITE.format(
        pipeline_filter="",
        # As of a day: customers that did not exist yet get no row.
        customer_filter="WHERE c.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')",
        open_stages=OPEN,
    )
)
WRITE_ONE = text(
    _WRITE.format(
        pipeline_filter="AND customer_id = :customer_id",
        customer_filter="WHERE c.id = :customer_id",
        open_stages=OPEN,
    )
)


async def histories(
    connection: AsyncConnection, as_of: date, customer_id: int | None = None
) -> Customers:
    """Each buying customer's (x, t_x, T, m) as of the end of `as_of`."""
    one = customer_id is not None
    sql = _HISTORIES.format(filter="AND o.customer_id = :customer_id" if one else "")
    until = datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=UTC)
    params: dict[str, Any] = {"until": until, "as_of": as_of, "customer_id": customer_id}
    rows = (await connection.execute(text(sql), params)).all()
    ids, x, t_x, age, m = list(zip(*rows, strict=True)) if rows else [()] * 5
    return Customers(
        np.asarray(ids, dtype=np.int64),
        *(np.asarray(column, dtype=float) for column in (x, t_x, age, m)),
    )


async def forecast_customers(
    engine: AsyncEngine,
    *,
    executor: Executor | None,
    as_of: date | None = None,
    progress: Progress | None = None,
) -> tuple[int, dict[str, Any]]:
    """The nightly run: validate, fit over everyone, score everyone; (rows, details).

    The details hold the fitted parameters, which `recompute_customer` reuses.
    """
    as_of = as_of or utc_today()
    progress = progress or Silent()
    through = as_of - timedelta(days=1)  # the last complete day
    cut = through - timedelta(days=HORIZON_DAYS)
    async with engine.connect() as connection:
        read_at = await connection.scalar(text("SELECT now()"))
        everyone = await histories(connection, through)
        calibration = await histories(connection, cut)
        holdout = await _holdout(connection, calibration, cut, through)
    if not clv.can_fit(everyone):
        # Too young a business to fit: no figures rather than made-up ones.
        return 0, {"as_of": as_of.isoformat(), "customers": len(everyone.ids), "fitted": False}
    loop = asyncio.get_running_loop()
    starts = range(0, len(everyone.ids), CHUNK)
    progress.start(len(starts) + 1)

    async def validate() -> dict[str, Any] | None:
        if not clv.can_fit(calibration):
            return None
        return await loop.run_in_executor(
            executor, clv.validate, calibration, holdout, HORIZON_DAYS
        )

    models, validation = await asyncio.gather(
        loop.run_in_executor(executor, clv.fit, everyone), validate()
    )
    progress.advance()

    levels = clv.interval_levels(validation)

    async def score(start: int) -> clv.Scores:
        part = await loop.run_in_executor(
            executor,
            partial(clv.score, levels=levels),
            models,
            _slice(everyone, start),
            HORIZON_DAYS,
        )
        progress.advance()
        return part

    scores = _concatenate(await asyncio.gather(*(score(start) for start in starts)))
    details = {**models.details, "as_of": as_of.isoformat(), "horizon_days": HORIZON_DAYS}
    details["validation"] = validation
    until = datetime.combine(as_of, time.min, tzinfo=UTC)
    async with engine.begin() as connection:
        stored = await store(connection, everyone, scores, as_of, read_at=read_at, until=until)
        return stored, details


async def recompute_customer(
    connection: AsyncConnection, customer_id: int, *, as_of: date | None = None
) -> int:
    """Rescore one customer with the stored parameters (nothing before the first fit)."""
    details = await latest_details(connection, RUN)
    if details is None or "bgnbd" not in details:
        return 0
    as_of = as_of or utc_today()
    customer = await histories(connection, as_of, customer_id)
    scores = clv.score(
        clv.Models.from_details(details),
        customer,
        HORIZON_DAYS,
        levels=clv.interval_levels(details.get("validation")),
    )
    return await store(connection, customer, scores, as_of, customer_id=customer_id)


async def _holdout(
    connection: AsyncConnection, calibration: Customers, cut: date, as_of: date
) -> clv.Holdout:
    rows = await connection.execute(_HOLDOUT, {"cut": cut, "as_of": as_of, "days": HORIZON_DAYS})
    found = {int(row[0]): [float(v) for v in row[1:]] for row in rows}
    figures = np.array([found.get(int(i), [0.0] * 4) for i in calibration.ids]).reshape(-1, 4)
    return clv.Holdout(*(figures[:, k] for k in range(4)))


async def store(
    connection: AsyncConnection,
    customers: Customers,
    scores: clv.Scores,
    as_of: date,
    *,
    customer_id: int | None = None,
    read_at: datetime | None = None,
    until: datetime | None = None,
) -> int:
    """Upsert scored customers (all, or one with `customer_id`) with their pipeline.

    `read_at` is when the scored data was read (default: this transaction's start); a
    stored row computed later than that is left alone. `until`: only opportunities created
    before it count (default: all).
    """
    params = {
        "ids": [int(i) for i in customers.ids],
        "orders": [float(v) for v in scores.expected_orders],
        "revenue": [float(v) for v in scores.expected_revenue],
        "low": [float(v) for v in scores.low],
        "high": [float(v) for v in scores.high],
        "alive": [float(v) for v in scores.probability_alive],
        "as_of": as_of,
        "days": HORIZON_DAYS,
        "method": METHOD,
        "no_purchases": NO_PURCHASES,
        "customer_id": customer_id,
        "computed_at": read_at,
        "until": until,
    }
    result = await connection.execute(WRITE_ALL if customer_id is None else WRITE_ONE, params)
    return result.rowcount or 0


def _slice(customers: Customers, start: int) -> Customers:
    return customers.part(slice(start, start + CHUNK))


def _concatenate(parts: list[clv.Scores]) -> clv.Scores:
    fields = ("expected_orders", "probability_alive", "expected_revenue", "low", "high")
    return clv.Scores(*(np.concatenate([getattr(p, f) for p in parts]) for f in fields))
