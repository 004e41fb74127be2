"""The demo's production: two-level bills of materials, work orders in every status, and
the stock, costs and books still agreeing afterwards."""

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.core.sessions import asyncpg_dsn
from domain.demo.production import add_production
from domain.demo.seed import seed_database
from domain.finance import reconciliation
from domain.production.states import WORK_ORDER_STATUSES
from tests.stock_checks import LEDGER_DRIFT


@pytest.fixture
async def produced(database_url: str, clean_db: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    # A small demo: parts are topped up by a stock count where they run short.
    await seed_database(database_url, customers=60, seed=3, today=date.today(), reset=True)
    report = await add_production(database_url)
    assert (report.boms, report.work_orders) == (7, 9)
    assert report.deals > 0
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    yield connection
    await connection.close()


async def test_every_work_order_status_and_two_levels(produced: asyncpg.Connection) -> None:
    statuses = {row[0] for row in await produced.fetch("SELECT status FROM production.work_order")}
    assert statuses == set(WORK_ORDER_STATUSES)
    # Products are made of subassemblies, which are made of bought parts.
    levels = await produced.fetchval(
        """
        SELECT count(*) FROM production.bom top
        JOIN production.bom_line l ON l.bom_id = top.id
        JOIN production.bom sub ON sub.stock_item_id = l.component_id AND sub.status = 'active'
        WHERE top.status = 'active'
        """
    )
    assert levels > 0
    revisions = await produced.fetch(
        "SELECT status, count(*) FROM production.bom GROUP BY status ORDER BY status"
    )
    assert {row[0]: row[1] for row in revisions} == {"active": 6, "draft": 1}


async def test_stock_costs_and_books_agree(produced: asyncpg.Connection) -> None:
    assert await produced.fetchval(LEDGER_DRIFT) == 0
    # What released and running work orders hold is reserved in the warehouse.
    held = await produced.fetchval(
        "SELECT sum(c.quantity_reserved) FROM production.work_order_component c "
        "JOIN production.work_order w ON w.id = c.work_order_id "
        "WHERE w.status IN ('released', 'in_progress')"
    )
    assert held > 0
    assert (
        await produced.fetchval(
            "SELECT count(*) FROM production.work_order_component c "
            "JOIN production.work_order w ON w.id = c.work_order_id "
            "WHERE w.status IN ('planned', 'completed', 'cancelled') AND c.quantity_reserved <> 0"
        )
        == 0
    )
    # Work in progress in the books is what the open work orders hold.
    in_books = await produced.fetchval(
        "SELECT coalesce(sum(l.debit - l.credit), 0) FROM finance.journal_line l "
        "JOIN finance.account a ON a.id = l.account_id WHERE a.purpose = 'work_in_progress'"
    )
    in_orders = await produced.fetchval(
        "SELECT coalesce(sum(material_cost + conversion_applied - output_value), 0) "
        "FROM production.work_order WHERE status = 'in_progress'"
    )
    assert Decimal(in_books) == Decimal(in_orders) > 0
    assert {
        name: await produced.fetchval(sql) for name, sql in reconciliation.CHECKS.items()
    } == dict.fromkeys(reconciliation.CHECKS, 0)
