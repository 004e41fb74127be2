"""The revenue outlook a sales director reads: per week or month of the forecast's horizon,
what is booked, what the pipeline promises and what the statistical forecast expects.

- **booked**: what open orders (placed or confirmed) still have to invoice, their lines'
  net value minus what was already invoiced on them; all of it in the first period.
- **pipeline**: open opportunities by expected close day, each amount × win probability;
  deals whose close day has passed while still open count in the first period.
- **statistical**: the served revenue forecast (`domain.analytics.revenue_forecast`) summed
  over the period, net of both: it expects all the revenue of the period, known or not, so
  only what it expects beyond the booked and pipeline revenue is added,
  `max(forecast − booked − pipeline, 0)`, and the period's expectation is
  `max(forecast, booked + pipeline)`.
- **interval** (80 %): the forecast's daily intervals added up as independent normal days
  (each day's spread is its interval's width over 2 × 1.2816), then treated like the
  forecast: the booked and pipeline revenue is a floor under both bounds.

Opportunities have no product lines yet, so a category's outlook has no pipeline.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, literal, select

from domain.analytics.daily import SALE_STATUSES
from domain.core.literal_sql import one_of
from domain.crm.models import Customer, Opportunity
from domain.crm.opportunity_stages import OPEN_STAGES
from domain.erp.models import SalesOrder, SalesOrderLine, StockItem
from domain.erp.models.invoices import Invoice, InvoiceLine

CENT = Decimal("0.01")
# The normal quantile of an 80 % two-sided interval.
Z80 = 1.2815515655446004
OPEN_ORDER_STATUSES = ("placed", "confirmed")
assert set(OPEN_ORDER_STATUSES) <= set(SALE_STATUSES)


@dataclass(frozen=True)
class Day:
    """A forecast day: its expected revenue and 80 % interval."""

    day: date
    revenue: Decimal
    low: Decimal
    high: Decimal


@dataclass(frozen=True)
class Period:
    starts_on: date
    ends_on: date
    booked: Decimal
    pipeline: Decimal
    statistical: Decimal
    expected: Decimal
    low: Decimal
    high: Decimal


def periods(
    days: Sequence[Day], booked: Decimal, pipeline: Mapping[date, Decimal], by: str
) -> list[Period]:
    """The outlook per `by` ("week" or "month") over the forecast's days."""
    if not days:
        return []
    first = days[0].day
    groups: dict[date, list[Day]] = {}
    for day in days:
        groups.setdefault(_period_start(day.day, by), []).append(day)
    found = []
    for index, (start, members) in enumerate(groups.items()):
        last = members[-1].day
        deals = sum(
            (amount for due, amount in pipeline.items() if _belongs(due, start, last, first)),
            Decimal(0),
        )
        known = deals + (booked if index == 0 else Decimal(0))
        forecast = sum((d.revenue for d in members), Decimal(0))
        spread = math.sqrt(sum(float((d.high - d.low) / 2) ** 2 for d in members)) / Z80
        low = Decimal(max(float(forecast) - Z80 * spread, 0.0))
        high = Decimal(float(forecast) + Z80 * spread)
        found.append(
            Period(
                starts_on=start if start >= first else first,
                ends_on=last,
                booked=_money(booked if index == 0 else Decimal(0)),
                pipeline=_money(deals),
                statistical=_money(max(forecast - known, Decimal(0))),
                expected=_money(max(forecast, known)),
                low=_money(max(low, known)),
                high=_money(max(high, known)),
            )
        )
    return found


def _period_start(day: date, by: str) -> date:
    if by == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _belongs(due: date, start: date, last: date, first: date) -> bool:
    """A deal counts in the period holding its close day; an overdue one in the first."""
    return start <= due <= last or (due < first and start <= first <= last)


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT)


def booked_statement(scope: str, key: str) -> Any:
    """What open orders of the scope still have to invoice (one row, one value)."""
    invoiced = (
        select(func.coalesce(func.sum(InvoiceLine.line_total), 0))
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(InvoiceLine.sales_order_line_id == SalesOrderLine.id, Invoice.status != "void")
        .correlate(SalesOrderLine)
        .scalar_subquery()
    )
    statement = (
        select(func.coalesce(func.sum(func.greatest(SalesOrderLine.line_total - invoiced, 0)), 0))
        .select_from(SalesOrderLine)
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.sales_order_id)
        .where(one_of(SalesOrder.status.expression, OPEN_ORDER_STATUSES))
    )
    if scope == "tier":
        statement = statement.join(Customer, Customer.id == SalesOrder.customer_id).where(
            Customer.tier == key
        )
    elif scope == "category":
        statement = statement.join(StockItem, StockItem.id == SalesOrderLine.stock_item_id).where(
            StockItem.category == key
        )
    return statement


def pipeline_statement(scope: str, key: str, until: date) -> Any:
    """Open opportunities of the scope closing by `until`, weighted, per close day."""
    if scope == "category":
        # Opportunities name no products: nothing to attribute to a category.
        return select(literal(None).label("day"), literal(Decimal(0))).where(literal(False))
    weighted = func.sum(Opportunity.amount * Opportunity.probability / 100)
    statement = (
        select(Opportunity.expected_close_on.label("day"), weighted.label("amount"))
        .where(
            one_of(Opportunity.stage.expression, OPEN_STAGES),
            Opportunity.expected_close_on.is_not(None),
            Opportunity.expected_close_on <= until,
        )
        .group_by(Opportunity.expected_close_on)
    )
    if scope == "tier":
        statement = statement.join(Customer, Customer.id == Opportunity.customer_id).where(
            Customer.tier == key
        )
    return statement
