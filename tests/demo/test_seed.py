"""Demo data: deterministic, complete, and consistent with the business invariants."""

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.core.sessions import asyncpg_dsn
from domain.crm.opportunity_stages import OPPORTUNITY_STAGES
from domain.crm.ticket_states import TICKET_CATEGORIES, TICKET_STATUSES
from domain.crm.vocabulary import CUSTOMER_STATUSES, CUSTOMER_TIERS, INTERACTION_CHANNELS
from domain.demo.seed import database_is_empty, generate, seed_database
from domain.erp.delivery_states import DELIVERY_STATUSES
from domain.erp.invoice_states import INVOICE_STATUSES
from domain.erp.order_states import ORDER_STATUSES
from domain.erp.purchase_order_states import PURCHASE_ORDER_STATUSES
from domain.erp.quote_states import STORED_QUOTE_STATUSES
from domain.finance import reconciliation
from domain.finance.models import BILL_STATUSES

TODAY = date(2026, 6, 30)
HASHED_TABLES = (
    "crm.customer",
    "erp.sales_order_line",
    "erp.invoice",
    "erp.payment",
    "erp.stock_level",
)


@pytest.fixture
async def seeded(database_url: str, clean_db: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    await seed_database(database_url, customers=150, seed=7, today=TODAY, reset=True)
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    yield connection
    await connection.close()


async def _values(connection: asyncpg.Connection, sql: str) -> set[str]:
    return {row[0] for row in await connection.fetch(sql)}


async def _fingerprint(connection: asyncpg.Connection) -> dict[str, str]:
    return {
        table: await connection.fetchval(
            f"SELECT md5(string_agg(t::text, '|' ORDER BY t.id)) FROM {table} t"
        )
        for table in HASHED_TABLES
    }


async def test_same_seed_gives_identical_data(
    database_url: str, seeded: asyncpg.Connection
) -> None:
    first = await _fingerprint(seeded)
    await seed_database(database_url, customers=150, seed=7, today=TODAY, reset=True)
    assert await _fingerprint(seeded) == first
    await seed_database(database_url, customers=150, seed=8, today=TODAY, reset=True)
    assert await _fingerprint(seeded) != first


async def test_every_vocabulary_value_is_present(seeded: asyncpg.Connection) -> None:
    expectations = {
        "SELECT DISTINCT tier FROM crm.customer": CUSTOMER_TIERS,
        "SELECT DISTINCT status FROM crm.customer": CUSTOMER_STATUSES,
        "SELECT DISTINCT channel FROM crm.interaction": INTERACTION_CHANNELS,
        "SELECT DISTINCT stage FROM crm.opportunity": OPPORTUNITY_STAGES,
        "SELECT DISTINCT category FROM crm.ticket": TICKET_CATEGORIES,
        "SELECT DISTINCT status FROM crm.ticket": TICKET_STATUSES,
        "SELECT DISTINCT status FROM crm.campaign_member": ("targeted", "responded", "converted"),
        "SELECT DISTINCT status FROM erp.sales_order": ORDER_STATUSES,
        "SELECT DISTINCT status FROM erp.delivery": DELIVERY_STATUSES,
        "SELECT DISTINCT status FROM erp.invoice": INVOICE_STATUSES,
        "SELECT DISTINCT status FROM erp.purchase_order": PURCHASE_ORDER_STATUSES,
        "SELECT DISTINCT status FROM finance.supplier_bill": BILL_STATUSES,
        "SELECT DISTINCT status FROM erp.quote": STORED_QUOTE_STATUSES,
    }
    for sql, expected in expectations.items():
        assert await _values(seeded, sql) == set(expected), sql


async def test_business_facts_the_demo_must_show(seeded: asyncpg.Connection) -> None:
    facts = {
        "late deliveries": "SELECT count(*) FROM erp.delivery WHERE delivered_at > expected_at",
        "overdue invoices": "SELECT count(*) FROM erp.invoice "
        "WHERE status IN ('issued', 'partially_paid') AND due_on < DATE '2026-06-30'",
        "complaints about orders": "SELECT count(*) FROM crm.ticket WHERE category = 'complaint' "
        "AND sales_order_id IS NOT NULL",
        "stock below reorder point": "SELECT count(*) FROM erp.stock_level l JOIN erp.stock_item i "
        "ON i.id = l.stock_item_id WHERE l.on_hand - l.reserved < i.reorder_point",
        "won deals with orders": "SELECT count(*) FROM crm.opportunity WHERE stage = 'won' "
        "AND sales_order_id IS NOT NULL",
        "employees with managers": "SELECT count(*) FROM erp.employee WHERE manager_id IS NOT NULL",
        "expired quotes": "SELECT count(*) FROM erp.quote WHERE status = 'sent' "
        "AND valid_until < DATE '2026-06-30'",
        "quotes that became orders": "SELECT count(*) FROM erp.quote q JOIN erp.sales_order o "
        "ON o.id = q.sales_order_id AND o.ordered_at = q.decided_at",
        "returns credited": "SELECT count(*) FROM erp.credit_note WHERE sales_return_id IS NOT NULL",
        "refunds still owed": "SELECT count(*) FROM erp.credit_note n WHERE n.refund_amount > "
        "(SELECT coalesce(sum(amount), 0) FROM erp.refund r WHERE r.credit_note_id = n.id)",
        "overdue supplier bills": "SELECT count(*) FROM finance.supplier_bill "
        "WHERE status IN ('open', 'partially_paid') AND due_on < DATE '2026-06-30'",
        "bills with price differences": "SELECT count(*) FROM finance.supplier_bill "
        "WHERE status <> 'void' AND price_difference <> 0",
        "campaign control groups": "SELECT count(*) FROM crm.campaign_member WHERE held_out",
        "goods received not invoiced": "SELECT count(*) FROM erp.purchase_order o "
        "WHERE o.status IN ('received', 'partially_received') AND NOT EXISTS "
        "(SELECT 1 FROM finance.supplier_bill b WHERE b.purchase_order_id = o.id)",
    }
    for name, sql in facts.items():
        assert await seeded.fetchval(sql) > 0, name
    unmanaged = await seeded.fetchval(
        "SELECT count(*) FROM crm.customer WHERE account_manager_id IS NULL"
    )
    assert unmanaged == 0


async def test_customers_keep_joining_and_their_addresses_are_plain_ascii(
    seeded: asyncpg.Connection,
) -> None:
    # A base in its steady state: customers joined before the history starts and go on
    # joining through both of its years.
    joined = await seeded.fetch(
        "SELECT CASE WHEN created_at < $1 THEN 'before' WHEN created_at < $2 THEN 'first' "
        "ELSE 'second' END AS period, count(*) FROM crm.customer GROUP BY 1",
        datetime(2024, 6, 30, tzinfo=UTC),
        datetime(2025, 6, 30, tzinfo=UTC),
    )
    assert {row["period"]: row["count"] > 0 for row in joined} == {
        "before": True,
        "first": True,
        "second": True,
    }
    for table in ("crm.customer", "crm.contact", "erp.employee"):
        unusable = await seeded.fetchval(
            f"SELECT count(*) FROM {table} WHERE email !~ '^[a-z0-9.-]+@[a-z0-9.-]+$'"
        )
        assert unusable == 0, table


async def test_orders_and_deliveries_follow_their_lifecycle(seeded: asyncpg.Connection) -> None:
    # An order is fulfilled when every unit arrived: none has a delivery still on its way,
    # and each has its goods delivered. Some orders are still on their way, as confirmed.
    on_the_way = await seeded.fetch(
        "SELECT o.status, count(*) FROM erp.delivery d JOIN erp.sales_order o "
        "ON o.id = d.sales_order_id WHERE d.status = 'in_transit' GROUP BY 1"
    )
    assert {row["status"] for row in on_the_way} == {"confirmed"}
    undelivered = await seeded.fetchval(
        "SELECT count(*) FROM erp.sales_order o WHERE o.status = 'fulfilled' AND NOT EXISTS "
        "(SELECT 1 FROM erp.delivery d WHERE d.sales_order_id = o.id AND d.status = 'delivered')"
    )
    assert undelivered == 0


async def test_nothing_has_happened_after_the_history_ends(seeded: asyncpg.Connection) -> None:
    # The seeder runs at any hour of `today`; an event stamped later today would be in the
    # future of the queries that follow. Only planned instants (expected arrivals) may be.
    columns = await seeded.fetch(
        "SELECT table_schema || '.' || table_name AS tbl, column_name FROM information_schema.columns "
        "WHERE table_schema IN ('crm', 'erp') AND data_type = 'timestamp with time zone' "
        "AND column_name <> 'expected_at'"
    )
    assert len(columns) > 30
    history_ends = datetime.combine(TODAY, time(), UTC)
    for column in columns:
        latest = await seeded.fetchval(f"SELECT max({column['column_name']}) FROM {column['tbl']}")
        assert latest is None or latest <= history_ends, (column["tbl"], column["column_name"])


async def test_stock_levels_equal_their_ledger(seeded: asyncpg.Connection) -> None:
    mismatches = await seeded.fetchval(
        """
        SELECT count(*) FROM erp.stock_level l
        LEFT JOIN (SELECT stock_item_id, warehouse_id, sum(delta_on_hand) AS on_hand,
                          sum(delta_reserved) AS reserved
                   FROM erp.stock_movement GROUP BY 1, 2) m USING (stock_item_id, warehouse_id)
        WHERE coalesce(m.on_hand, 0) <> l.on_hand OR coalesce(m.reserved, 0) <> l.reserved
           OR l.reserved > l.on_hand
        """
    )
    assert mismatches == 0
    open_quantities = await seeded.fetchval(
        """
        SELECT coalesce(sum(l.quantity - coalesce(s.shipped, 0)), 0)
        FROM erp.sales_order_line l JOIN erp.sales_order o ON o.id = l.sales_order_id
        LEFT JOIN (SELECT dl.sales_order_line_id, sum(dl.quantity) AS shipped
                   FROM erp.delivery_line dl JOIN erp.delivery d ON d.id = dl.delivery_id
                   WHERE d.status <> 'failed' GROUP BY 1) s ON s.sales_order_line_id = l.id
        WHERE o.status IN ('placed', 'confirmed')
        """
    )
    assert open_quantities == await seeded.fetchval("SELECT sum(reserved) FROM erp.stock_level")


async def test_money_adds_up(seeded: asyncpg.Connection) -> None:
    checks = {
        "order totals equal their lines": """
            SELECT count(*) FROM erp.sales_order o JOIN (
              SELECT sales_order_id, sum(line_total) AS net, sum(tax_amount) AS tax
              FROM erp.sales_order_line GROUP BY 1) l ON l.sales_order_id = o.id
            WHERE l.net <> o.subtotal OR l.tax <> o.tax_total""",
        "invoice totals equal their lines": """
            SELECT count(*) FROM erp.invoice i JOIN (
              SELECT invoice_id, sum(line_total) AS net, sum(tax_amount) AS tax
              FROM erp.invoice_line GROUP BY 1) l ON l.invoice_id = i.id
            WHERE l.net <> i.subtotal OR l.tax <> i.tax_total""",
        # Paid means nothing is left to pay: credit notes may have taken part of it back.
        "payments never exceed the invoice": """
            SELECT count(*) FROM erp.invoice i JOIN (
              SELECT invoice_id, sum(amount) AS paid FROM erp.payment GROUP BY 1) p
              ON p.invoice_id = i.id
            LEFT JOIN (SELECT invoice_id, sum(total) AS credited FROM erp.credit_note
                       GROUP BY 1) c ON c.invoice_id = i.id
            WHERE p.paid > i.total OR i.status = 'void'
               OR (i.status = 'paid' AND p.paid + coalesce(c.credited, 0) < i.total)""",
        "credit notes equal their lines and never take back more than was billed": """
            SELECT count(*) FROM erp.credit_note n
            LEFT JOIN (SELECT credit_note_id, sum(line_total) AS net, sum(tax_amount) AS tax
                       FROM erp.credit_note_line GROUP BY 1) l ON l.credit_note_id = n.id
            JOIN erp.invoice i ON i.id = n.invoice_id
            WHERE l.net <> n.subtotal OR l.tax <> n.tax_total OR n.total > i.total
               OR (i.status = 'credited') <> (n.total = i.total)""",
        "bill totals equal their lines": """
            SELECT count(*) FROM finance.supplier_bill b JOIN (
              SELECT supplier_bill_id, sum(net) AS net FROM finance.supplier_bill_line
              GROUP BY 1) l ON l.supplier_bill_id = b.id
            WHERE l.net <> b.net""",
    }
    for name, sql in checks.items():
        assert await seeded.fetchval(sql) == 0, name


async def test_the_books_agree_with_the_operations(seeded: asyncpg.Connection) -> None:
    assert {
        name: await seeded.fetchval(sql) for name, sql in reconciliation.CHECKS.items()
    } == dict.fromkeys(reconciliation.CHECKS, 0)
    kinds = await _values(seeded, "SELECT DISTINCT event FROM finance.journal_entry")
    assert kinds >= {
        "invoice.issued",
        "payment.recorded",
        "delivery.created",
        "delivery.failed",
        "purchase_order.received",
        "stock.opening_balance",
    }


async def test_refuses_a_database_that_already_has_customers(
    database_url: str, seeded: asyncpg.Connection
) -> None:
    assert not await database_is_empty(database_url)
    before = await seeded.fetchval("SELECT count(*) FROM erp.sales_order")
    with pytest.raises(ValueError, match="already holds customers"):
        await seed_database(database_url, customers=10, seed=1, today=TODAY)
    assert await seeded.fetchval("SELECT count(*) FROM erp.sales_order") == before


async def test_identities_continue_after_seeded_ids(seeded: asyncpg.Connection) -> None:
    top = await seeded.fetchval("SELECT max(id) FROM crm.customer")
    new_id = await seeded.fetchval(
        "INSERT INTO crm.customer (code, name) VALUES ('NEW-1', 'New Customer') RETURNING id"
    )
    assert new_id == top + 1


@pytest.mark.parametrize("seed", range(1, 9))
def test_a_tiny_demo_generates_with_any_seed(seed: int) -> None:
    # Thirty customers leave some kinds of rows empty (no accepted quote, say): every
    # generator must cope with that.
    frame = generate(customers=30, seed=seed, years=2, today=TODAY)
    assert len(frame.tables["crm.customer"]) == 30
    assert str(frame.tables["erp.quote"]["decided_at"].dtype).startswith("datetime64")
