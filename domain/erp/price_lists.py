"""Which price rules apply: those of the active price list in the customer's currency."""

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.errors import DomainError
from domain.erp import pricing
from domain.erp.models.sales_orders import PriceList, PriceRule


async def rules_for(
    session: AsyncSession, *, currency: str, on: date
) -> tuple[pricing.PriceRule, ...]:
    """The tier rules valid on `on` for `currency`; NO_PRICE_LIST when nothing sells in it."""
    price_list_id = await session.scalar(
        select(PriceList.id)
        .where(
            PriceList.currency == currency,
            PriceList.is_active,
            PriceList.valid_from <= on,
            or_(PriceList.valid_to.is_(None), PriceList.valid_to >= on),
        )
        # Several valid lists: the most recently started one wins.
        .order_by(PriceList.valid_from.desc(), PriceList.id.desc())
        .limit(1)
    )
    if price_list_id is None:
        raise DomainError(
            "NO_PRICE_LIST", f"no active price list sells in {currency} on {on}", "customer"
        )
    rows = await session.execute(
        select(
            PriceRule.tier, PriceRule.discount_percent, PriceRule.category, PriceRule.min_quantity
        ).where(PriceRule.price_list_id == price_list_id)
    )
    return tuple(
        pricing.PriceRule(
            tier=row.tier,
            discount_percent=row.discount_percent,
            category=row.category,
            min_quantity=row.min_quantity,
        )
        for row in rows
    )
