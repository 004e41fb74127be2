"""`bizgraph seed`: generate the demo company and load it with COPY in one transaction.

Loading follows what pg_restore does for speed without giving up integrity: secondary
indexes and foreign keys are dropped inside the transaction, the data is copied, and then
indexes are rebuilt and every foreign key is re-added — which validates all rows at once.
Check, unique and primary-key constraints stay in force throughout. If anything fails,
the transaction rolls back and the database is as it was.
"""

import asyncio
import io
import time as clock
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import asyncpg
import pandas as pd
from sqlalchemy import exists, select

from domain.core import bulk_load
from domain.core.access import Viewer
from domain.core.journal import Journal
from domain.core.model_base import SCHEMAS
from domain.core.sessions import asyncpg_dsn, create_engine, session_factory
from domain.demo.bills import generate_bills
from domain.demo.catalog import generate_catalog
from domain.demo.corrections import generate_corrections
from domain.demo.customers import (
    generate_campaigns,
    generate_contacts,
    generate_customers,
    generate_interactions,
)
from domain.demo.frame import Frame
from domain.demo.fulfilment import generate_deliveries, generate_invoices
from domain.demo.orders import generate_orders
from domain.demo.people import generate_people
from domain.demo.pipeline import (
    generate_campaign_members,
    generate_opportunities,
    generate_tickets,
    plan_campaign_members,
)
from domain.demo.quotes import generate_quotes
from domain.demo.segments import generate_segments
from domain.demo.stock import generate_purchase_orders, generate_stock
from domain.finance import bulk_books, chart, closing, periods
from domain.finance.models import JournalEntry

# Generators in dependency order: each may use what earlier ones left in `frame.pools`.
GENERATORS: tuple[Callable[[Frame], None], ...] = (
    generate_people,
    generate_catalog,
    generate_campaigns,
    generate_customers,
    plan_campaign_members,
    generate_contacts,
    generate_interactions,
    generate_orders,
    generate_deliveries,
    generate_invoices,
    generate_corrections,
    generate_purchase_orders,
    generate_bills,
    generate_stock,
    generate_campaign_members,
    generate_opportunities,
    generate_tickets,
    generate_quotes,
    generate_segments,
)


@dataclass
class SeedReport:
    customers: int
    seed: int
    rows: dict[str, int] = field(default_factory=dict)
    generate_seconds: float = 0.0
    load_seconds: float = 0.0
    books: bulk_books.BooksReport | None = None
    closed_through: date | None = None

    def __str__(self) -> str:
        total = sum(self.rows.values())
        biggest = ", ".join(
            f"{name.split('.')[1]} {count:,}"
            for name, count in sorted(self.rows.items(), key=lambda item: -item[1])[:6]
        )
        return (
            f"seeded {self.customers:,} customers (seed {self.seed}): {total:,} rows in "
            f"{len(self.rows)} tables ({biggest}, …); generated in {self.generate_seconds:.1f} s, "
            f"loaded in {self.load_seconds:.1f} s"
            + (f"; {self.books}" if self.books else "")
            + (f", books closed through {self.closed_through:%Y-%m}" if self.closed_through else "")
        )


def generate(*, customers: int, seed: int, years: int, today: date) -> Frame:
    """All demo tables as DataFrames (pure: no database)."""
    frame = Frame(seed=seed, customers=customers, years=years, today=today)
    for step in GENERATORS:
        step(frame)
    return frame


async def database_is_empty(database_url: str) -> bool:
    """True when the database holds no customers (a fresh install to seed)."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return not await connection.fetchval("SELECT EXISTS (SELECT 1 FROM crm.customer)")
    finally:
        await connection.close()


async def seed_database(
    database_url: str,
    *,
    customers: int = 2000,
    seed: int = 42,
    years: int = 2,
    reset: bool = False,
    today: date | None = None,
) -> SeedReport:
    """Generate and load the demo company; refuses a non-empty database unless `reset`."""
    if customers <= 0 or years <= 0:
        raise ValueError("customers and years must be greater than zero")
    report = SeedReport(customers=customers, seed=seed)
    started = clock.perf_counter()
    frame = generate(customers=customers, seed=seed, years=years, today=today or date.today())
    report.generate_seconds = clock.perf_counter() - started
    started = clock.perf_counter()
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        async with connection.transaction():
            if reset:
                await _truncate_everything(connection)
            elif await connection.fetchval("SELECT EXISTS (SELECT 1 FROM crm.customer)"):
                raise ValueError(
                    "the database already holds customers; use --reset to replace them"
                )
            restore = await bulk_load.drop_foreign_keys_and_indexes(connection)
            loaded_at = datetime.combine(frame.today, time.min, tzinfo=UTC)
            audit_columns = await _audit_columns(connection)
            tables = [
                (name, _with_audit_times(table, audit_columns.get(name, []), loaded_at))
                for name, table in frame.tables.items()
            ]
            # Encode the next table as CSV in a thread while the server ingests the current one.
            pending = asyncio.create_task(asyncio.to_thread(_to_csv, tables[0][1]))
            for position, (name, table) in enumerate(tables):
                payload = await pending
                if position + 1 < len(tables):
                    pending = asyncio.create_task(
                        asyncio.to_thread(_to_csv, tables[position + 1][1])
                    )
                await _copy(connection, name, list(table.columns), payload)
                report.rows[name] = len(table)
            await bulk_load.restore(connection, restore)
            await _advance_identities(connection, list(frame.tables))
            report.books = await bulk_books.post_all(connection)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    report.closed_through = await _close_books(database_url, frame.today)
    report.load_seconds = clock.perf_counter() - started
    return report


async def _close_books(database_url: str, today: date) -> date | None:
    """Close every month of the history before the last one, as finance would have."""
    through = periods.month_of(periods.month_of(min(today, closing.today())) - timedelta(days=1))
    engine = create_engine(database_url, pool_size=1)
    try:
        async with session_factory(engine)() as session, session.begin():
            if not await session.scalar(select(exists().where(JournalEntry.entry_date < through))):
                return None
            # Like the rest of the demo's history, the closes leave no audit rows or events.
            journal = Journal(actor=Viewer.system(), request_id="demo-seed")
            await closing.close(session=session, journal=journal, month=through)
    finally:
        await engine.dispose()
    return through


async def _truncate_everything(connection: asyncpg.Connection) -> None:
    tables = await connection.fetch(
        "SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables "
        "WHERE schemaname = ANY($1::text[])",
        list(SCHEMAS),
    )
    if tables:
        names = ", ".join(row["name"] for row in tables)
        await connection.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    for statement in chart.DEFAULT_CHART:
        await connection.execute(statement)


async def _audit_columns(connection: asyncpg.Connection) -> dict[str, list[str]]:
    """Bookkeeping timestamp columns per table (`created_at`, `updated_at`)."""
    rows = await connection.fetch(
        "SELECT table_schema || '.' || table_name AS name, column_name "
        "FROM information_schema.columns WHERE table_schema = ANY($1::text[]) "
        "AND column_name IN ('created_at', 'updated_at')",
        list(SCHEMAS),
    )
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row["name"], []).append(row["column_name"])
    return found


def _with_audit_times(table: pd.DataFrame, columns: list[str], loaded_at: datetime) -> pd.DataFrame:
    """Fill bookkeeping timestamps the generator leaves out: same seed, same rows."""
    missing = [column for column in columns if column not in table.columns]
    return table.assign(**dict.fromkeys(missing, loaded_at)) if missing else table


def _to_csv(table: pd.DataFrame) -> bytes:
    return table.to_csv(index=False, header=False, na_rep="").encode()


async def _copy(
    connection: asyncpg.Connection, name: str, columns: list[str], payload: bytes
) -> None:
    schema, table_name = name.split(".")
    try:
        await connection.copy_to_table(
            table_name,
            schema_name=schema,
            source=io.BytesIO(payload),
            columns=columns,
            format="csv",
        )
    except asyncpg.PostgresError as error:
        raise ValueError(f"loading {name} failed: {error}") from error


async def _advance_identities(connection: asyncpg.Connection, names: list[str]) -> None:
    """Identity sequences continue after the ids the generator chose."""
    for name in names:
        has_id = await connection.fetchval(
            "SELECT pg_get_serial_sequence($1, 'id') IS NOT NULL", name
        )
        if has_id:
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"coalesce((SELECT max(id) FROM {name}), 0) + 1, false)"
            )
