"""Importing customers and contacts from another system: every problem reported, nothing
written from a file with problems, the same file twice changing nothing."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.core.sessions import asyncpg_dsn
from domain.exchange.importing import run
from domain.exchange.kinds import KINDS
from domain.exchange.reading import Problem

CUSTOMERS = """external_id,name,email,country,currency,tier,status,credit_limit,account_manager_email
K-1,Nordwind GmbH,info@nordwind.example,DE,EUR,gold,active,5000.00,
K-2,Süd AG,,de,eur,Silver,lead,,
K-3,Ouest SARL,contact@ouest.example,FR,EUR,bronze,active,,
"""
SUPPLIERS = """external_id,code,name,email,country,lead_time_days
L-1,,Pumpen Werk AG,orders@pumpen.example,DE,21
L-2,HX-9,Hex Fasteners Ltd,,GB,
"""
ITEMS = """external_id,sku,name,category,unit_price,unit_cost,currency,reorder_point,pack_size,supplier_external_id
I-1,PUMP-100,Pump 100,hardware,499.00,250.00,EUR,5,1,L-1
I-2,BOLT-M8,Bolt M8,Consumables,0.40,0.10,,1000,100,L-2
I-3,SETUP,On-site setup,services,150.00,90.00,EUR,,,
"""
CONTACTS = """external_id,customer_external_id,first_name,last_name,email,title
P-1,K-1,Anna,Berg,anna@nordwind.example,Buyer
P-2,K-2,Jörg,Süß,,
"""


async def _import(
    database_url: str, kind: str, path: Path, **options: object
) -> tuple[object, list[Problem]]:
    problems: list[Problem] = []
    fmt = "jsonl" if path.suffix == ".jsonl" else "csv"
    summary = await run(
        database_url,
        KINDS[kind],
        path,
        file_format=fmt,
        source="legacy",
        write_problem=problems.append,
        **options,  # type: ignore[arg-type]
    )
    return summary, problems


def _file(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


async def _rows(database_url: str, query: str) -> list[tuple[object, ...]]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return [tuple(row) for row in await connection.fetch(query)]
    finally:
        await connection.close()


async def test_a_clean_file_imports_and_a_second_run_changes_nothing(
    clean_db: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    customers = _file(tmp_path, "customers.csv", CUSTOMERS)
    summary, problems = await _import(database_url, "customers", customers)
    assert problems == []
    assert (summary.inserted, summary.updated, summary.unchanged) == (3, 0, 0)  # type: ignore[attr-defined]
    rows = await _rows(
        database_url,
        "SELECT external_id, name, country, currency, tier, status, credit_limit::text, version "
        "FROM crm.customer ORDER BY external_id",
    )
    assert rows == [
        ("K-1", "Nordwind GmbH", "DE", "EUR", "gold", "active", "5000.00", 1),
        ("K-2", "Süd AG", "DE", "EUR", "silver", "lead", None, 1),
        ("K-3", "Ouest SARL", "FR", "EUR", "bronze", "active", None, 1),
    ]
    again, _ = await _import(database_url, "customers", customers)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)  # type: ignore[attr-defined]
    changed = _file(tmp_path, "changed.csv", CUSTOMERS.replace("Ouest SARL", "Ouest SA"))
    third, _ = await _import(database_url, "customers", changed)
    assert (third.inserted, third.updated, third.unchanged) == (0, 1, 2)  # type: ignore[attr-defined]
    assert await _rows(
        database_url, "SELECT name, version FROM crm.customer WHERE external_id = 'K-3'"
    ) == [("Ouest SA", 2)]
    contacts = _file(tmp_path, "contacts.jsonl", _jsonl(CONTACTS))
    summary, problems = await _import(database_url, "contacts", contacts)
    assert problems == [] and summary.inserted == 2  # type: ignore[attr-defined]
    assert await _rows(
        database_url,
        "SELECT p.first_name, c.external_id FROM crm.contact p JOIN crm.customer c "
        "ON c.id = p.customer_id ORDER BY p.external_id",
    ) == [("Anna", "K-1"), ("Jörg", "K-2")]
    audit = await _rows(
        database_url, "SELECT action FROM ops.audit_log WHERE action LIKE 'import.%' ORDER BY id"
    )
    assert audit == [("import.customers",)] * 3 + [("import.contacts",)]


def _jsonl(text: str) -> str:
    import json

    lines = list(csv.DictReader(text.splitlines()))
    return "\n".join(json.dumps({k: v or None for k, v in line.items()}) for line in lines) + "\n"


DIRTY = (
    "\ufeffexternal_id,name,email,country,currency,tier,status,credit_limit,account_manager_email\r\n"
    "K-1,Nordwind GmbH,info@nordwind.example,DE,EUR,gold,active,5000.00,\r\n"
    "K-2,,not-an-email,Germany,EUR,diamond,active,-5,\r\n"
    "K-1,Twice GmbH,,DE,EUR,gold,active,,\r\n"
    "K-4,Unknown Manager AG,,DE,EUR,gold,active,,nobody@nowhere.example\r\n"
    "K-5,Lots GmbH,,DE,EUR,gold,active,many,\r\n"
)


async def test_a_dirty_file_is_reported_in_full_and_writes_nothing(
    clean_db: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    # A BOM and Windows line ends are read as if absent; a Latin-1 line and a cut-off last
    # line are problems of their own lines.
    text = DIRTY.encode("utf-8") + "K-6,Müller KG,,DE,EUR,gold,active,,\r\n".encode("latin-1")
    text += b"K-7,Cut Off"
    path = tmp_path / "dirty.csv"
    path.write_bytes(text)
    summary, problems = await _import(database_url, "customers", path)
    found = [(p.line, p.column, p.message.split(" (")[0]) for p in problems]
    assert found == [
        (3, "name", "must not be empty"),
        (3, "email", "is not a valid email address"),
        (3, "country", "'Germany' is not an ISO 3166-1 alpha-2 country code"),
        (3, "credit_limit", "must not be negative"),
        (3, "tier", "must be one of bronze, silver, gold, platinum"),
        (6, "credit_limit", "'many' is not a number"),
        (7, None, "not utf-8 text"),
        (8, None, "2 values where the header names 9"),
        (4, "external_id", "given before, on line 2: each record once per file"),
        (5, "account_manager_email", "no employee has this email"),
    ], found
    assert summary.written is False  # type: ignore[attr-defined]
    assert await _rows(database_url, "SELECT count(*) FROM crm.customer") == [(0,)]


async def test_skip_invalid_imports_the_sound_lines(
    clean_db: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    path = _file(tmp_path, "dirty.csv", DIRTY)
    summary, problems = await _import(database_url, "customers", path, skip_invalid=True)
    assert summary.written and summary.inserted == 1  # type: ignore[attr-defined]
    assert {p.line for p in problems} == {3, 4, 5, 6}
    assert await _rows(database_url, "SELECT external_id, name FROM crm.customer") == [
        ("K-1", "Nordwind GmbH")
    ]


async def test_a_dry_run_writes_nothing(
    clean_db: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    path = _file(tmp_path, "customers.csv", CUSTOMERS)
    summary, problems = await _import(database_url, "customers", path, dry_run=True)
    assert problems == [] and summary.read == 3 and not summary.written  # type: ignore[attr-defined]
    assert await _rows(database_url, "SELECT count(*) FROM crm.customer") == [(0,)]


async def test_contacts_must_name_customers_of_the_same_source(
    clean_db: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    path = _file(tmp_path, "contacts.csv", CONTACTS)
    _, problems = await _import(database_url, "contacts", path)
    assert [(p.line, p.column, p.value) for p in problems] == [
        (2, "customer_external_id", "K-1"),
        (3, "customer_external_id", "K-2"),
    ]


def test_the_command_reports_and_exits_non_zero(
    clean_db: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    path = _file(tmp_path, "dirty.csv", DIRTY)
    report = tmp_path / "report.csv"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "api.cli",
            "import",
            "customers",
            str(path),
            "--report",
            str(report),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DATABASE_URL": database_url},
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "customers from import: 5 records read" in result.stdout
    assert result.stderr.strip() == (
        "bizgraph: error: nothing was imported: fix the file, or pass --skip-invalid"
    )
    rows = list(csv.reader(report.open(encoding="utf-8")))
    assert rows[0] == ["line", "column", "value", "message"]
    assert len(rows) == 1 + 8


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_stages_its_columns(kind: str) -> None:
    spec = KINDS[kind]
    assert spec.example.split(",")[0] == "external_id"
    assert set(spec.example.split(",")) <= set(spec.columns)


async def test_the_documented_examples_import_cleanly(
    clean_db: AsyncEngine, database_url: str
) -> None:
    from tests.test_import_history import _prepare

    await _prepare(database_url)
    examples = Path(__file__).parent.parent / "docs" / "examples" / "import"
    files = {path.stem: path for path in examples.iterdir()}
    assert set(files) == set(KINDS)
    for kind in KINDS:
        summary, problems = await _import(database_url, kind, files[kind])
        assert problems == [] and summary.inserted > 0, (kind, problems)  # type: ignore[attr-defined]
    assert await _rows(
        database_url, "SELECT number, status, total::text FROM erp.invoice ORDER BY number"
    ) == [("RE-2024-0101", "paid", "1211.66"), ("RE-2024-0177", "partially_paid", "6217.51")]


def _cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DATABASE_URL": database_url},
        check=False,
    )


async def test_export_then_import_into_an_empty_database_gives_the_same_files(
    clean_db: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    from tests.conftest import truncate_all

    files = {"customers": CUSTOMERS, "contacts": CONTACTS, "suppliers": SUPPLIERS}
    files["stock_items"] = ITEMS
    for kind, text in files.items():
        _, problems = await _import(database_url, kind, _file(tmp_path, f"{kind}.csv", text))
        assert problems == [], (kind, problems)
    exported = {}
    for kind in ("customers", "contacts", "suppliers", "stock_items"):
        for fmt in ("csv", "jsonl"):
            target = tmp_path / f"first-{kind}.{fmt}"
            result = _cli(
                database_url,
                "export",
                kind,
                "--source",
                "legacy",
                "--format",
                fmt,
                "--output",
                str(target),
            )
            assert result.returncode == 0, result.stderr
            exported[kind, fmt] = target.read_text(encoding="utf-8")
    assert exported["customers", "csv"].splitlines()[1].startswith("K-1,Nordwind GmbH,")
    assert exported["stock_items", "csv"].splitlines()[1] == (
        "I-1,PUMP-100,Pump 100,,hardware,499.00,250.00,EUR,5,1,L-1"
    )
    await truncate_all(clean_db)
    for kind in ("customers", "contacts", "suppliers", "stock_items"):
        _, problems = await _import(database_url, kind, tmp_path / f"first-{kind}.csv")
        assert problems == [], (kind, problems)
    for kind in ("customers", "contacts", "suppliers", "stock_items"):
        for fmt in ("csv", "jsonl"):
            result = _cli(database_url, "export", kind, "--source", "legacy", "--format", fmt)
            assert result.returncode == 0, result.stderr
            assert result.stdout == exported[kind, fmt], (kind, fmt)


async def test_what_orders_name_never_changes_on_a_second_import(
    clean_db: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    await _import(database_url, "suppliers", _file(tmp_path, "s.csv", SUPPLIERS))
    first, problems = await _import(database_url, "stock_items", _file(tmp_path, "i.csv", ITEMS))
    assert problems == [] and first.inserted == 3  # type: ignore[attr-defined]
    renamed = ITEMS.replace("I-1,PUMP-100,", "I-1,PUMP-200,").replace("I-3,SETUP,", "I-9,BOLT-M8,")
    _, problems = await _import(database_url, "stock_items", _file(tmp_path, "j.csv", renamed))
    assert [(p.line, p.column, p.value, p.message) for p in problems] == [
        (4, "sku", "BOLT-M8", "another item has this SKU"),
        (2, "sku", "PUMP-200", "an item's SKU never changes (orders name it)"),
    ]


def test_the_command_line_offers_every_kind() -> None:
    from api.cli import KIND_NAMES

    assert tuple(KINDS) == KIND_NAMES


def test_a_source_name_too_long_to_keep_is_refused_before_reading(
    database_url: str, tmp_path: Path
) -> None:
    path = _file(tmp_path, "customers.csv", CUSTOMERS)
    result = _cli(database_url, "import", "customers", str(path), "--source", "x" * 41)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "bizgraph: error: --source must be at most 40 characters (got 41)"
    )


async def test_the_command_says_which_figures_an_import_left_out_of_date(
    clean_db: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    path = _file(tmp_path, "customers.csv", CUSTOMERS)
    first = _cli(database_url, "import", "customers", str(path))
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[-1] == (
        "  to bring figures up to date: bizgraph recompute --what metrics --what customers"
    )
    again = _cli(database_url, "import", "customers", str(path))
    assert "recompute" not in again.stdout  # nothing changed, nothing out of date


def test_every_kind_feeds_steps_that_exist() -> None:
    from domain.analytics.recompute import STEPS

    for kind in KINDS.values():
        assert set(kind.feeds) <= set(STEPS), kind.name
    assert KINDS["sales_order_lines"].feeds == tuple(STEPS)
