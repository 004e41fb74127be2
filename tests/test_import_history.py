"""Importing a company's people, catalogue, opening stock and sales history: written as
recorded, derived values computed as bizgraph computes them, nothing of today's rules re-run,
the same files twice changing nothing, and an export that imports back to the same files."""

import csv
from decimal import Decimal
from pathlib import Path

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.core.sessions import asyncpg_dsn
from domain.erp.pricing import PricedLine, order_totals
from domain.exchange import exporting
from domain.exchange.importing import Summary, run
from domain.exchange.kinds import KINDS
from domain.exchange.reading import Problem
from tests.conftest import truncate_all

FILES = {
    "employees": """external_id,email,name,title,department,manager_email,hire_date,salary,status,terminated_at
E-2,Bo@Firm.example,Bo Rep,Sales Rep,Sales,ada@firm.example,2019-05-01,50000.00,active,
E-1,ada@firm.example,Ada Boss,Head of Sales,Sales,,2015-01-01,90000.00,active,
E-3,cy@firm.example,Cy Gone,Sales Rep,,ada@firm.example,2016-02-01,40000.00,terminated,2020-06-30
""",
    "customers": """external_id,name,email,country,currency,tier,status,credit_limit,account_manager_email
K-1,Nordwind GmbH,info@nordwind.example,DE,EUR,gold,active,5000.00,bo@firm.example
K-2,Süd AG,,DE,EUR,silver,active,,
""",
    "suppliers": """external_id,code,name,email,country,lead_time_days
L-1,,Pumpen Werk AG,orders@pumpen.example,DE,21
""",
    "stock_items": """external_id,sku,name,category,unit_price,unit_cost,currency,reorder_point,pack_size,supplier_external_id
I-1,PUMP-100,Pump 100,hardware,499.00,250.00,EUR,5,1,L-1
I-2,BOLT-M8,Bolt M8,consumables,0.40,0.10,EUR,1000,100,
I-3,SETUP,On-site setup,services,150.00,90.00,EUR,,,
""",
    "price_lists": """external_id,name,currency,valid_from,valid_to,is_active
PL-1,Trade 2024,EUR,2024-01-01,,true
""",
    "price_rules": """external_id,price_list_external_id,tier,category,min_quantity,discount_percent
R-1,PL-1,gold,,1,10
R-2,PL-1,Gold,hardware,10,15.5
""",
    "opening_stock": """external_id,stock_item_external_id,warehouse,quantity,counted_at
OS-1,I-1,MAIN,40,2024-12-31T18:00:00+01:00
OS-2,I-2,MAIN,5000,2024-12-31
""",
    "sales_orders": """external_id,number,customer_external_id,warehouse,sales_rep_email,status,currency,tax_rate,ordered_at,confirmed_at,cancelled_at,notes
O-1,A-1001,K-1,MAIN,bo@firm.example,fulfilled,EUR,0.19,2024-03-01T09:30:00+01:00,2024-03-01T10:00:00+01:00,,
O-2,,K-2,MAIN,,cancelled,EUR,0.19,2024-04-02,,2024-04-03,changed their mind
O-3,A-1003,K-1,MAIN,,fulfilled,EUR,0.0725,2024-05-05T12:00:00Z,,,
""",
    "sales_order_lines": """external_id,order_external_id,line_no,stock_item_external_id,quantity,list_price,discount_percent,unit_price,tax_amount
O-1/1,O-1,1,I-1,2,499.00,10,449.10,170.66
O-1/2,O-1,2,I-2,300,0.40,,0.40,22.80
O-2/1,O-2,1,I-3,1,150.00,,150.00,28.50
O-3/1,O-3,1,I-1,1,499.00,0,499.00,36.18
""",
    "deliveries": """external_id,number,order_external_id,warehouse,status,carrier,tracking_number,shipped_at,expected_at,delivered_at,failed_at,failure_reason
D-1,,O-1,MAIN,delivered,DHL,JD0001,2024-03-02T08:00:00Z,2024-03-04,2024-03-03T15:00:00Z,,
D-2,,O-3,,in_transit,,,2024-05-06T08:00:00Z,2030-01-01,,,
""",
    "invoices": """external_id,number,order_external_id,issued_on,due_on,voided_at,void_reason
F-1,R-2024-001,O-1,2024-03-02,2024-04-01,,
F-3,,O-3,2024-05-06,,,
""",
    "payments": """external_id,number,invoice_external_id,amount,method,reference,received_at
PAY-1,,F-1,1000.00,bank_transfer,ref 1,2024-03-20T10:00:00Z
PAY-2,,F-1,211.66,Card,,2024-03-25
PAY-3,,F-3,100.00,,,2024-05-10
""",
}


async def _prepare(database_url: str) -> None:
    """What imports refer to but do not bring: a warehouse and a department."""
    await _execute(
        database_url,
        "INSERT INTO erp.warehouse (code, name) VALUES ('MAIN', 'Main warehouse');"
        "INSERT INTO erp.department (code, name) VALUES ('SAL', 'Sales')",
    )


async def _execute(database_url: str, sql: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def _rows(database_url: str, query: str) -> list[tuple[object, ...]]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return [tuple(row) for row in await connection.fetch(query)]
    finally:
        await connection.close()


async def _import(
    database_url: str, kind: str, path: Path, *, bulk: bool = False
) -> tuple[Summary, list[Problem]]:
    problems: list[Problem] = []
    summary = await run(
        database_url,
        KINDS[kind],
        path,
        file_format="csv",
        source="legacy",
        bulk=bulk,
        write_problem=problems.append,
    )
    return summary, problems


async def _import_all(database_url: str, folder: Path, *, bulk: bool = False) -> dict[str, Summary]:
    summaries = {}
    for kind in FILES:
        summary, problems = await _import(database_url, kind, folder / f"{kind}.csv", bulk=bulk)
        assert problems == [], (kind, problems)
        summaries[kind] = summary
    return summaries


def _write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(exist_ok=True)
    for kind, text in files.items():
        (folder / f"{kind}.csv").write_text(text, encoding="utf-8")
    return folder


async def test_history_is_written_as_recorded_and_derives_what_bizgraph_derives(
    clean_db: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    await _prepare(database_url)
    first = await _import_all(database_url, _write(tmp_path / "in", FILES))
    assert {kind: s.inserted for kind, s in first.items()} == {
        "employees": 3,
        "customers": 2,
        "suppliers": 1,
        "stock_items": 3,
        "price_lists": 1,
        "price_rules": 2,
        "opening_stock": 2,
        "sales_orders": 3,
        "sales_order_lines": 4,
        "deliveries": 2,
        "invoices": 2,
        "payments": 3,
    }
    # A manager named before they appear in the file; the login email in lower case.
    assert await _rows(
        database_url,
        "SELECT e.email, m.email, e.status FROM erp.employee e "
        "LEFT JOIN erp.employee m ON m.id = e.manager_id ORDER BY e.external_id",
    ) == [
        ("ada@firm.example", None, "active"),
        ("bo@firm.example", "ada@firm.example", "active"),
        ("cy@firm.example", "ada@firm.example", "terminated"),
    ]
    # Numbers as recorded where given, bizgraph's own otherwise.
    orders = await _rows(
        database_url,
        "SELECT o.external_id, o.number, o.status, o.subtotal, o.discount_total, o.tax_total, "
        "o.total, e.email FROM erp.sales_order o LEFT JOIN erp.employee e "
        "ON e.id = o.sales_rep_id ORDER BY o.external_id",
    )
    assert orders[0] == (
        "O-1",
        "A-1001",
        "fulfilled",
        Decimal("1018.20"),
        Decimal("99.80"),
        Decimal("193.46"),
        Decimal("1211.66"),
        "bo@firm.example",
    )
    assert str(orders[1][1]).startswith("SO-2024-") and orders[1][2] == "cancelled"
    # The totals are those `order_totals` gives for the same lines.
    lines = await _rows(
        database_url,
        "SELECT o.external_id, l.list_price, l.quantity, l.discount_percent, l.unit_price, "
        "l.line_total, l.tax_amount FROM erp.sales_order_line l "
        "JOIN erp.sales_order o ON o.id = l.sales_order_id ORDER BY l.external_id",
    )
    for order in orders:
        priced = [PricedLine(*line[1:]) for line in lines if line[0] == order[0]]  # type: ignore[arg-type]
        totals = order_totals(priced)
        assert (totals.subtotal, totals.discount_total, totals.tax_total, totals.total) == order[
            3:7
        ]
    # Invoices bill their order; their status follows their payments.
    assert await _rows(
        database_url,
        "SELECT i.external_id, i.number, i.status, i.total, i.due_on::text, "
        "(SELECT count(*) FROM erp.invoice_line l WHERE l.invoice_id = i.id) "
        "FROM erp.invoice i ORDER BY i.external_id",
    ) == [
        ("F-1", "R-2024-001", "paid", Decimal("1211.66"), "2024-04-01", 2),
        ("F-3", "INV-00000002", "partially_paid", Decimal("535.18"), "2024-05-06", 1),
    ]
    assert await _rows(
        database_url,
        "SELECT d.external_id, d.status, count(l.id), sum(l.quantity) FROM erp.delivery d "
        "JOIN erp.delivery_line l ON l.delivery_id = d.id GROUP BY d.id ORDER BY 1",
    ) == [("D-1", "delivered", 2, 302), ("D-2", "in_transit", 1, 1)]
    # History moves no stock and sends no event: only the opening balances moved stock.
    assert await _rows(
        database_url,
        "SELECT i.sku, m.kind, m.delta_on_hand, l.on_hand, l.reserved FROM erp.stock_movement m "
        "JOIN erp.stock_item i ON i.id = m.stock_item_id JOIN erp.stock_level l "
        "ON l.stock_item_id = m.stock_item_id AND l.warehouse_id = m.warehouse_id ORDER BY 1",
    ) == [("BOLT-M8", "adjustment", 5000, 5000, 0), ("PUMP-100", "adjustment", 40, 40, 0)]
    assert await _rows(database_url, "SELECT count(*) FROM ops.outbox") == [(0,)]
    assert await _rows(
        database_url,
        "SELECT r.tier, r.category, r.min_quantity, r.discount_percent, p.version "
        "FROM erp.price_rule r JOIN erp.price_list p ON p.id = r.price_list_id ORDER BY 3",
    ) == [
        ("gold", None, 1, Decimal("10.00"), 2),
        ("gold", "hardware", 10, Decimal("15.50"), 2),
    ]

    again = await _import_all(database_url, tmp_path / "in")
    assert {(s.inserted, s.updated) for s in again.values()} == {(0, 0)}
    assert sum(s.unchanged for s in again.values()) == sum(s.read for s in again.values())


async def _export_all(database_url: str, folder: Path) -> dict[str, str]:
    _write(folder, {})
    texts = {}
    for kind in FILES:
        path = folder / f"{kind}.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            await exporting.export(
                database_url, KINDS[kind], out, file_format="csv", source="legacy"
            )
        texts[kind] = path.read_text(encoding="utf-8")
    return texts


async def test_exported_history_imports_into_an_empty_database_as_the_same_files(
    clean_db: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    await _prepare(database_url)
    await _import_all(database_url, _write(tmp_path / "in", FILES))
    exported = await _export_all(database_url, tmp_path / "first")
    assert exported["sales_orders"].splitlines()[1] == (
        "O-1,A-1001,K-1,MAIN,bo@firm.example,fulfilled,EUR,0.19,2024-03-01 08:30:00+00:00,"
        "2024-03-01 09:00:00+00:00,,"
    )
    assert exported["sales_orders"].splitlines()[3].split(",")[7] == "0.0725"
    await truncate_all(clean_db)
    await _prepare(database_url)
    await _import_all(database_url, tmp_path / "first")
    assert await _export_all(database_url, tmp_path / "second") == exported


# Every index and constraint of the data model, as PostgreSQL would create it again.
CATALOGUE = """
SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index
WHERE indrelid::regclass::text LIKE ANY (ARRAY['crm.%', 'erp.%'])
UNION ALL
SELECT conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid::regclass::text LIKE ANY (ARRAY['crm.%', 'erp.%'])
ORDER BY 1, 2"""


async def test_a_bulk_load_writes_the_same_and_rebuilds_every_index_and_key(
    clean_db: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    await _prepare(database_url)
    before = await _rows(database_url, CATALOGUE)
    await _import_all(database_url, _write(tmp_path / "in", FILES), bulk=True)
    assert await _rows(database_url, CATALOGUE) == before
    bulk = await _export_all(database_url, tmp_path / "bulk")
    await truncate_all(clean_db)
    await _prepare(database_url)
    await _import_all(database_url, tmp_path / "in")
    assert await _export_all(database_url, tmp_path / "plain") == bulk


DIRTY = {
    "sales_orders": """external_id,number,customer_external_id,warehouse,sales_rep_email,status,currency,tax_rate,ordered_at,confirmed_at,cancelled_at,notes
O-1,A-1001,K-1,MAIN,,placed,EUR,0.19,2024-03-01,,,
O-2,,K-404,NOWHERE,,fulfilled,EUR,19,2099-01-01,,,
O-3,,K-1,MAIN,,cancelled,EUR,,yesterday,,,
O-4,,K-404,NOWHERE,,fulfilled,EUR,,2024-03-01,,,
""",
    "payments": """external_id,number,invoice_external_id,amount,method,reference,received_at
PAY-1,,F-1,-5,barter,,2024-03-20
PAY-2,,F-1,1211.66,card,,2024-03-25
PAY-3,,F-1,100.00,,,2024-03-26
PAY-4,,F-9,1.00,,,2024-03-26
""",
}


async def test_dirty_history_is_reported_line_by_line_and_writes_nothing(
    clean_db: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    await _prepare(database_url)
    folder = _write(tmp_path / "in", FILES)
    for kind in ("employees", "customers", "suppliers", "stock_items", "sales_orders"):
        await _import(database_url, kind, folder / f"{kind}.csv")
    for kind in ("sales_order_lines", "invoices"):
        await _import(database_url, kind, folder / f"{kind}.csv")
    dirty = _write(tmp_path / "dirty", DIRTY)
    summary, problems = await _import(database_url, "sales_orders", dirty / "sales_orders.csv")
    found = [(p.line, p.column, p.message.split(":")[0].split(" (")[0]) for p in problems]
    assert found == [
        (2, "status", "must be fulfilled or cancelled"),
        (3, "tax_rate", "must be a fraction between 0 and 1"),
        (3, "ordered_at", "must not be in the future"),
        (4, "ordered_at", "'yesterday' is not a date and time"),
        (4, "cancelled_at", "must not be empty for a cancelled order"),
        (5, "customer_external_id", "no customer of this source has this external_id"),
        (5, "warehouse", "no warehouse has this code"),
    ]
    assert not summary.written
    summary, problems = await _import(database_url, "payments", dirty / "payments.csv")
    found = [(p.line, p.column, p.message.split(" (")[0]) for p in problems]
    assert found == [
        (2, "amount", "must be greater than zero"),
        (2, "method", "must be one of bank_transfer, card, cash, cheque, direct_debit"),
        (5, "invoice_external_id", "no invoice of this source has this external_id"),
        (3, "amount", "the invoice's payments would come to more than its total"),
        (4, "amount", "the invoice's payments would come to more than its total"),
    ]
    assert await _rows(database_url, "SELECT count(*) FROM erp.payment") == [(0,)]
    # A delivered or invoiced order's lines stay as they are.
    changed = FILES["sales_order_lines"].replace("O-1,1,I-1,2,", "O-1,1,I-1,3,")
    (tmp_path / "changed.csv").write_text(changed, encoding="utf-8")
    _, problems = await _import(database_url, "sales_order_lines", tmp_path / "changed.csv")
    assert [(p.line, p.message) for p in problems] == [
        (2, "the order has been delivered or invoiced: its lines no longer change")
    ]


def test_every_history_kind_documents_its_columns() -> None:
    for kind in FILES:
        header = next(csv.reader([FILES[kind].splitlines()[0]]))
        assert set(header) <= set(KINDS[kind].columns), kind
