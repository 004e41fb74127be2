"""`bizgraph books check`: the reconciliation checks, from the command line."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.finance import reconciliation


async def _check(database_url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "DATABASE_URL": database_url, "BIZGRAPH_DATA_DIR": str(tmp_path)}
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "api.cli", "books", "check"],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        check=False,
    )


async def test_books_that_agree_pass_and_an_invoice_without_its_entry_fails(
    clean_db: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    agreeing = await _check(database_url, tmp_path)
    assert agreeing.returncode == 0, agreeing.stderr
    assert agreeing.stdout.splitlines() == [f"ok: {name}" for name in reconciliation.CHECKS]

    # An invoice written behind the ledger's back: no receivable was booked for it.
    async with clean_db.begin() as connection:
        customer = await connection.scalar(
            text("INSERT INTO crm.customer (code, name) VALUES ('C1', 'Unbooked') RETURNING id")
        )
        await connection.execute(
            text(
                "INSERT INTO erp.invoice (number, customer_id, issued_on, due_on, subtotal, "
                "tax_total, total) VALUES ('INV-X', :c, '2026-01-01', '2026-01-31', 10, 0, 10)"
            ),
            {"c": customer},
        )
    failing = await _check(database_url, tmp_path)
    assert failing.returncode == 1
    receivable = "the receivable account differs from what a customer owes on open invoices"
    assert f"1 disagree: {receivable}" in failing.stdout
    assert "the books disagree with the operations" in failing.stderr
