"""Customers: the type, its filter and sort, its root fields and its mutations.

The Customer type is where CRM and ERP meet: besides its own data it shows its orders,
invoices, payments and open balance (ERP) and its precomputed metrics and forecast
(analytics). Types of other contexts are referred to by name (`strawberry.lazy`), and the
values they compute come from the domain's read rules.
"""

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import strawberry
from strawberry import relay
from strawberry.types import Info

from domain.analytics import reads as figures
from domain.crm import campaigns as campaign_reads
from domain.crm import customers
from domain.crm.models import Customer as CustomerModel
from domain.crm.vocabulary import CUSTOMER_KINDS, CUSTOMER_STATUSES, CUSTOMER_TIERS
from domain.erp import receivables
from schema.core import filters, sql
from schema.core.aggregates import aggregate_field
from schema.core.compiled.planner import ROOT_READ, RootNode
from schema.core.connections import Direction, Narrow, RootSort, root_connection
from schema.core.enums import vocabulary_enum
from schema.core.ids import decode, decode_optional
from schema.core.mutations import enum_value, given, mutation, retry_key
from schema.core.node_queries import one_node
from schema.core.nodes import TableNode, desc
from schema.core.pagination import Connection
from schema.core.relations import ESTIMATED_ITEMS, Children, Computed, Page, RowOf, RowsOf, ToOne
from schema.core.where import Derived

if TYPE_CHECKING:
    from schema.analytics.customer_value import CustomerForecast, CustomerMetrics
    from schema.crm.campaigns import Campaign
    from schema.crm.contacts import Contact
    from schema.crm.interactions import Interaction
    from schema.crm.opportunities import Opportunity
    from schema.crm.segments import Segment
    from schema.crm.tickets import Ticket
    from schema.erp.employees import Employee
    from schema.erp.invoices import Invoice
    from schema.erp.payments import Payment
    from schema.erp.sales_orders import SalesOrder
    from schema.finance.open_items import CustomerStatement

EmployeeRef = Annotated["Employee", strawberry.lazy("schema.erp.employees")]
CampaignRef = Annotated["Campaign", strawberry.lazy("schema.crm.campaigns")]
ContactRef = Annotated["Contact", strawberry.lazy("schema.crm.contacts")]
InteractionRef = Annotated["Interaction", strawberry.lazy("schema.crm.interactions")]
OpportunityRef = Annotated["Opportunity", strawberry.lazy("schema.crm.opportunities")]
TicketRef = Annotated["Ticket", strawberry.lazy("schema.crm.tickets")]
SalesOrderRef = Annotated["SalesOrder", strawberry.lazy("schema.erp.sales_orders")]
InvoiceRef = Annotated["Invoice", strawberry.lazy("schema.erp.invoices")]
PaymentRef = Annotated["Payment", strawberry.lazy("schema.erp.payments")]
MetricsRef = Annotated["CustomerMetrics", strawberry.lazy("schema.analytics.customer_value")]
ForecastRef = Annotated["CustomerForecast", strawberry.lazy("schema.analytics.customer_value")]
StatementRef = Annotated["CustomerStatement", strawberry.lazy("schema.finance.open_items")]
SegmentRef = Annotated["Segment", strawberry.lazy("schema.crm.segments")]

CustomerKind = vocabulary_enum("CustomerKind", CUSTOMER_KINDS, "Company or private person.")
CustomerTier = vocabulary_enum(
    "CustomerTier", CUSTOMER_TIERS, "Commercial tier; sets the prices a customer pays."
)
CustomerStatus = vocabulary_enum(
    "CustomerStatus", CUSTOMER_STATUSES, "Where a customer is in its lifecycle."
)

ZERO = Decimal("0.00")
BALANCES = sql.row_per_key("open_balance", receivables.customer_balances, key="customer_id")
# Metrics and forecast are primary-key reads of two analytics tables: one statement serves both.
FIGURES = sql.row_per_key("customer_analytics", figures.customer_figures, key="id")
CAMPAIGNS = sql.rows_per_key(
    "campaigns_of_customer", campaign_reads.campaigns_of_customers, key="_customer", by_viewer=True
)


@strawberry.type(description="A company or person the company sells to.")
class Customer(TableNode):
    MODEL = CustomerModel
    # What `where` may test besides the columns: figures the read rules and workers derive.
    WHERE_OPERANDS: ClassVar[dict[str, Derived]] = {
        "open_balance": Derived(Decimal, receivables.open_balance),
        "lifetime_revenue": Derived(
            Decimal, figures.lifetime_revenue, reveals=("CustomerMetrics", "lifetimeRevenue")
        ),
        "expected_revenue_90d": Derived(
            Decimal,
            figures.expected_revenue_90d,
            reveals=("CustomerForecast", "expectedRevenue90d"),
        ),
    }
    id: relay.NodeID[int]
    code: str = desc("Customer number.")
    name: str = desc("Company or person name.")
    kind: CustomerKind = desc("Company or person.")
    email: str | None = desc("Main email address.")
    phone: str | None = desc("Main phone number.")
    country: str | None = desc("ISO 3166-1 alpha-2 country code.")
    industry: str | None = desc("Industry.")
    tier: CustomerTier = desc("Commercial tier; sets the prices this customer pays.")
    status: CustomerStatus = desc("Lifecycle status.")
    currency: str = desc("ISO 4217 currency of the account.")
    credit_limit: Decimal | None = desc("Credit limit.")
    created_at: datetime = desc("When the customer was created.")
    version: int = desc("Version for optimistic concurrency on updates.")
    archived_at: datetime | None = desc(
        "When it was archived: left out of lists, kept for what refers to it; null while in use."
    )
    external_source: str | None = desc("The system it was imported from, if imported.")
    external_id: str | None = desc("Its id in that system (unique there; imports upsert by it).")

    account_manager: EmployeeRef | None = ToOne["Employee"]("account_manager_id").field(
        "The employee managing this account."
    )
    acquisition_campaign: CampaignRef | None = ToOne["Campaign"]("acquisition_campaign_id").field(
        "The campaign that brought this customer in."
    )
    open_balance: Decimal | None = Computed(BALANCES, "open_balance", ZERO).field(
        "Live amount due on all open invoices."
    )
    metrics: MetricsRef | None = RowOf["CustomerMetrics"](
        FIGURES, prefix=figures.METRICS, present="customer_id"
    ).field("Precomputed metrics; null until the workers computed them.")
    forecast: ForecastRef | None = RowOf["CustomerForecast"](
        FIGURES, prefix=figures.FORECAST, present="customer_id"
    ).field("Precomputed 90-day forecast; null until the workers computed it.")
    contacts: list[ContactRef] | None = Children["Contact"](
        "customer_id", order=("-is_primary", "last_name", "id"), estimated_items=5
    ).field("People at this customer, the primary contact first.")
    orders: Connection[SalesOrderRef] | None = Page["SalesOrder"](
        "customer_id", sort=sql.newest("ordered_at")
    ).field("Sales orders, newest first.")
    invoices: Connection[InvoiceRef] | None = Page["Invoice"](
        "customer_id", sort=sql.newest("issued_on")
    ).field("Invoices, newest first.")
    payments: Connection[PaymentRef] | None = Page["Payment"](
        "customer_id", sort=sql.newest("received_at")
    ).field("Payments received, newest first.")
    interactions: Connection[InteractionRef] | None = Page["Interaction"](
        "customer_id", sort=sql.newest("occurred_at")
    ).field("Calls, emails, meetings and other contacts, newest first.")
    opportunities: Connection[OpportunityRef] | None = Page["Opportunity"](
        "customer_id", sort=sql.newest("created_at")
    ).field("Opportunities, newest first.")
    tickets: Connection[TicketRef] | None = Page["Ticket"](
        "customer_id", sort=sql.newest("opened_at")
    ).field("Support tickets, newest first.")
    campaigns: list[CampaignRef] | None = RowsOf["Campaign"](CAMPAIGNS, estimated_items=5).field(
        "Campaigns this customer was targeted by, latest first."
    )

    @strawberry.field(
        description="Statement of account from the ledger: what the customer owed before the "
        "period, every receivable line in it with the running balance, and what they owed at "
        "its end. Two statements per customer: ask for it on one customer or a few."
    )
    async def statement(
        self,
        info: Info,
        start: Annotated[
            date, strawberry.argument(name="from", description="First day of the period.")
        ],
        end: Annotated[
            date,
            strawberry.argument(
                name="to", description="Last day of the period; at most about five years on."
            ),
        ],
    ) -> StatementRef | None:
        # Finance's type builds itself; named, not imported, as types of later contexts are.
        report: Any = info.schema.get_type_by_name("CustomerStatement")
        return await report.origin.of_customer(info, self.id, start, end)

    @strawberry.field(
        description="The saved segments this customer is in now (of those whose conditions "
        "the viewer may use). One statement per customer: ask for it on one or a few.",
        metadata={ESTIMATED_ITEMS: 5},
    )
    async def segments(self, info: Info) -> list[SegmentRef] | None:
        segment: Any = info.schema.get_type_by_name("Segment")
        return await segment.origin.of_customer(info, self.id)


@strawberry.input(description="Filters for customers; all given conditions must hold.")
class CustomerFilter:
    tier: list[CustomerTier] | None = filters.any_of("tier", "Any of these tiers.")
    status: list[CustomerStatus] | None = filters.any_of("status", "Any of these statuses.")
    account_manager: relay.GlobalID | None = filters.node(
        "account_manager_id", "Employee", "Managed by this employee."
    )
    country: str | None = filters.equals(
        "country", "ISO country code.", normalize=lambda code: code.upper() or None
    )
    search: str | None = filters.search(
        "name", "code", "email", description="Text in name, code or email."
    )
    created_from: datetime | None = filters.at_least("created_at", "Created at or after.")
    created_to: datetime | None = filters.at_most("created_at", "Created at or before.")
    include_archived: bool | None = filters.include_archived()


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


def _ordering(order: CustomerOrder | None, table: sql.Table) -> sql.RootOrdering:
    order = order or CustomerOrder(field=CustomerOrderField.NAME)
    descending = order.direction == Direction.DESC
    if order.field == CustomerOrderField.LIFETIME_REVENUE:
        source, revenue = figures.customers_by_lifetime_revenue()
        name = f"{order.field.value}:{order.direction.value}"
        return sql.by_expression(name, table, revenue, source, descending=descending)
    return sql.by_columns(table, order.field.value, descending=descending)


async def _in_segment(info: Info, segment: relay.GlobalID, table: sql.Table) -> list[Any]:
    # Segments are saved customer conditions: their module imports this one.
    from schema.crm.segments import customers_in_segment

    return await customers_in_segment(info, segment, table)


@strawberry.type
class CustomerQueries:
    @strawberry.field(
        description="One customer by global ID (an error if it does not exist).",
        metadata={ROOT_READ: RootNode(Customer)},
    )
    async def customer(
        self,
        info: Info,
        id: Annotated[relay.GlobalID, strawberry.argument(description="Customer ID.")],
    ) -> Customer | None:
        return await one_node(info, id, Customer)  # type: ignore[return-value]

    customers = root_connection(
        Customer,
        description="Customers, filtered and sorted (default by name).",
        sort=RootSort(_ordering, CustomerOrder, "Sort order."),
        filter=CustomerFilter,
        narrow=Narrow(
            "segment", relay.GlobalID, "Only the customers of this saved segment.", _in_segment
        ),
    )
    customers_aggregate = aggregate_field(
        Customer, "Customers grouped, with counts and sums per group (one statement)."
    )


CUSTOMER_FIELDS = ("name", "email", "phone", "country", "industry", "currency", "credit_limit")


@strawberry.input(description="A new customer or lead. The customer number is assigned.")
class CustomerCreateInput:
    name: str = strawberry.field(description="Company or person name (at most 200 characters).")
    kind: CustomerKind = strawberry.field(
        default=CustomerKind.COMPANY, description="Company or person."
    )
    email: str | None = strawberry.field(default=None, description="Main email address.")
    phone: str | None = strawberry.field(default=None, description="Main phone number.")
    country: str | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2 code.")
    industry: str | None = strawberry.field(default=None, description="Industry.")
    # Restricted fields default to UNSET: only a client naming one writes it (see `mutation`).
    tier: CustomerTier | None = strawberry.field(
        default=strawberry.UNSET,
        description="Price tier (default BRONZE). Only sales managers may set it.",
    )
    status: CustomerStatus = strawberry.field(
        default=CustomerStatus.LEAD, description="Lifecycle status."
    )
    currency: str = strawberry.field(default="EUR", description="ISO 4217 account currency.")
    credit_limit: Decimal | None = strawberry.field(
        default=strawberry.UNSET,
        description="Credit limit (default: none). Only finance and sales managers may set it.",
    )
    account_manager: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Employee managing the account (a sales employee). Only sales managers "
        "may set it; a sales rep's new customer is theirs.",
    )
    idempotency_key: str | None = retry_key("registering a second customer")


@strawberry.input(description="Changes to a customer; fields left out keep their value.")
class CustomerUpdateInput:
    id: strawberry.ID = strawberry.field(description="The customer.")
    version: int = strawberry.field(description="The version you read; a newer one is a CONFLICT.")
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Name.")
    kind: CustomerKind | None = strawberry.field(default=strawberry.UNSET, description="Kind.")
    email: str | None = strawberry.field(
        default=strawberry.UNSET, description="Email; null clears it."
    )
    phone: str | None = strawberry.field(
        default=strawberry.UNSET, description="Phone; null clears it."
    )
    country: str | None = strawberry.field(default=strawberry.UNSET, description="Country code.")
    industry: str | None = strawberry.field(default=strawberry.UNSET, description="Industry.")
    tier: CustomerTier | None = strawberry.field(
        default=strawberry.UNSET,
        description="Price tier: changes the prices of future orders. Sales managers only.",
    )
    status: CustomerStatus | None = strawberry.field(
        default=strawberry.UNSET, description="Status."
    )
    currency: str | None = strawberry.field(
        default=strawberry.UNSET, description="Account currency."
    )
    credit_limit: Decimal | None = strawberry.field(
        default=strawberry.UNSET,
        description="Credit limit; null removes the limit. Finance and sales managers only.",
    )
    account_manager: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Account manager (a sales employee); null unassigns. Sales managers only.",
    )


def _values(input: CustomerCreateInput | CustomerUpdateInput) -> dict[str, Any]:
    values = given(input, *CUSTOMER_FIELDS)
    for name in ("kind", "tier", "status"):
        value = getattr(input, name)
        if value is not strawberry.UNSET:
            values[name] = enum_value(value)
    if input.account_manager is not strawberry.UNSET:
        values["account_manager_id"] = decode_optional(
            input.account_manager, "Employee", "accountManager"
        )
    return values


@strawberry.type
class CustomerMutations:
    customer_create = mutation(
        CustomerCreateInput,
        Customer,
        "Register a customer or lead.",
        lambda input, session, journal: customers.create(
            session=session, journal=journal, given=_values(input)
        ),
    )
    customer_update = mutation(
        CustomerUpdateInput,
        Customer,
        "Change a customer's details, tier or account manager.",
        lambda input, session, journal: customers.update(
            session=session,
            journal=journal,
            customer_id=decode(input.id, "Customer", "id"),
            version=input.version,
            given=_values(input),
        ),
    )
