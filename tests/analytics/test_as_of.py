"""Every analytics step computed as of a past day uses nothing that happened from that day
on: more orders, payments, customers, campaign members and deals after it change nothing."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.analytics import recompute, revenue_forecast
from domain.analytics.backtest import BacktestSettings
from domain.core.sessions import asyncpg_dsn
from domain.demo.seed import seed_database

TODAY = date(2026, 6, 30)
AS_OF = TODAY - timedelta(days=60)
AFTER = datetime.combine(AS_OF + timedelta(days=1), time(10), tzinfo=UTC)

# What each step stores, without when it was computed.
STORED = {
    "metrics": "SELECT * FROM analytics.customer_metrics ORDER BY customer_id",
    "customers": "SELECT * FROM analytics.customer_forecast ORDER BY customer_id",
    "campaigns": "SELECT * FROM analytics.campaign_metrics ORDER BY campaign_id",
    "demand": "SELECT * FROM analytics.demand_forecast ORDER BY stock_item_id",
    "revenue": "SELECT r.model, r.mase, r.history_from, r.history_to, r.as_of, p.day, "
    "p.revenue, p.revenue_low, p.revenue_high FROM analytics.forecast_run r "
    "JOIN analytics.revenue_forecast_point p ON p.run_id = r.id "
    "WHERE r.id = (SELECT max(id) FROM analytics.forecast_run) ORDER BY p.day",
}
UNSTABLE = {"computed_at", "run_id"}


@pytest.fixture
async def company(database_url: str, clean_db: AsyncEngine) -> Any:
    await seed_database(database_url, customers=120, seed=9, today=TODAY, reset=True)
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    # The first buyer was touched by a campaign three days before the as-of day: an order
    # of theirs after it would fall inside the attribution window.
    await connection.execute(
        "WITH running AS (INSERT INTO crm.campaign (name, channel, status, budget, starts_on) "
        "VALUES ('Spring push', 'email', 'active', 5000, $1) RETURNING id) "
        "INSERT INTO crm.campaign_member (campaign_id, customer_id, added_at) "
        "SELECT running.id, (SELECT customer_id FROM erp.sales_order ORDER BY id LIMIT 1), $2 "
        "FROM running",
        AS_OF - timedelta(days=10),
        datetime.combine(AS_OF - timedelta(days=3), time(9), tzinfo=UTC),
    )
    yield connection
    await connection.close()


async def everything_as_of(engine: AsyncEngine, db: asyncpg.Connection) -> dict[str, Any]:
    for step in ("metrics", "customers", "campaigns", "demand"):
        await recompute.run_step(engine, step, as_of=AS_OF)
    await revenue_forecast.forecast_revenue(
        engine,
        executor=None,
        as_of=AS_OF,
        scopes=("company",),
        settings=BacktestSettings(horizon=90, window=365, step=120),
    )
    return {
        name: [{k: v for k, v in row.items() if k not in UNSTABLE} for row in await db.fetch(sql)]
        for name, sql in STORED.items()
    }


async def happen_after(db: asyncpg.Connection) -> None:
    """A large order with a line, a payment, a new customer buying, a new campaign member
    and a new deal: all after the as-of day."""
    customer, warehouse = await db.fetchrow(
        "SELECT customer_id, warehouse_id FROM erp.sales_order ORDER BY id LIMIT 1"
    )
    item = await db.fetchval("SELECT id FROM erp.stock_item ORDER BY id LIMIT 1")
    newcomer = await db.fetchval(
        "INSERT INTO crm.customer (code, name) VALUES ('LATE-1', 'Late Ltd') RETURNING id"
    )
    for number, buyer in (("SO-LATE-1", customer), ("SO-LATE-2", newcomer)):
        order = await db.fetchval(
            "INSERT INTO erp.sales_order (number, customer_id, warehouse_id, status, ordered_at, "
            "subtotal, total) VALUES ($1, $2, $3, 'fulfilled', $4, 99999, 99999) RETURNING id",
            number,
            buyer,
            warehouse,
            AFTER,
        )
        await db.execute(
            "INSERT INTO erp.sales_order_line (sales_order_id, line_no, stock_item_id, quantity, "
            "list_price, unit_price, line_total) VALUES ($1, 1, $2, 500, 199.998, 199.998, 99999)",
            order,
            item,
        )
    invoice, due = await db.fetchrow(
        "SELECT i.id, i.total - i.amount_paid - i.amount_credited FROM erp.invoice i "
        "WHERE i.status <> 'void' AND i.issued_on < $1 "
        "AND i.total - i.amount_paid - i.amount_credited > 0 ORDER BY i.id LIMIT 1",
        AS_OF,
    )
    await db.execute(
        "INSERT INTO erp.payment (number, invoice_id, customer_id, amount, received_at) "
        "SELECT 'PAY-LATE-1', id, customer_id, $2, $3 FROM erp.invoice WHERE id = $1",
        invoice,
        due,
        AFTER,
    )
    await db.execute(
        "INSERT INTO crm.campaign_member (campaign_id, customer_id, added_at) "
        "SELECT id, $1, $2 FROM crm.campaign ORDER BY id LIMIT 1",
        newcomer,
        AFTER,
    )
    await db.execute(
        "INSERT INTO crm.opportunity (customer_id, name, stage, amount, probability, "
        "expected_close_on) VALUES ($1, 'Late deal', 'negotiation', 1000000, 90, $2)",
        customer,
        AS_OF + timedelta(days=20),
    )


async def test_nothing_from_the_as_of_day_on_is_used(
    engine: AsyncEngine, company: asyncpg.Connection
) -> None:
    before = await everything_as_of(engine, company)
    assert all(before.values()), {name: len(rows) for name, rows in before.items()}
    # The history ends with the day before.
    assert before["revenue"][0]["as_of"] == AS_OF
    assert before["revenue"][0]["history_to"] == AS_OF - timedelta(days=1)
    assert before["revenue"][0]["day"] == AS_OF
    assert max(row["last_order_at"] or AFTER.replace(year=2000) for row in before["metrics"]) < (
        datetime.combine(AS_OF, time.min, tzinfo=UTC)
    )
    await happen_after(company)
    assert await everything_as_of(engine, company) == before
    # As of today, the same steps do see it.
    await recompute.run_step(engine, "metrics")
    assert (
        await company.fetchval(
            "SELECT lifetime_revenue FROM analytics.customer_metrics m JOIN crm.customer c "
            "ON c.id = m.customer_id WHERE c.code = 'LATE-1'"
        )
        == 99999
    )
