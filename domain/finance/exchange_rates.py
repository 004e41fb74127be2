"""Recording exchange rates, one by finance or a whole file at once (`bizgraph rates load`).

A rate of a currency and day replaces the one recorded before for that day; documents
already posted keep the rate they were converted at (their entries never change).
"""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.errors import DomainError, Problems, Rejected
from domain.core.journal import Journal
from domain.finance import rates
from domain.finance.models import ExchangeRate

_ONE_RATE = "rates.0."
CHUNK = 5000


async def set_rate(
    *, session: AsyncSession, journal: Journal, currency: str, valid_on: date, rate: Decimal
) -> ExchangeRate:
    """Record what one unit of `currency` is worth in EUR from `valid_on` on."""
    request = rates.RateRequest(currency.strip().upper(), valid_on, rate)
    try:
        await rates.set_rates(session, [request])
    except Rejected as rejected:
        # One rate: its problems concern the input's own fields, not `rates.0.…`.
        raise Rejected(
            [
                DomainError(error.code, error.message, (error.field or "").removeprefix(_ONE_RATE))
                for error in rejected.errors
            ]
        ) from rejected
    recorded = await session.scalar(
        select(ExchangeRate)
        .where(ExchangeRate.currency == request.currency, ExchangeRate.valid_on == valid_on)
        .execution_options(populate_existing=True)
    )
    assert recorded is not None
    journal.record(
        "exchange_rate.set",
        entity_type="exchange_rate",
        entity_id=recorded.id,
        changes={"currency": recorded.currency, "validOn": valid_on, "rate": recorded.rate},
    )
    return recorded


async def load(
    *, session: AsyncSession, journal: Journal, requests: Sequence[rates.RateRequest]
) -> int:
    """Record many rates (a central bank's file): all valid, or none; how many."""
    problems = Problems()
    seen: set[tuple[str, date]] = set()
    for position, request in enumerate(requests):
        key = (request.currency.upper(), request.valid_on)
        if key in seen:
            problems.add(f"rates.{position}", f"a second {key[0]} rate for {key[1]}", "DUPLICATE")
        seen.add(key)
    problems.raise_if_any()
    # A statement takes at most 32,767 parameters (three per rate): written in chunks, in
    # the caller's one transaction, so a problem in any chunk still writes nothing.
    for start in range(0, len(requests), CHUNK):
        try:
            await rates.set_rates(session, list(requests[start : start + CHUNK]))
        except Rejected as rejected:
            raise Rejected([_shifted(error, start) for error in rejected.errors]) from rejected
    if requests:
        journal.record(
            "exchange_rates.loaded",
            entity_type="exchange_rate",
            entity_id=0,
            changes={
                "count": len(requests),
                "currencies": sorted({currency for currency, _ in seen}),
                "from": min(request.valid_on for request in requests),
                "to": max(request.valid_on for request in requests),
            },
        )
    return len(requests)


def _shifted(error: DomainError, offset: int) -> DomainError:
    """The error of a chunk's rate, naming its position in the whole list."""
    parts = (error.field or "").split(".", 2)
    if len(parts) == 3 and parts[1].isdigit():
        parts[1] = str(int(parts[1]) + offset)
    return DomainError(error.code, error.message, ".".join(parts))
