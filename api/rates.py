"""`bizgraph rates load FILE.csv`: record a file of exchange rates in one transaction."""

import asyncio
from pathlib import Path

from api.cli_errors import CliError
from domain.core.access import Viewer
from domain.core.errors import DomainError, Rejected
from domain.core.journal import Journal
from domain.core.sessions import create_engine, session_factory
from domain.finance import exchange_rates, rates

# Problems shown before "… and N more": a file with a wrong column has one per line.
SHOWN_PROBLEMS = 10


def load_rates(database_url: str, file: str) -> int:
    """Record every rate of the CSV file, all or none; how many were recorded."""
    path = Path(file)
    if not path.is_file():
        raise CliError(f"{path} is not a file")
    try:
        # utf-8-sig: spreadsheets save CSV with a byte order mark.
        content = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise CliError(f"{path} is not UTF-8 text ({error.reason})") from error
    try:
        return asyncio.run(_load(database_url, rates.read_csv(content)))
    except DomainError as error:
        raise CliError(f"nothing was loaded: {_line(error)}") from error
    except Rejected as rejected:
        problems = [_line(error) for error in rejected.errors]
        shown = "; ".join(problems[:SHOWN_PROBLEMS])
        more = len(problems) - SHOWN_PROBLEMS
        raise CliError(
            f"nothing was loaded: {shown}" + (f"; and {more} more" if more > 0 else "")
        ) from rejected


async def _load(database_url: str, requests: list[rates.RateRequest]) -> int:
    engine = create_engine(database_url, pool_size=1)
    try:
        journal = Journal(actor=Viewer.system())
        async with session_factory(engine)() as session, session.begin():
            count = await exchange_rates.load(session=session, journal=journal, requests=requests)
            await journal.write(session)
        return count
    finally:
        await engine.dispose()


def _line(error: DomainError) -> str:
    """A problem, naming the file's line (`rates.3.rate`: the fourth rate, on line 5)."""
    field = error.field or ""
    parts = field.split(".")
    if len(parts) >= 2 and parts[0] == "rates" and parts[1].isdigit():
        column = f" {parts[2]}" if len(parts) > 2 else ""
        return f"line {int(parts[1]) + 2}{column}: {error.message}"
    return f"{field}: {error.message}" if field else error.message
