"""Price lists: which rules apply (those of the active list in the customer's currency), what
an item lists at in that currency, and setting lists and their rules up.

An item has one list price, in its own currency. A customer buying in another currency is
quoted that price converted at the day's exchange rate (`domain.core.currency`), then the
tier rules of the price list in its currency apply: a price list per currency is what
decides a currency is sold in, the rates what its prices are.
"""

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import currency as currency_rates
from domain.core import references, validation
from domain.core.errors import Conflict, DomainError, NotFound, Problems
from domain.core.journal import Journal, apply_changes
from domain.core.money import ZERO
from domain.crm.vocabulary import CUSTOMER_TIERS
from domain.erp import pricing
from domain.erp.models.sales_orders import PriceList, PriceRule
from domain.erp.models.stock import STOCK_CATEGORIES, StockItem

HUNDRED = Decimal("100")


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


async def list_prices(
    session: AsyncSession, items: Iterable[StockItem], *, currency: str, on: date
) -> dict[int, Decimal]:
    """Each item's list price in `currency` on `on`; NO_RATE when a rate is missing."""
    converters: dict[str, currency_rates.Converter] = {}
    prices = {}
    for item in items:
        if item.currency not in converters:
            converters[item.currency] = await currency_rates.converter(
                session, item.currency, currency, on, field="customer"
            )
        prices[item.id] = converters[item.currency](item.unit_price)
    return prices


# Changing price lists and their rules (sales managers and finance) ----------------------

NAME_CHARS = 100


async def create(*, session: AsyncSession, journal: Journal, given: Mapping[str, Any]) -> PriceList:
    """A new price list, empty until its rules are set; the orders of its currency use the
    active list valid on their day that started last."""
    problems = Problems()
    values = await _checked_list(session, problems, given, None)
    values["currency"] = validation.currency(
        problems, "currency", str(given.get("currency") or "").strip().upper()
    )
    values["valid_from"] = given.get("valid_from")
    if values["valid_from"] is None:
        problems.add("validFrom", "must not be empty")
    check_dates(problems, values["valid_from"], values.get("valid_to"))
    problems.raise_if_any()
    price_list = PriceList(**values)
    session.add(price_list)
    await session.flush()
    journal.record(
        "price_list.created",
        entity_type="price_list",
        entity_id=price_list.id,
        changes={k: v for k, v in values.items() if v is not None},
    )
    return price_list


async def update(
    *,
    session: AsyncSession,
    journal: Journal,
    price_list_id: int,
    version: int,
    given: Mapping[str, Any],
) -> PriceList:
    """Rename a list, end it (`valid_to`) or switch it off; its currency and first day stay
    (orders were priced by them)."""
    price_list = await _for_change(session, price_list_id, version, "id")
    problems = Problems()
    values = await _checked_list(session, problems, given, price_list)
    if "valid_to" in values:
        check_dates(problems, price_list.valid_from, values["valid_to"])
    problems.raise_if_any()
    changes = apply_changes(price_list, values)
    if changes:
        price_list.version += 1
        await session.flush()
        journal.record(
            "price_list.updated",
            entity_type="price_list",
            entity_id=price_list.id,
            changes=changes,
        )
    return price_list


async def set_rule(
    *,
    session: AsyncSession,
    journal: Journal,
    price_list_id: int,
    version: int,
    given: Mapping[str, Any],
) -> PriceList:
    """The discount of a tier (for a category, from a quantity) in a list: added, or changed
    if the list has a rule for that tier, category and quantity already."""
    price_list = await _for_change(session, price_list_id, version, "priceList")
    problems = Problems()
    values = checked_rule(problems, given)
    problems.raise_if_any()
    tier, category = values["tier"], values["category"]
    min_quantity, discount = values["min_quantity"], values["discount_percent"]
    rule = await session.scalar(
        select(PriceRule).where(
            PriceRule.price_list_id == price_list.id,
            PriceRule.tier == tier,
            PriceRule.category.is_not_distinct_from(category),
            PriceRule.min_quantity == min_quantity,
        )
    )
    before = None if rule is None else rule.discount_percent
    if rule is None:
        rule = PriceRule(
            price_list_id=price_list.id,
            tier=tier,
            category=category,
            min_quantity=min_quantity,
            discount_percent=discount,
        )
        session.add(rule)
    elif rule.discount_percent == discount:
        return price_list
    rule.discount_percent = discount
    await _touch(
        session,
        journal,
        price_list,
        "price_list.rule_set",
        {
            "tier": tier,
            "category": category,
            "minQuantity": min_quantity,
            "discountPercent": [before, discount],
        },
    )
    return price_list


def checked_rule(problems: Problems, given: Mapping[str, Any]) -> dict[str, Any]:
    """A rule's values checked (problems collected): shared by `set_rule` and imports."""
    tier = given.get("tier")
    if tier not in CUSTOMER_TIERS:
        problems.add("tier", f"must be one of {', '.join(CUSTOMER_TIERS)}")
    category = given.get("category")
    if category is not None and category not in STOCK_CATEGORIES:
        problems.add("category", f"must be one of {', '.join(STOCK_CATEGORIES)}")
    min_quantity = validation.quantity(problems, "minQuantity", given.get("min_quantity") or 0)
    discount = validation.amount(problems, "discountPercent", given.get("discount_percent"))
    if discount is None or not ZERO <= discount <= HUNDRED:
        problems.add("discountPercent", "must be between 0 and 100")
    return {
        "tier": tier,
        "category": category,
        "min_quantity": min_quantity,
        "discount_percent": discount,
    }


async def remove_rule(
    *, session: AsyncSession, journal: Journal, rule_id: int, version: int
) -> PriceList:
    """A list without one of its rules."""
    rule = await session.get(PriceRule, rule_id)
    if rule is None:
        raise NotFound("price rule", "rule")
    price_list = await _for_change(session, rule.price_list_id, version, "rule")
    await session.delete(rule)
    await _touch(
        session,
        journal,
        price_list,
        "price_list.rule_removed",
        {
            "tier": rule.tier,
            "category": rule.category,
            "minQuantity": rule.min_quantity,
            "discountPercent": rule.discount_percent,
        },
    )
    return price_list


async def _for_change(
    session: AsyncSession, price_list_id: int, version: int, field: str
) -> PriceList:
    price_list = await session.get(PriceList, price_list_id, with_for_update=True)
    if price_list is None:
        raise NotFound("price list", field)
    if price_list.version != version:
        raise Conflict("price list")
    return price_list


async def _touch(
    session: AsyncSession,
    journal: Journal,
    price_list: PriceList,
    topic: str,
    changes: dict[str, Any],
) -> None:
    price_list.version += 1
    await session.flush()
    journal.record(topic, entity_type="price_list", entity_id=price_list.id, changes=changes)


async def _checked_list(
    session: AsyncSession,
    problems: Problems,
    given: Mapping[str, Any],
    price_list: PriceList | None,
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "name" in given or price_list is None:
        name = validation.text(problems, "name", given.get("name"), max_length=NAME_CHARS)
        own = price_list.id if price_list is not None else None
        if name and await references.taken_by_another(session, PriceList.name, name, own):
            problems.add("name", f"a price list named {name} exists", "DUPLICATE")
        values["name"] = name
    if "valid_to" in given:
        values["valid_to"] = given["valid_to"]
    if given.get("is_active") is not None:
        values["is_active"] = given["is_active"]
    return values


def check_dates(problems: Problems, valid_from: date | None, valid_to: date | None) -> None:
    if valid_from is not None and valid_to is not None and valid_to < valid_from:
        problems.add("validTo", "must not be before validFrom")
