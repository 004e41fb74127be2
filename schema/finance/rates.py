"""Exchange rates: reading them (sales and finance) and recording one (finance)."""

from datetime import date
from decimal import Decimal

import strawberry
from strawberry import relay

from domain.finance import exchange_rates
from domain.finance.models import ExchangeRate as ExchangeRateModel
from schema.core import filters
from schema.core.connections import by_date, root_connection
from schema.core.mutations import mutation
from schema.core.nodes import TableNode, desc


@strawberry.type(
    description="What one unit of a foreign currency is worth in EUR, from a day until the "
    "next rate of that currency. A document is converted at the rate of its own date."
)
class ExchangeRate(TableNode):
    MODEL = ExchangeRateModel
    id: relay.NodeID[int]
    currency: str = desc("The foreign currency (ISO 4217 code).")
    valid_on: date = desc("The first day the rate applies.")
    rate: Decimal = desc("EUR per unit of the currency (up to 8 decimals).")


def _code(value: str) -> str:
    return value.strip().upper()


@strawberry.input(description="Filters for exchange rates.")
class ExchangeRateFilter:
    currency: str | None = filters.equals(
        "currency", "Of this currency (ISO 4217 code).", normalize=_code
    )


@strawberry.type
class ExchangeRateQueries:
    exchange_rates = root_connection(
        ExchangeRate,
        description="Recorded exchange rates by the day they apply from.",
        sort=by_date("valid_on"),
        filter=ExchangeRateFilter,
    )


@strawberry.input(description="An exchange rate to record; it replaces one of the same day.")
class ExchangeRateSetInput:
    currency: str = strawberry.field(
        description="The foreign currency (ISO 4217 code; not EUR, the company currency)."
    )
    valid_on: date = strawberry.field(description="The first day the rate applies.")
    rate: Decimal = strawberry.field(
        description="EUR per unit of the currency: positive, at most 8 decimals."
    )


@strawberry.type
class ExchangeRateMutations:
    exchange_rate_set = mutation(
        ExchangeRateSetInput,
        ExchangeRate,
        "Record what a foreign currency is worth in EUR from a day on (replacing that day's "
        "rate). Entries already posted keep the rate they were converted at.",
        lambda input, session, journal: exchange_rates.set_rate(
            session=session,
            journal=journal,
            currency=input.currency,
            valid_on=input.valid_on,
            rate=input.rate,
        ),
    )
