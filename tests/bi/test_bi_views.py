"""The `bi` views answer a BI login role, hold correct figures, and expose nothing else."""

import base64
import uuid
from collections.abc import AsyncIterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import asyncpg
import pytest

from api.bi_role import BiRoleError, ensure_bi_role, scram_verifier
from domain.analytics import bi_views
from domain.core.model_base import SCHEMAS
from domain.core.sessions import asyncpg_dsn
from tests.bi.conftest import BiRole

pytestmark = pytest.mark.usefixtures("company")

VIEWS = {
    "work_orders",
    "customer_360",
    "sales_order_lines",
    "invoices_aging",
    "revenue_daily",
    "revenue_forecast",
    "pipeline",
    "campaign_performance",
    "inventory_status",
    "employee_directory",
    "gl_entries",
    "trial_balance_monthly",
    "receivables_aging",
}
BI_DOC = Path(__file__).resolve().parents[2] / "docs" / "BI.md"
SECRET_WORDS = ("salary", "password", "secret", "token", "payload", "idempotency", "request_hash")


@pytest.fixture
async def admin(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    yield connection
    await connection.close()


async def test_schema_bi_holds_the_documented_views(admin: asyncpg.Connection) -> None:
    rows = await admin.fetch("SELECT viewname FROM pg_views WHERE schemaname = 'bi'")
    assert {row["viewname"] for row in rows} == VIEWS
    undocumented = await admin.fetch(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'bi' AND obj_description(c.oid, 'pg_class') IS NULL"
    )
    assert undocumented == []


async def test_every_view_answers_the_bi_role(bi_role: BiRole) -> None:
    connection = await bi_role.connect()
    try:
        for view in sorted(VIEWS):
            rows = await connection.fetch(f"SELECT * FROM bi.{view} LIMIT 5")
            # Forecasts come from the worker, which these tests do not run.
            assert rows or view == "revenue_forecast", view
    finally:
        await connection.close()


async def test_every_table_is_denied_to_the_bi_role(
    bi_role: BiRole, admin: asyncpg.Connection
) -> None:
    tables = await admin.fetch(
        "SELECT schemaname, tablename FROM pg_tables WHERE schemaname = ANY($1::text[])",
        [*SCHEMAS, "public"],
    )
    assert {row["schemaname"] for row in tables} == {*SCHEMAS, "public"}
    connection = await bi_role.connect()
    try:
        for row in tables:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await connection.fetch(f'SELECT 1 FROM "{row[0]}"."{row[1]}" LIMIT 1')
    finally:
        await connection.close()


async def test_the_bi_role_cannot_write_or_create(bi_role: BiRole) -> None:
    connection = await bi_role.connect()
    try:
        for view in sorted(VIEWS):
            rights = await connection.fetchrow(
                "SELECT has_table_privilege($1, 'SELECT') AS reads, has_table_privilege($1, "
                "'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') AS writes",
                f"bi.{view}",
            )
            assert (rights["reads"], rights["writes"]) == (True, False), view
        assert await connection.fetchval("SHOW default_transaction_read_only") == "on"
        # Without the read-only default, privileges alone still refuse to create anything.
        await connection.execute("SET default_transaction_read_only = off")
        for schema in ("bi", "public", "crm"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await connection.execute(f"CREATE TABLE {schema}.scratch (id int)")
    finally:
        await connection.close()


async def test_no_view_exposes_salaries_or_secrets(admin: asyncpg.Connection) -> None:
    columns = await admin.fetch(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'bi'"
    )
    assert columns
    for row in columns:
        assert not any(word in row["column_name"] for word in SECRET_WORDS), dict(row)
    # Which table columns the views read, from the catalog's dependency records.
    used = await admin.fetch(
        "SELECT DISTINCT n.nspname AS schema, t.relname AS table_name, a.attname AS column_name "
        "FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid "
        "JOIN pg_class v ON v.oid = r.ev_class JOIN pg_namespace vn ON vn.oid = v.relnamespace "
        "JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace n ON n.oid = t.relnamespace "
        "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid "
        "WHERE vn.nspname = 'bi' AND d.refobjsubid > 0 AND t.oid <> v.oid"
    )
    read = {(row["schema"], row["table_name"], row["column_name"]) for row in used}
    assert ("erp", "employee", "name") in read
    assert ("erp", "employee", "salary") not in read
    assert not any(schema == "ops" for schema, _, _ in read)
    assert not any(column in ("details", "error") for _, _, column in read)


async def test_the_password_is_stored_only_as_a_scram_verifier(
    bi_role: BiRole, admin: asyncpg.Connection
) -> None:
    stored = await admin.fetchval(
        "SELECT rolpassword FROM pg_authid WHERE rolname = $1", bi_role.name
    )
    assert stored.startswith("SCRAM-SHA-256$4096:")
    assert bi_role.password not in stored


async def test_our_verifier_is_the_one_postgresql_computes(admin: asyncpg.Connection) -> None:
    name = f"bizgraph_scram_test_{uuid.uuid4().hex[:8]}"
    password = "correct horse battery staple"
    async with admin.transaction():
        await admin.execute("SET LOCAL password_encryption = 'scram-sha-256'")
        await admin.execute(f"CREATE ROLE {name} PASSWORD '{password}'")
        theirs = await admin.fetchval("SELECT rolpassword FROM pg_authid WHERE rolname = $1", name)
        await admin.execute(f"DROP ROLE {name}")
    iterations, salt = theirs.split("$")[1].split(":")
    assert (
        scram_verifier(password, salt=base64.b64decode(salt), iterations=int(iterations)) == theirs
    )


async def test_rerunning_takes_back_anything_else_granted(
    bi_role: BiRole, admin: asyncpg.Connection, database_url: str
) -> None:
    await admin.execute(f"GRANT SELECT ON crm.customer TO {bi_role.name}")
    await admin.execute(f"GRANT pg_read_all_data TO {bi_role.name}")
    await ensure_bi_role(database_url, name=bi_role.name, password=bi_role.password)
    connection = await bi_role.connect()
    try:
        for table in ("crm.customer", "erp.employee"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await connection.fetch(f"SELECT 1 FROM {table} LIMIT 1")
        assert await connection.fetchval("SELECT count(*) FROM bi.customer_360") > 0
    finally:
        await connection.close()


async def test_views_added_later_are_granted_by_default_privileges(
    bi_role: BiRole, admin: asyncpg.Connection
) -> None:
    await admin.execute("CREATE VIEW bi.added_later AS SELECT 42 AS answer")
    try:
        connection = await bi_role.connect()
        try:
            assert await connection.fetchval("SELECT answer FROM bi.added_later") == 42
        finally:
            await connection.close()
    finally:
        await admin.execute("DROP VIEW bi.added_later")


async def test_privileged_roles_are_never_taken_over(
    database_url: str, admin: asyncpg.Connection
) -> None:
    creator = f"bizgraph_creator_test_{uuid.uuid4().hex[:8]}"
    await admin.execute(f"CREATE ROLE {creator} LOGIN CREATEDB")
    try:
        for name in (await admin.fetchval("SELECT current_user"), creator, "pg_monitor"):
            with pytest.raises(BiRoleError, match=r"not a plain login role|reserved"):
                await ensure_bi_role(database_url, name=name, password="whatever-it-is")
        assert await admin.fetchval("SELECT rolcreatedb FROM pg_roles WHERE rolname = $1", creator)
    finally:
        await admin.execute(f"DROP ROLE {creator}")


async def test_the_views_are_the_read_rules_of_today(admin: asyncpg.Connection) -> None:
    """The migrated views are the ones `domain.analytics.bi_views` renders from the read rules
    now: a changed rule fails here until a migration recreates the views with its new text."""
    stale = []
    for name, sql in bi_views.rendered().items():
        async with admin.transaction():
            await admin.execute(f"CREATE TEMP VIEW rendered_{name} AS {sql}")
            live, rendered = await admin.fetchrow(
                "SELECT pg_get_viewdef($1::regclass), pg_get_viewdef($2::regclass)",
                f"bi.{name}",
                f"pg_temp.rendered_{name}",
            )
            await admin.execute(f"DROP VIEW pg_temp.rendered_{name}")
        if live != rendered:
            stale.append(name)
    assert stale == [], (
        f"bi.{', bi.'.join(stale)} no longer follow the read rules: add a migration recreating "
        "them with the SQL `python -m domain.analytics.bi_views` prints"
    )


async def test_customer_360_carries_the_metrics(admin: asyncpg.Connection) -> None:
    mismatched = await admin.fetchval(
        "SELECT count(*) FROM bi.customer_360 v JOIN analytics.customer_metrics m "
        "USING (customer_id) WHERE v.lifetime_revenue <> m.lifetime_revenue "
        "OR v.open_balance <> m.open_balance"
    )
    assert mismatched == 0
    assert await admin.fetchval("SELECT count(*) FROM bi.customer_360") == await admin.fetchval(
        "SELECT count(*) FROM crm.customer"
    )


async def test_invoices_aging_buckets_what_is_due(admin: asyncpg.Connection) -> None:
    rows = await admin.fetch(
        "SELECT amount_due, days_overdue, aging_bucket, bucket_order FROM bi.invoices_aging"
    )
    assert rows
    bounds = {"current": (0, 0), "1-30": (1, 30), "31-60": (31, 60), "61-90": (61, 90)}
    for row in rows:
        assert row["amount_due"] > 0
        low, high = bounds.get(row["aging_bucket"], (91, 10**6))
        assert low <= row["days_overdue"] <= high, dict(row)
        assert row["bucket_order"] == [*bounds, "90+"].index(row["aging_bucket"])
    # What is due is what payments and credit notes left of an invoice, never below zero.
    due = await admin.fetchval(
        "SELECT sum(greatest(i.total - coalesce((SELECT sum(amount) FROM erp.payment p "
        "WHERE p.invoice_id = i.id), 0) - coalesce((SELECT sum(total) FROM erp.credit_note n "
        "WHERE n.invoice_id = i.id), 0), 0)) FROM erp.invoice i WHERE i.status <> 'void'"
    )
    assert await admin.fetchval("SELECT count(*) FROM erp.credit_note") > 0
    assert sum((row["amount_due"] for row in rows), Decimal(0)) == due


async def test_revenue_daily_adds_up_to_the_sales(admin: asyncpg.Connection) -> None:
    from_view = await admin.fetchval("SELECT sum(revenue) FROM bi.revenue_daily")
    sales = await admin.fetchval(
        "SELECT sum(subtotal) FROM erp.sales_order WHERE status IN ('placed', 'confirmed', 'fulfilled')"
    )
    assert from_view == sales > 0
    lines = await admin.fetchval("SELECT count(*) FROM bi.sales_order_lines")
    assert lines == await admin.fetchval("SELECT count(*) FROM erp.sales_order_line")


async def test_pipeline_weighs_amounts_by_probability(admin: asyncpg.Connection) -> None:
    rows = await admin.fetch(
        "SELECT amount, probability, weighted_amount, is_open, stage FROM bi.pipeline"
    )
    assert rows
    for row in rows:
        expected = (row["amount"] * row["probability"] / 100).quantize(
            Decimal("0.01"), ROUND_HALF_UP
        )
        assert row["weighted_amount"] == expected
        assert row["is_open"] == (row["stage"] not in ("won", "lost"))


async def test_inventory_and_campaigns_count_what_the_tables_hold(
    admin: asyncpg.Connection,
) -> None:
    on_hand = await admin.fetchval("SELECT sum(on_hand) FROM bi.inventory_status")
    assert on_hand == await admin.fetchval("SELECT sum(on_hand) FROM erp.stock_level")
    members = await admin.fetchval("SELECT sum(members) FROM bi.campaign_performance")
    assert members == await admin.fetchval("SELECT count(*) FROM crm.campaign_member")
    staff = await admin.fetchval("SELECT count(*) FROM bi.employee_directory")
    assert staff == await admin.fetchval("SELECT count(*) FROM erp.employee")


async def test_revenue_forecast_shows_the_latest_successful_run(admin: asyncpg.Connection) -> None:
    transaction = admin.transaction()
    await transaction.start()
    try:
        runs = {}
        for label, status, finished in (
            ("old", "succeeded", "2026-06-01"),
            ("latest", "succeeded", "2026-06-08"),
            ("broken", "failed", "2026-06-09"),
        ):
            runs[label] = await admin.fetchval(
                "INSERT INTO analytics.forecast_run (scope, key, status, finished_at) "
                "VALUES ('company', '', $1, $2::date) RETURNING id",
                status,
                date.fromisoformat(finished),
            )
            await admin.execute(
                "INSERT INTO analytics.revenue_forecast_point (run_id, day, revenue, revenue_low, "
                "revenue_high) VALUES ($1, '2026-07-01', 100, 90, 110)",
                runs[label],
            )
        shown = await admin.fetch("SELECT run_id FROM bi.revenue_forecast WHERE scope = 'company'")
        assert [row["run_id"] for row in shown] == [runs["latest"]]
    finally:
        await transaction.rollback()


async def test_docs_describe_every_column_of_every_view(admin: asyncpg.Connection) -> None:
    document = BI_DOC.read_text()
    sections = {part.split("`", 1)[0]: part for part in document.split("\n### `bi.")[1:]}
    assert set(sections) == VIEWS
    columns = await admin.fetch(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'bi'"
    )
    missing = [
        f"{row['table_name']}.{row['column_name']}"
        for row in columns
        if f"`{row['column_name']}`" not in sections[row["table_name"]]
    ]
    assert missing == []


async def test_the_ledger_views_agree_with_the_documents(admin: asyncpg.Connection) -> None:
    from_ledger = await admin.fetch(
        "SELECT invoice_id, open_amount, aging_bucket FROM bi.receivables_aging ORDER BY 1"
    )
    from_documents = await admin.fetch(
        "SELECT invoice_id, amount_due, aging_bucket FROM bi.invoices_aging ORDER BY 1"
    )
    assert from_ledger and [tuple(row) for row in from_ledger] == [
        tuple(row) for row in from_documents
    ]
    monthly = await admin.fetch(
        "SELECT month, sum(debit) AS debit, sum(credit) AS credit "
        "FROM bi.trial_balance_monthly GROUP BY month"
    )
    assert monthly and all(row["debit"] == row["credit"] for row in monthly)
    balances = await admin.fetchval(
        "SELECT sum(net) FROM bi.gl_entries WHERE account_code = '1200'"
    )
    assert balances == sum((row["open_amount"] for row in from_ledger), Decimal(0))
