"""`bizgraph rates load`: a file of exchange rates is recorded whole, or not at all."""

import asyncio
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


async def _load(database_url: str, file: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "DATABASE_URL": database_url, "BIZGRAPH_DATA_DIR": str(tmp_path)}
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "api.cli", "rates", "load", str(file)],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        check=False,
    )


async def _rates(engine: AsyncEngine) -> list[tuple[str, str, Decimal]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT currency, valid_on::text, rate FROM finance.exchange_rate "
                "ORDER BY currency, valid_on"
            )
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_a_file_of_rates_is_loaded(
    clean_db: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    file = tmp_path / "ecb.csv"
    file.write_text(
        "\ufeffcurrency,date,rate\nUSD,2026-01-02,0.9123\nusd,2026-01-05,0.91\nGBP,2026-01-02,1.17\n",
        encoding="utf-8",
    )
    result = await _load(database_url, file, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3 exchange rates loaded"
    assert await _rates(clean_db) == [
        ("GBP", "2026-01-02", Decimal("1.17000000")),
        ("USD", "2026-01-02", Decimal("0.91230000")),
        ("USD", "2026-01-05", Decimal("0.91000000")),
    ]
    async with clean_db.connect() as connection:
        audit = await connection.scalar(
            text("SELECT actor FROM ops.audit_log WHERE action = 'exchange_rates.loaded'")
        )
    assert audit == "system"


async def test_a_file_with_a_bad_line_loads_nothing(
    clean_db: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    file = tmp_path / "rates.csv"
    file.write_text(
        "currency,date,rate\nUSD,2026-01-02,0.91\nEUR,2026-01-02,1\nGBP,2026-01-02,-1\n",
        encoding="utf-8",
    )
    result = await _load(database_url, file, tmp_path)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("bizgraph: error: nothing was loaded: ")
    assert "line 3 currency: EUR is the company currency" in result.stderr
    assert "line 4 rate: must be a positive number" in result.stderr
    unreadable = tmp_path / "unreadable.csv"
    unreadable.write_text("currency,date,rate\nUSD,02/01/2026,0.91\n", encoding="utf-8")
    result = await _load(database_url, unreadable, tmp_path)
    assert result.returncode == 1
    assert "line 2: needs a currency, an ISO date and a decimal rate" in result.stderr
    assert await _rates(clean_db) == []
