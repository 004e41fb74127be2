"""What making goods posts (registered like `domain.finance.posting_rules`).

Components a work order consumes leave inventory for work in progress at the cost they
had, and the labour and overhead of the units worked on are absorbed into it at the BOM's
conversion cost; the units it makes come out of work in progress into inventory at their
standard (rolled-up) cost. What is left in work in progress when the work order closes —
material used beyond or below the standard, scrap — is its production variance."""

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.journal import Entry, Journal, in_transaction
from domain.finance.posting import credit, debit
from domain.finance.posting_rules import _post_stock


@in_transaction("work_order.reported")
async def work_reported(session: AsyncSession, journal: Journal, event: Entry) -> None:
    consumed = Decimal(str(event.changes.get("consumed_value", 0)))
    absorbed = Decimal(str(event.changes.get("conversion_value", 0)))
    made = Decimal(str(event.changes.get("output_value", 0)))
    await _post_stock(
        session,
        journal,
        event,
        f"Production: {event.changes.get('number', '')}",
        [
            debit("work_in_progress", consumed),
            credit("inventory", consumed),
            debit("work_in_progress", absorbed),
            credit("conversion_absorbed", absorbed),
            debit("inventory", made),
            credit("work_in_progress", made),
        ],
    )


@in_transaction("work_order.completed")
async def work_closed(session: AsyncSession, journal: Journal, event: Entry) -> None:
    variance = Decimal(str(event.changes.get("variance", 0)))
    await _post_stock(
        session,
        journal,
        event,
        f"Production variance: {event.changes.get('number', '')}",
        [debit("production_variance", variance), credit("work_in_progress", variance)],
    )
