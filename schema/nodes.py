"""The node types of the graph: CRM and ERP entities with their relations both ways.

Attribute fields are plain (no resolver); relations go through per-request loaders.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import strawberry
from strawberry import Private, relay
from strawberry.types import Info

from schema import analytics, derived
from schema import enums as e
from schema import tables as t
from schema.base import TableNode, desc, loaders
from schema.erp_nodes import Invoice, Payment, SalesOrder
from schema.loaders import Ordering
from schema.pagination import Connection
from schema.paging import child_page, newest_first

First = Annotated[
    int | None, strawberry.argument(description="Page size (at most 100; default 20).")
]
After = Annotated[
    str | None, strawberry.argument(description="Rows after this cursor (`endCursor`).")
]


@strawberry.type(description="A person working for the company.")
class Employee(TableNode):
    TABLE = t.employee
    ENUMS = {"status": e.EmployeeStatus}
    id: relay.NodeID[int]
    name: str = desc("Full name.")
    email: str = desc("Work email, also the login identity.")
    title: str = desc("Job title.")
    hire_date: date = desc("First working day.")
    salary: Decimal | None = desc("Annual gross salary (restricted to HR and admins).")
    status: e.EmployeeStatus = desc("Employment status.")
    department_id: Private[int | None]
    manager_id: Private[int | None]

    @strawberry.field(description="The department the employee belongs to.")
    async def department(self, info: Info) -> "Department | None":
        return await Department.load(info, self.department_id)

    @strawberry.field(description="The employee's manager.")
    async def manager(self, info: Info) -> "Employee | None":
        return await Employee.load(info, self.manager_id)

    @strawberry.field(description="Employees reporting directly to this one.")
    async def reports(self, info: Info) -> list["Employee"]:
        rows = (
            await loaders(info)
            .children(t.employee, "manager_id", [t.employee.c.name])
            .load(self.id)
        )
        return Employee.from_rows(rows)

    @strawberry.field(description="Customers this employee manages as account manager.")
    async def managed_customers(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection["Customer"]:
        return await child_page(
            info,
            Customer,
            name="Employee.managedCustomers",
            key="account_manager_id",
            parent_id=self.id,
            ordering=CUSTOMERS_BY_NAME,
            first=first,
            after=after,
        )


@strawberry.type(description="An organisational unit.")
class Department(TableNode):
    TABLE = t.department
    id: relay.NodeID[int]
    code: str = desc("Short code.")
    name: str = desc("Name.")

    @strawberry.field(description="Employees of the department.")
    async def employees(self, info: Info) -> list[Employee]:
        rows = (
            await loaders(info)
            .children(t.employee, "department_id", [t.employee.c.name])
            .load(self.id)
        )
        return Employee.from_rows(rows)


CUSTOMERS_BY_NAME = Ordering("name", (t.customer.c.name, t.customer.c.id), descending=False)


@strawberry.type(
    description="Key figures of a customer, precomputed by the workers (RFM, revenue)."
)
class CustomerMetrics:
    lifetime_revenue: Decimal = desc("Net revenue of all placed, non-cancelled orders.")
    order_count: int = desc("Number of such orders.")
    average_order_value: Decimal | None = desc("Lifetime revenue divided by order count.")
    first_order_at: datetime | None = desc("When the first order was placed.")
    last_order_at: datetime | None = desc("When the latest order was placed.")
    open_balance: Decimal = desc("Amount due on open invoices when computed.")
    overdue_balance: Decimal = desc("Amount due on overdue invoices when computed.")
    r_score: int | None = desc("Recency quintile (5 = most recent).")
    f_score: int | None = desc("Frequency quintile (5 = most frequent).")
    m_score: int | None = desc("Monetary quintile (5 = highest revenue).")
    rfm_segment: e.RfmSegment | None = desc("Named RFM segment.")
    computed_at: datetime = desc("When the workers computed these figures.")


@strawberry.type(
    description="Expected value of a customer over the next 90 days (BG/NBD + Gamma-Gamma)."
)
class CustomerForecast:
    expected_orders_90d: Decimal = desc("Expected number of orders in the next 90 days.")
    expected_revenue_90d: Decimal = desc("Expected revenue in the next 90 days.")
    low: Decimal = desc("Lower bound of the 80% prediction interval of the 90-day revenue.")
    high: Decimal = desc("Upper bound of the 80% prediction interval of the 90-day revenue.")
    probability_alive: Decimal | None = desc(
        "Probability the customer is still active (0–1); null before a first purchase."
    )
    pipeline_value: Decimal = desc(
        "Open opportunities closing within 90 days, weighted by probability."
    )
    method: str = desc("Model used for this customer.")
    computed_at: datetime = desc("When the workers computed this forecast.")


@strawberry.type(description="A company or person the company sells to.")
class Customer(TableNode):
    TABLE = t.customer
    ENUMS = {"kind": e.CustomerKind, "tier": e.CustomerTier, "status": e.CustomerStatus}
    id: relay.NodeID[int]
    code: str = desc("Customer number.")
    name: str = desc("Company or person name.")
    kind: e.CustomerKind = desc("Company or person.")
    email: str | None = desc("Main email address.")
    phone: str | None = desc("Main phone number.")
    country: str | None = desc("ISO 3166-1 alpha-2 country code.")
    industry: str | None = desc("Industry.")
    tier: e.CustomerTier = desc("Commercial tier; sets the prices this customer pays.")
    status: e.CustomerStatus = desc("Lifecycle status.")
    currency: str = desc("ISO 4217 currency of the account.")
    credit_limit: Decimal | None = desc("Credit limit.")
    created_at: datetime = desc("When the customer was created.")
    version: int = desc("Version for optimistic concurrency on updates.")
    account_manager_id: Private[int | None]
    acquisition_campaign_id: Private[int | None]

    @strawberry.field(description="The employee managing this account.")
    async def account_manager(self, info: Info) -> Employee | None:
        return await Employee.load(info, self.account_manager_id)

    @strawberry.field(description="The campaign that brought this customer in.")
    async def acquisition_campaign(self, info: Info) -> "Campaign | None":
        return await Campaign.load(info, self.acquisition_campaign_id)

    @strawberry.field(description="Live amount due on all open invoices.")
    async def open_balance(self, info: Info) -> Decimal:
        return await derived.open_balance(info, self.id)

    @strawberry.field(description="Precomputed metrics; null until the workers computed them.")
    async def metrics(self, info: Info) -> CustomerMetrics | None:
        return await derived.metrics(info, self.id, CustomerMetrics)

    @strawberry.field(
        description="Precomputed 90-day forecast; null until the workers computed it."
    )
    async def forecast(self, info: Info) -> CustomerForecast | None:
        return await derived.forecast(info, self.id, CustomerForecast)

    @strawberry.field(description="People at this customer.")
    async def contacts(self, info: Info) -> list["Contact"]:
        order = [t.contact.c.is_primary.desc(), t.contact.c.last_name, t.contact.c.id]
        rows = await loaders(info).children(t.contact, "customer_id", order).load(self.id)
        return Contact.from_rows(rows)

    @strawberry.field(description="Sales orders, newest first.")
    async def orders(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection["SalesOrder"]:
        return await child_page(
            info,
            SalesOrder,
            name="Customer.orders",
            key="customer_id",
            parent_id=self.id,
            ordering=newest_first(t.sales_order, "ordered_at"),
            first=first,
            after=after,
        )

    @strawberry.field(description="Invoices, newest first.")
    async def invoices(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection["Invoice"]:
        return await child_page(
            info,
            Invoice,
            name="Customer.invoices",
            key="customer_id",
            parent_id=self.id,
            ordering=newest_first(t.invoice, "issued_on"),
            first=first,
            after=after,
        )

    @strawberry.field(description="Payments received, newest first.")
    async def payments(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection["Payment"]:
        return await child_page(
            info,
            Payment,
            name="Customer.payments",
            key="customer_id",
            parent_id=self.id,
            ordering=newest_first(t.payment, "received_at"),
            first=first,
            after=after,
        )

    @strawberry.field(description="Calls, emails, meetings and other contacts, newest first.")
    async def interactions(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection["Interaction"]:
        return await child_page(
            info,
            Interaction,
            name="Customer.interactions",
            key="customer_id",
            parent_id=self.id,
            ordering=newest_first(t.interaction, "occurred_at"),
            first=first,
            after=after,
        )

    @strawberry.field(description="Opportunities, by expected close date (latest first).")
    async def opportunities(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection["Opportunity"]:
        return await child_page(
            info,
            Opportunity,
            name="Customer.opportunities",
            key="customer_id",
            parent_id=self.id,
            ordering=newest_first(t.opportunity, "created_at"),
            first=first,
            after=after,
        )

    @strawberry.field(description="Support tickets, newest first.")
    async def tickets(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection["Ticket"]:
        return await child_page(
            info,
            Ticket,
            name="Customer.tickets",
            key="customer_id",
            parent_id=self.id,
            ordering=newest_first(t.ticket, "opened_at"),
            first=first,
            after=after,
        )

    @strawberry.field(description="Campaigns this customer was targeted by.")
    async def campaigns(self, info: Info) -> list["Campaign"]:
        return await derived.campaigns_of_customer(info, self.id, Campaign)


@strawberry.type(description="A person at a customer.")
class Contact(TableNode):
    TABLE = t.contact
    id: relay.NodeID[int]
    first_name: str = desc("First name.")
    last_name: str = desc("Last name.")
    email: str | None = desc("Email address.")
    phone: str | None = desc("Phone number.")
    title: str | None = desc("Job title.")
    is_primary: bool = desc("The customer's main contact.")
    customer_id: Private[int]

    @strawberry.field(description="The customer this contact works for.")
    async def customer(self, info: Info) -> Customer | None:
        return await Customer.load(info, self.customer_id)


@strawberry.type(description="A recorded contact with a customer.")
class Interaction(TableNode):
    TABLE = t.interaction
    ENUMS = {"channel": e.InteractionChannel, "direction": e.InteractionDirection}
    id: relay.NodeID[int]
    channel: e.InteractionChannel = desc("Channel.")
    direction: e.InteractionDirection = desc("Inbound or outbound.")
    subject: str = desc("Subject.")
    notes: str | None = desc("Notes.")
    occurred_at: datetime = desc("When it happened.")
    customer_id: Private[int]
    employee_id: Private[int | None]
    contact_id: Private[int | None]
    campaign_id: Private[int | None]

    @strawberry.field(description="The customer.")
    async def customer(self, info: Info) -> Customer | None:
        return await Customer.load(info, self.customer_id)

    @strawberry.field(description="The employee who handled it.")
    async def employee(self, info: Info) -> Employee | None:
        return await Employee.load(info, self.employee_id)

    @strawberry.field(description="The contact person involved.")
    async def contact(self, info: Info) -> Contact | None:
        return await Contact.load(info, self.contact_id)

    @strawberry.field(description="The campaign it belongs to.")
    async def campaign(self, info: Info) -> "Campaign | None":
        return await Campaign.load(info, self.campaign_id)


@strawberry.type(description="A marketing campaign.")
class Campaign(TableNode):
    TABLE = t.campaign
    ENUMS = {"channel": e.CampaignChannel, "status": e.CampaignStatus}
    id: relay.NodeID[int]
    name: str = desc("Name.")
    channel: e.CampaignChannel = desc("Channel.")
    status: e.CampaignStatus = desc("Status.")
    budget: Decimal = desc("Budget (the campaign's cost).")
    currency: str = desc("Currency of the budget.")
    starts_on: date = desc("First day.")
    ends_on: date | None = desc("Last day.")
    owner_id: Private[int | None]

    @strawberry.field(description="The employee running the campaign.")
    async def owner(self, info: Info) -> Employee | None:
        return await Employee.load(info, self.owner_id)

    @strawberry.field(description="Results; null until the workers computed them.")
    async def performance(self, info: Info) -> analytics.CampaignPerformance | None:
        return await analytics.campaign_performance(info, self.id)

    @strawberry.field(description="Customers targeted by the campaign.")
    async def members(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection["CampaignMember"]:
        return await child_page(
            info,
            CampaignMember,
            name="Campaign.members",
            key="campaign_id",
            parent_id=self.id,
            ordering=newest_first(t.campaign_member, "added_at"),
            first=first,
            after=after,
        )


@strawberry.type(description="A customer's participation in a campaign.")
class CampaignMember(TableNode):
    TABLE = t.campaign_member
    ENUMS = {"status": e.MemberStatus}
    id: relay.NodeID[int]
    status: e.MemberStatus = desc("Targeted, responded or converted.")
    added_at: datetime = desc("When the customer was targeted.")
    responded_at: datetime | None = desc("When the customer responded.")
    converted_at: datetime | None = desc("When the customer converted.")
    customer_id: Private[int]
    campaign_id: Private[int]

    @strawberry.field(description="The customer.")
    async def customer(self, info: Info) -> Customer | None:
        return await Customer.load(info, self.customer_id)

    @strawberry.field(description="The campaign.")
    async def campaign(self, info: Info) -> Campaign | None:
        return await Campaign.load(info, self.campaign_id)


@strawberry.type(description="A potential deal in the sales pipeline.")
class Opportunity(TableNode):
    TABLE = t.opportunity
    ENUMS = {"stage": e.OpportunityStage}
    id: relay.NodeID[int]
    name: str = desc("Name.")
    stage: e.OpportunityStage = desc("Pipeline stage.")
    amount: Decimal = desc("Expected deal value.")
    currency: str = desc("Currency.")
    probability: int = desc("Win probability in percent.")
    expected_close_on: date | None = desc("Expected close date.")
    closed_at: datetime | None = desc("When it was won or lost.")
    lost_reason: str | None = desc("Why it was lost.")
    version: int = desc("Version for optimistic concurrency.")
    customer_id: Private[int]
    owner_id: Private[int | None]
    source_campaign_id: Private[int | None]
    sales_order_id: Private[int | None]

    @strawberry.field(description="The customer.")
    async def customer(self, info: Info) -> Customer | None:
        return await Customer.load(info, self.customer_id)

    @strawberry.field(description="The owning sales employee.")
    async def owner(self, info: Info) -> Employee | None:
        return await Employee.load(info, self.owner_id)

    @strawberry.field(description="The campaign the deal came from.")
    async def source_campaign(self, info: Info) -> Campaign | None:
        return await Campaign.load(info, self.source_campaign_id)

    @strawberry.field(description="The order a won deal became.")
    async def sales_order(self, info: Info) -> "SalesOrder | None":
        return await SalesOrder.load(info, self.sales_order_id)


@strawberry.type(description="A support case.")
class Ticket(TableNode):
    TABLE = t.ticket
    ENUMS = {"category": e.TicketCategory, "priority": e.TicketPriority, "status": e.TicketStatus}
    id: relay.NodeID[int]
    number: str = desc("Ticket number.")
    subject: str = desc("Subject.")
    description: str | None = desc("Description.")
    category: e.TicketCategory = desc("Category (complaints may concern an order).")
    priority: e.TicketPriority = desc("Priority.")
    status: e.TicketStatus = desc("Status.")
    satisfaction: int | None = desc("Customer satisfaction 1–5 after resolution.")
    resolution: str | None = desc("How it was resolved.")
    opened_at: datetime = desc("When it was opened.")
    resolved_at: datetime | None = desc("When it was resolved.")
    customer_id: Private[int]
    sales_order_id: Private[int | None]
    assignee_id: Private[int | None]

    @strawberry.field(description="The customer.")
    async def customer(self, info: Info) -> Customer | None:
        return await Customer.load(info, self.customer_id)

    @strawberry.field(description="The order the ticket is about.")
    async def sales_order(self, info: Info) -> "SalesOrder | None":
        return await SalesOrder.load(info, self.sales_order_id)

    @strawberry.field(description="The support employee handling it.")
    async def assignee(self, info: Info) -> Employee | None:
        return await Employee.load(info, self.assignee_id)
