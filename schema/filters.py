"""Typed filter and ordering inputs of the root connections, each turned into SQL conditions."""

from datetime import date, datetime
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy import ARRAY, ColumnElement, String, any_, func, literal
from strawberry import relay

from domain.erp import receivables, stock_position
from schema import enums as e
from schema import tables as t
from schema.enums import Direction
from schema.loaders import text_search
from schema.roots import RootOrdering, decode_id
from schema.text import SEARCH_TEXT

Conditions = list[ColumnElement[bool]]


def _values(items: list[Any] | None) -> list[str] | None:
    # Deduplicated: an enum list is then no longer than the enum, however long the request's.
    return list(dict.fromkeys(item.value for item in items)) if items else None


def _range(column: Any, low: Any, high: Any) -> Conditions:
    out: Conditions = []
    if low is not None:
        out.append(column >= low)
    if high is not None:
        out.append(column <= high)
    return out


def _in(column: Any, values: list[str] | None) -> Conditions:
    # One array parameter (`= ANY($1)`): an expanded IN list costs a bind argument per value.
    return [column == any_(literal(values, ARRAY(String)))] if values else []


def _eq(column: Any, value: Any) -> Conditions:
    return [column == value] if value is not None else []


@strawberry.input(description="Filters for customers; all given conditions must hold.")
class CustomerFilter:
    tier: list[e.CustomerTier] | None = strawberry.field(
        default=None, description="Any of these tiers."
    )
    status: list[e.CustomerStatus] | None = strawberry.field(
        default=None, description="Any of these statuses."
    )
    account_manager: relay.GlobalID | None = strawberry.field(
        default=None, description="Managed by this employee."
    )
    country: str | None = strawberry.field(default=None, description="ISO country code.")
    search: str | None = strawberry.field(
        default=None, description="Text in name, code or email.", metadata=SEARCH_TEXT
    )
    created_from: datetime | None = strawberry.field(
        default=None, description="Created at or after."
    )
    created_to: datetime | None = strawberry.field(
        default=None, description="Created at or before."
    )

    def conditions(self) -> Conditions:
        c = t.customer.c
        out = _in(c.tier, _values(self.tier)) + _in(c.status, _values(self.status))
        out += _eq(
            c.account_manager_id,
            decode_id(self.account_manager, "Employee", "filter.accountManager"),
        )
        out += _eq(c.country, self.country.upper() if self.country else None)
        out += [text_search([c.name, c.code, c.email], self.search)] if self.search else []
        return out + _range(c.created_at, self.created_from, self.created_to)


@strawberry.enum(description="Fields customers can be sorted by.")
class CustomerOrderField(Enum):
    NAME = "name"
    CODE = "code"
    CREATED_AT = "created_at"
    LIFETIME_REVENUE = "lifetime_revenue"


@strawberry.input(description="Sort order of customers.")
class CustomerOrder:
    field: CustomerOrderField = strawberry.field(description="Sort key.")
    direction: Direction = strawberry.field(default=Direction.ASC, description="Direction.")


def customer_ordering(order: CustomerOrder | None) -> RootOrdering:
    order = order or CustomerOrder(field=CustomerOrderField.NAME)
    descending = order.direction == Direction.DESC
    name = f"{order.field.value}:{order.direction.value}"
    if order.field == CustomerOrderField.LIFETIME_REVENUE:
        # Customers without computed metrics sort as zero revenue.
        revenue = func.coalesce(t.customer_metrics.c.lifetime_revenue, 0)
        source = t.customer.outerjoin(
            t.customer_metrics, t.customer_metrics.c.customer_id == t.customer.c.id
        )
        return RootOrdering(name, (revenue, t.customer.c.id), descending, source)
    return RootOrdering(name, (t.customer.c[order.field.value], t.customer.c.id), descending)


def simple_ordering(table: Any, column: str, descending: bool) -> RootOrdering:
    return RootOrdering(
        f"{column}:{'desc' if descending else 'asc'}", (table.c[column], table.c.id), descending
    )


@strawberry.input(description="Filters for sales orders.")
class SalesOrderFilter:
    status: list[e.OrderStatus] | None = strawberry.field(
        default=None, description="Any of these statuses."
    )
    customer: relay.GlobalID | None = strawberry.field(
        default=None, description="Of this customer."
    )
    sales_rep: relay.GlobalID | None = strawberry.field(
        default=None, description="Owned by this employee."
    )
    search: str | None = strawberry.field(
        default=None, description="Text in the order number.", metadata=SEARCH_TEXT
    )
    ordered_from: datetime | None = strawberry.field(
        default=None, description="Ordered at or after."
    )
    ordered_to: datetime | None = strawberry.field(
        default=None, description="Ordered at or before."
    )

    def conditions(self) -> Conditions:
        c = t.sales_order.c
        out = _in(c.status, _values(self.status))
        out += _eq(c.customer_id, decode_id(self.customer, "Customer", "filter.customer"))
        out += _eq(c.sales_rep_id, decode_id(self.sales_rep, "Employee", "filter.salesRep"))
        out += [text_search([c.number], self.search)] if self.search else []
        return out + _range(c.ordered_at, self.ordered_from, self.ordered_to)


@strawberry.input(description="Filters for invoices.")
class InvoiceFilter:
    status: list[e.InvoiceStatus] | None = strawberry.field(
        default=None, description="Any of these statuses."
    )
    customer: relay.GlobalID | None = strawberry.field(
        default=None, description="Of this customer."
    )
    overdue: bool | None = strawberry.field(
        default=None, description="Only (or no) open invoices past due."
    )
    search: str | None = strawberry.field(
        default=None, description="Text in the invoice number.", metadata=SEARCH_TEXT
    )
    issued_from: date | None = strawberry.field(default=None, description="Issued on or after.")
    issued_to: date | None = strawberry.field(default=None, description="Issued on or before.")
    due_from: date | None = strawberry.field(default=None, description="Due on or after.")
    due_to: date | None = strawberry.field(default=None, description="Due on or before.")

    def conditions(self) -> Conditions:
        c = t.invoice.c
        out = _in(c.status, _values(self.status))
        out += _eq(c.customer_id, decode_id(self.customer, "Customer", "filter.customer"))
        if self.overdue is not None:
            late = receivables.is_overdue(t.invoice)
            out.append(late if self.overdue else ~late)
        out += [text_search([c.number], self.search)] if self.search else []
        return (
            out
            + _range(c.issued_on, self.issued_from, self.issued_to)
            + _range(c.due_on, self.due_from, self.due_to)
        )


@strawberry.input(description="Filters for stock items.")
class StockItemFilter:
    category: list[e.StockCategory] | None = strawberry.field(
        default=None, description="Any of these categories."
    )
    search: str | None = strawberry.field(
        default=None, description="Text in SKU or name.", metadata=SEARCH_TEXT
    )
    supplier: relay.GlobalID | None = strawberry.field(
        default=None, description="Preferred supplier."
    )
    below_reorder_point: bool | None = strawberry.field(
        default=None,
        description="Only items whose available stock plus what is on order is at or below "
        "their reorder point.",
    )
    active: bool | None = strawberry.field(
        default=None, description="Only items still sold (true) or no longer sold (false)."
    )

    def conditions(self) -> Conditions:
        c = t.stock_item.c
        out = _in(c.category, _values(self.category)) + _eq(c.is_active, self.active)
        out += [text_search([c.sku, c.name], self.search)] if self.search else []
        out += _eq(c.supplier_id, decode_id(self.supplier, "Supplier", "filter.supplier"))
        if self.below_reorder_point:
            out.append(stock_position.item_at_reorder_point(t.stock_item))
        return out


@strawberry.input(description="Filters for employees.")
class EmployeeFilter:
    status: list[e.EmployeeStatus] | None = strawberry.field(
        default=None, description="Any of these statuses."
    )
    department: relay.GlobalID | None = strawberry.field(
        default=None, description="In this department."
    )
    manager: relay.GlobalID | None = strawberry.field(
        default=None, description="Reporting to this employee."
    )
    search: str | None = strawberry.field(
        default=None, description="Text in name or email.", metadata=SEARCH_TEXT
    )
    hired_from: date | None = strawberry.field(default=None, description="Hired on or after.")
    hired_to: date | None = strawberry.field(default=None, description="Hired on or before.")

    def conditions(self) -> Conditions:
        c = t.employee.c
        out = _in(c.status, _values(self.status))
        out += _eq(c.department_id, decode_id(self.department, "Department", "filter.department"))
        out += _eq(c.manager_id, decode_id(self.manager, "Employee", "filter.manager"))
        out += [text_search([c.name, c.email], self.search)] if self.search else []
        return out + _range(c.hire_date, self.hired_from, self.hired_to)


@strawberry.input(description="Filters for campaigns.")
class CampaignFilter:
    status: list[e.CampaignStatus] | None = strawberry.field(
        default=None, description="Any of these statuses."
    )
    channel: list[e.CampaignChannel] | None = strawberry.field(
        default=None, description="Any of these channels."
    )
    owner: relay.GlobalID | None = strawberry.field(
        default=None, description="Run by this employee."
    )
    search: str | None = strawberry.field(
        default=None, description="Text in the name.", metadata=SEARCH_TEXT
    )
    starts_from: date | None = strawberry.field(default=None, description="Starting on or after.")
    starts_to: date | None = strawberry.field(default=None, description="Starting on or before.")

    def conditions(self) -> Conditions:
        c = t.campaign.c
        out = _in(c.status, _values(self.status)) + _in(c.channel, _values(self.channel))
        out += _eq(c.owner_id, decode_id(self.owner, "Employee", "filter.owner"))
        out += [text_search([c.name], self.search)] if self.search else []
        return out + _range(c.starts_on, self.starts_from, self.starts_to)


@strawberry.input(description="Filters for opportunities.")
class OpportunityFilter:
    stage: list[e.OpportunityStage] | None = strawberry.field(
        default=None, description="Any of these stages."
    )
    owner: relay.GlobalID | None = strawberry.field(
        default=None, description="Owned by this employee."
    )
    customer: relay.GlobalID | None = strawberry.field(
        default=None, description="Of this customer."
    )
    search: str | None = strawberry.field(
        default=None, description="Text in the name.", metadata=SEARCH_TEXT
    )
    expected_close_from: date | None = strawberry.field(
        default=None, description="Closing on or after."
    )
    expected_close_to: date | None = strawberry.field(
        default=None, description="Closing on or before."
    )

    def conditions(self) -> Conditions:
        c = t.opportunity.c
        out = _in(c.stage, _values(self.stage))
        out += _eq(c.owner_id, decode_id(self.owner, "Employee", "filter.owner"))
        out += _eq(c.customer_id, decode_id(self.customer, "Customer", "filter.customer"))
        out += [text_search([c.name], self.search)] if self.search else []
        return out + _range(c.expected_close_on, self.expected_close_from, self.expected_close_to)


@strawberry.input(description="Filters for support tickets.")
class TicketFilter:
    status: list[e.TicketStatus] | None = strawberry.field(
        default=None, description="Any of these statuses."
    )
    category: list[e.TicketCategory] | None = strawberry.field(
        default=None, description="Any of these categories."
    )
    priority: list[e.TicketPriority] | None = strawberry.field(
        default=None, description="Any of these priorities."
    )
    customer: relay.GlobalID | None = strawberry.field(
        default=None, description="Of this customer."
    )
    assignee: relay.GlobalID | None = strawberry.field(
        default=None, description="Assigned to this employee."
    )
    search: str | None = strawberry.field(
        default=None, description="Text in number or subject.", metadata=SEARCH_TEXT
    )
    opened_from: datetime | None = strawberry.field(default=None, description="Opened at or after.")
    opened_to: datetime | None = strawberry.field(default=None, description="Opened at or before.")

    def conditions(self) -> Conditions:
        c = t.ticket.c
        out = _in(c.status, _values(self.status)) + _in(c.category, _values(self.category))
        out += _in(c.priority, _values(self.priority))
        out += _eq(c.customer_id, decode_id(self.customer, "Customer", "filter.customer"))
        out += _eq(c.assignee_id, decode_id(self.assignee, "Employee", "filter.assignee"))
        out += [text_search([c.number, c.subject], self.search)] if self.search else []
        return out + _range(c.opened_at, self.opened_from, self.opened_to)


@strawberry.input(description="Filters for interactions.")
class InteractionFilter:
    channel: list[e.InteractionChannel] | None = strawberry.field(
        default=None, description="Any of these channels."
    )
    customer: relay.GlobalID | None = strawberry.field(
        default=None, description="With this customer."
    )
    employee: relay.GlobalID | None = strawberry.field(
        default=None, description="Handled by this employee."
    )
    search: str | None = strawberry.field(
        default=None, description="Text in the subject.", metadata=SEARCH_TEXT
    )
    occurred_from: datetime | None = strawberry.field(default=None, description="At or after.")
    occurred_to: datetime | None = strawberry.field(default=None, description="At or before.")

    def conditions(self) -> Conditions:
        c = t.interaction.c
        out = _in(c.channel, _values(self.channel))
        out += _eq(c.customer_id, decode_id(self.customer, "Customer", "filter.customer"))
        out += _eq(c.employee_id, decode_id(self.employee, "Employee", "filter.employee"))
        out += [text_search([c.subject], self.search)] if self.search else []
        return out + _range(c.occurred_at, self.occurred_from, self.occurred_to)


@strawberry.input(description="Filters for purchase orders.")
class PurchaseOrderFilter:
    status: list[e.PurchaseOrderStatus] | None = strawberry.field(
        default=None, description="Any of these statuses."
    )
    supplier: relay.GlobalID | None = strawberry.field(
        default=None, description="From this supplier."
    )
    search: str | None = strawberry.field(
        default=None, description="Text in the number.", metadata=SEARCH_TEXT
    )
    ordered_from: datetime | None = strawberry.field(
        default=None, description="Ordered at or after."
    )
    ordered_to: datetime | None = strawberry.field(
        default=None, description="Ordered at or before."
    )

    def conditions(self) -> Conditions:
        c = t.purchase_order.c
        out = _in(c.status, _values(self.status))
        out += _eq(c.supplier_id, decode_id(self.supplier, "Supplier", "filter.supplier"))
        out += [text_search([c.number], self.search)] if self.search else []
        return out + _range(c.ordered_at, self.ordered_from, self.ordered_to)


@strawberry.input(description="Filters for suppliers.")
class SupplierFilter:
    country: str | None = strawberry.field(default=None, description="ISO country code.")
    search: str | None = strawberry.field(
        default=None, description="Text in name, code or email.", metadata=SEARCH_TEXT
    )

    def conditions(self) -> Conditions:
        c = t.supplier.c
        out = _eq(c.country, self.country.upper() if self.country else None)
        return out + ([text_search([c.name, c.code, c.email], self.search)] if self.search else [])


@strawberry.input(description="Sort direction for lists sorted by their main date.")
class DateOrder:
    direction: Direction = strawberry.field(
        default=Direction.DESC, description="DESC = newest first."
    )
