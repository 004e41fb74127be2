"""Exchange rates: what one unit of a foreign currency is worth in the company currency.

A rate is valid from its date until the next rate of the same currency, so a document is
converted at the latest rate on or before its own date (`domain.core.currency`, which
prices and postings share). The company keeps its books in EUR.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import iso_codes
from domain.core.currency import COMPANY_CURRENCY, ONE, rate_on
from domain.core.errors import DomainError, Problems
from domain.finance.models import ExchangeRate

MAX_RATE = Decimal("1000000")
__all__ = ["COMPANY_CURRENCY", "ONE", "RateRequest", "rate_on", "read_csv", "set_rates"]


@dataclass(frozen=True)
class RateRequest:
    currency: str
    valid_on: date
    rate: Decimal


async def set_rates(session: AsyncSession, requests: list[RateRequest]) -> int:
    """Record rates (replacing one of the same currency and day); all valid, or none."""
    problems = Problems()
    for position, request in enumerate(requests):
        _check(problems, f"rates.{position}", request)
    problems.raise_if_any()
    if requests:
        statement = insert(ExchangeRate).values(
            [
                {"currency": r.currency.upper(), "valid_on": r.valid_on, "rate": r.rate}
                for r in requests
            ]
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["currency", "valid_on"], set_={"rate": statement.excluded.rate}
            )
        )
    return len(requests)


def read_csv(text: str) -> list[RateRequest]:
    """Rates from CSV text with the columns `currency,date,rate` (a header line first)."""
    problems = Problems()
    requests = []
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or {"currency", "date", "rate"} - set(reader.fieldnames):
        raise DomainError("VALIDATION", "the header must name currency, date and rate", "file")
    for row in reader:
        where = f"line {reader.line_num}"
        try:
            requests.append(
                RateRequest(
                    currency=(row["currency"] or "").strip().upper(),
                    valid_on=date.fromisoformat((row["date"] or "").strip()),
                    rate=Decimal((row["rate"] or "").strip()),
                )
            )
        except (ValueError, InvalidOperation):
            problems.add(where, "needs a currency, an ISO date and a decimal rate")
    problems.raise_if_any()
    return requests


def _check(problems: Problems, field: str, request: RateRequest) -> None:
    currency = request.currency.upper()
    if currency not in iso_codes.CURRENCIES:
        problems.add(f"{field}.currency", "must be an ISO 4217 currency code")
    elif currency == COMPANY_CURRENCY:
        problems.add(f"{field}.currency", f"{COMPANY_CURRENCY} is the company currency")
    if not (request.rate.is_finite() and 0 < request.rate < MAX_RATE):
        problems.add(f"{field}.rate", "must be a positive number")
    elif request.rate.as_tuple().exponent < -8:  # type: ignore[operator]
        problems.add(f"{field}.rate", "has at most 8 decimals")
