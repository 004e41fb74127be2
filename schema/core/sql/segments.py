"""Segments' statements: a segment's live figures, and which segments hold a customer."""

from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, literal, select

from domain.analytics import reads as figures
from domain.core.access import Viewer
from domain.crm.models import Customer
from schema.core.sql.base import Statement, listed, table_of, visible
from schema.core.sql.where import where_condition

CUSTOMER: Table = table_of(Customer)


def all_rows(table: Table) -> Statement:
    """Every row of a small table (the segments)."""
    return select(table)


def segment_figures(where: Any, viewer: Viewer, since: datetime) -> Statement:
    """Members, revenue since `since` and expected 90-day revenue of the customers meeting
    `where`, beside the same sums over every customer the viewer may see: one scan."""
    member = where_condition(where, CUSTOMER, viewer, argument="definition")
    sales = figures.revenue_by_customer_since(literal(since))
    forecast = figures.CUSTOMER_FORECAST
    revenue = func.coalesce(sales.c.revenue, 0)
    expected = func.coalesce(forecast.c.expected_revenue_90d, 0)
    rows = CUSTOMER.outerjoin(sales, sales.c.customer_id == CUSTOMER.c.id).outerjoin(
        forecast, forecast.c.customer_id == CUSTOMER.c.id
    )
    statement: Statement = (
        select(
            func.count().filter(member).label("members"),
            func.coalesce(func.sum(revenue).filter(member), 0).label("revenue"),
            func.coalesce(func.sum(revenue), 0).label("all_revenue"),
            func.coalesce(func.sum(expected).filter(member), 0).label("expected"),
            func.coalesce(func.sum(expected), 0).label("all_expected"),
        )
        .select_from(rows)
        .where(visible(viewer, CUSTOMER), *listed(CUSTOMER))
    )
    return statement


def segments_holding(customer_id: int, wheres: list[Any], viewer: Viewer) -> Statement:
    """One row for the customer: `s<i>` tells whether it meets the i-th `where`."""
    conditions: list[Any] = [
        where_condition(where, CUSTOMER, viewer, argument="definition").label(f"s{i}")
        for i, where in enumerate(wheres)
    ]
    statement: Statement = select(*conditions).where(
        CUSTOMER.c.id == customer_id, visible(viewer, CUSTOMER)
    )
    return statement
