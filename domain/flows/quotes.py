"""Accepting a quote: it becomes a sales order, placed through the order service.

The order is placed as any order is (stock reserved, credit limit checked, the customer
becomes active: `domain.flows.ordering`), at the prices the quote promised, in the same
transaction as the quote's acceptance: a refused order leaves the quote as it was.
"""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.errors import DomainError
from domain.core.journal import Journal
from domain.crm import customers
from domain.erp import pricing, quotes, sales_orders
from domain.erp.models.quotes import Quote
from domain.erp.quote_states import QUOTE_MACHINE
from domain.flows import ordering


async def accept(
    *, session: AsyncSession, journal: Journal, quote_id: int, version: int | None
) -> Quote:
    """The customer said yes: the quote becomes an order at its prices (an expired or
    declined quote cannot be accepted)."""
    quote, status = await quotes.for_change(session, journal, quote_id, version)
    target = QUOTE_MACHINE.next(status, "accept")
    customer = await customers.get_visible(session, journal.actor, quote.customer_id)
    if customer.currency != quote.currency:
        raise DomainError(
            "CURRENCY_MISMATCH",
            f"{quote.number} is in {quote.currency}; the customer now buys in "
            f"{customer.currency}: quote again",
        )
    lines = await quotes.lines_of(session, quote.id)
    order = await ordering.place(
        session=session,
        journal=journal,
        request=sales_orders.OrderRequest(
            customer_id=quote.customer_id,
            lines=[sales_orders.LineRequest(line.stock_item_id, line.quantity) for line in lines],
            warehouse_id=quote.warehouse_id,
            default_sales_rep_id=quote.sales_rep_id,
            notes=f"From quote {quote.number}",
            quoted=sales_orders.Priced(
                quote.tax_rate,
                [
                    pricing.PricedLine(
                        list_price=line.list_price,
                        quantity=line.quantity,
                        discount_percent=line.discount_percent,
                        unit_price=line.unit_price,
                        line_total=line.line_total,
                        tax_amount=line.tax_amount,
                    )
                    for line in lines
                ],
            ),
        ),
    )
    quote.status = target
    quote.decided_at = datetime.now(UTC)
    quote.sales_order_id = order.id
    return await quotes.moved(
        session, journal, quote, "quote.accepted", {"status": target, "sales_order": order.number}
    )
