"""Exchange rates: what one unit of a currency is worth in the company currency (EUR).

A rate is valid from its date until the next rate of the same currency, so a document is
converted at the latest rate on or before its own date. Rates are kept by finance
(`finance.exchange_rate`, domain.finance.rates); prices (ERP) and postings (finance) both
convert with them, so the lookup lives here, below both, and names the table rather than
importing finance's model.
"""

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, Numeric, String, column, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.errors import DomainError
from domain.core.money import money

COMPANY_CURRENCY = "EUR"
ONE = Decimal("1")

_RATES = table(
    "exchange_rate",
    column("currency", String),
    column("valid_on", Date),
    column("rate", Numeric(18, 8)),
    schema="finance",
)


async def rate_on(
    session: AsyncSession, currency: str, day: date, *, field: str | None = None
) -> Decimal:
    """EUR per unit of `currency` on `day`; NO_RATE when none has been recorded by then."""
    if currency == COMPANY_CURRENCY:
        return ONE
    rate = await session.scalar(
        select(_RATES.c.rate)
        .where(_RATES.c.currency == currency, _RATES.c.valid_on <= day)
        .order_by(_RATES.c.valid_on.desc())
        .limit(1)
    )
    if rate is None:
        raise DomainError("NO_RATE", f"no {currency} exchange rate on or before {day}", field)
    return Decimal(rate)


async def converter(
    session: AsyncSession, source: str, target: str, day: date, *, field: str | None = None
) -> "Converter":
    """Amounts in `source` as `target` amounts, at the rates of `day`."""
    if source == target:
        return Converter(ONE)
    factor = await rate_on(session, source, day, field=field) / await rate_on(
        session, target, day, field=field
    )
    return Converter(factor)


class Converter:
    __slots__ = ("factor",)

    def __init__(self, factor: Decimal) -> None:
        self.factor = factor

    def __call__(self, amount: Decimal) -> Decimal:
        return amount if self.factor == ONE else money(amount * self.factor)
