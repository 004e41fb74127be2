"""The node types of the graph: CRM and ERP entities with their relations both ways.

Attribute fields are plain (no resolver). Relation fields are declared once as `Relation`s in
each type's `RELATIONS` and resolved by `related` (prefetched per query level; see
`schema.relations`).
"""

from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Annotated, Any

import strawberry
from strawberry import Private, relay
from strawberry.types import Info

from schema import analytics, derived
from schema import enums as e
from schema import relations as r
from schema import tables as t
from schema.base import FromRow, TableNode, desc
from schema.erp_nodes import Invoice, Payment, SalesOrder
from schema.loaders import Ordering, newest_first
from schema.pagination import Connection

First = Annotated[
    int | None, strawberry.argument(description="Page size (at most 100; default 20).")
]
After = Annotated[
    str | None, strawberry.argument(description="Rows after this cursor (`endCursor`).")
]

CUSTOMERS_BY_NAME = Ordering("name", (t.customer.c.name, t.customer.c.id), descending=False)

EMPLOYEE_DEPARTMENT = r.to_one("Employee.department", lambda: Department, "department_id")
EMPLOYEE_MANAGER = r.to_one("Employee.manager", lambda: Employee, "manager_id")
EMPLOYEE_REPORTS = r.children(
    "Employee.reports",
    lambda: Employee,
    t.employee,
    "manager_id",
    [t.employee.c.name],
    estimated_items=10,
)
EMPLOYEE_CUSTOMERS = r.page(
    "Employee.managedCustomers", lambda: Customer, "account_manager_id", CUSTOMERS_BY_NAME
)


@strawberry.type(description="A person working for the company.")
class Employee(TableNode):
    TABLE = t.employee
    RELATIONS = {
        "department": EMPLOYEE_DEPARTMENT,
        "manager": EMPLOYEE_MANAGER,
        "reports": EMPLOYEE_REPORTS,
        "managedCustomers": EMPLOYEE_CUSTOMERS,
    }
    id: relay.NodeID[int]
    name: str = desc("Full name.")
    email: str = desc("Work email, also the login identity.")
    title: str = desc("Job title.")
    hire_date: date = desc("First working day.")
    salary: Decimal | None = desc("Annual gross salary (restricted to HR and admins).")
    status: e.EmployeeStatus = desc("Employment status.")
    version: int = desc("Version for optimistic concurrency on updates.")
    department_id: Private[int | None]
    manager_id: Private[int | None]

    @strawberry.field(description="The department the employee belongs to.")
    def department(self, info: Info) -> "Department | None":
        return r.related(self, info, EMPLOYEE_DEPARTMENT)

    @strawberry.field(description="The employee's manager.")
    def manager(self, info: Info) -> "Employee | None":
        return r.related(self, info, EMPLOYEE_MANAGER)

    @strawberry.field(description="Employees reporting directly to this one.")
    def reports(self, info: Info) -> list["Employee"]:
        return r.related(self, info, EMPLOYEE_REPORTS)

    @strawberry.field(description="Customers this employee manages as account manager, by name.")
    def managed_customers(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection["Customer"] | None:
        return r.related(self, info, EMPLOYEE_CUSTOMERS, first=first, after=after)


DEPARTMENT_EMPLOYEES = r.children(
    "Department.employees",
    lambda: Employee,
    t.employee,
    "department_id",
    [t.employee.c.name],
    estimated_items=50,
)


@strawberry.type(description="An organisational unit.")
class Department(TableNode):
    TABLE = t.department
    RELATIONS = {"employees": DEPARTMENT_EMPLOYEES}
    id: relay.NodeID[int]
    code: str = desc("Short code.")
    name: str = desc("Name.")

    @strawberry.field(description="Employees of the department, by name.")
    def employees(self, info: Info) -> list[Employee]:
        return r.related(self, info, DEPARTMENT_EMPLOYEES)


@strawberry.type(
    description="Key figures of a customer, precomputed by the workers (RFM, revenue)."
)
class CustomerMetrics(FromRow):
    lifetime_revenue: Decimal = desc("Net revenue of all placed, non-cancelled orders.")
    order_count: int = desc("Number of such orders.")
    average_order_value: Decimal | None = desc("Lifetime revenue divided by order count.")
    first_order_at: datetime | None = desc("When the first order was placed.")
    last_order_at: datetime | None = desc("When the latest order was placed.")
    open_balance: Decimal | None = desc(
        "Amount due on open invoices when computed (null for roles that may not read receivables)."
    )
    overdue_balance: Decimal | None = desc(
        "Amount due on overdue invoices when computed (null for roles that may not read "
        "receivables)."
    )
    r_score: int | None = desc("Recency quintile (5 = most recent).")
    f_score: int | None = desc("Frequency quintile (5 = most frequent).")
    m_score: int | None = desc("Monetary quintile (5 = highest revenue).")
    rfm_segment: e.RfmSegment | None = desc("Named RFM segment.")
    computed_at: datetime = desc("When the workers computed these figures.")


@strawberry.type(
    description="Expected value of a customer over the next 90 days (BG/NBD + Gamma-Gamma)."
)
class CustomerForecast(FromRow):
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


METRIC_COLUMNS = {
    name: name
    for name in [
        "lifetime_revenue",
        "order_count",
        "average_order_value",
        "first_order_at",
        "last_order_at",
        "open_balance",
        "overdue_balance",
        "r_score",
        "f_score",
        "m_score",
        "rfm_segment",
        "computed_at",
    ]
}
FORECAST_COLUMNS = {
    "expected_orders_90d": "expected_orders_90d",
    "expected_revenue_90d": "expected_revenue_90d",
    "low": "revenue_low",
    "high": "revenue_high",
    "probability_alive": "probability_alive",
    "pipeline_value": "pipeline_value",
    "method": "method",
    "computed_at": "computed_at",
}


def _newest(name: str, target: Any, table: Any, column: str) -> r.Relation:
    return r.page(name, target, "customer_id", newest_first(table, column))


CUSTOMER_MANAGER = r.to_one("Customer.accountManager", lambda: Employee, "account_manager_id")
CUSTOMER_CAMPAIGN = r.to_one(
    "Customer.acquisitionCampaign", lambda: Campaign, "acquisition_campaign_id"
)
CUSTOMER_BALANCE = r.derived("Customer.openBalance", derived.open_balance)
# Metrics and forecast are primary-key reads of two analytics tables: one statement serves both.
CUSTOMER_ANALYTICS = r.derived(
    "Customer.analytics",
    derived.precomputed(
        "customer_analytics",
        [
            (t.customer_metrics, METRIC_COLUMNS, lambda: CustomerMetrics),
            (t.customer_forecast, FORECAST_COLUMNS, lambda: CustomerForecast),
        ],
    ),
)
CUSTOMER_METRICS = CUSTOMER_ANALYTICS.picking(itemgetter(0))
CUSTOMER_FORECAST = CUSTOMER_ANALYTICS.picking(itemgetter(1))
CUSTOMER_CONTACTS = r.children(
    "Customer.contacts",
    lambda: Contact,
    t.contact,
    "customer_id",
    [t.contact.c.is_primary.desc(), t.contact.c.last_name, t.contact.c.id],
    estimated_items=5,
)
CUSTOMER_ORDERS = _newest("Customer.orders", lambda: SalesOrder, t.sales_order, "ordered_at")
CUSTOMER_INVOICES = _newest("Customer.invoices", lambda: Invoice, t.invoice, "issued_on")
CUSTOMER_PAYMENTS = _newest("Customer.payments", lambda: Payment, t.payment, "received_at")
CUSTOMER_INTERACTIONS = _newest(
    "Customer.interactions", lambda: Interaction, t.interaction, "occurred_at"
)
CUSTOMER_OPPORTUNITIES = _newest(
    "Customer.opportunities", lambda: Opportunity, t.opportunity, "created_at"
)
CUSTOMER_TICKETS = _newest("Customer.tickets", lambda: Ticket, t.ticket, "opened_at")
CUSTOMER_CAMPAIGNS = r.derived(
    "Customer.campaigns",
    derived.campaigns_of_customer(lambda: Campaign),
    nodes=lambda campaigns: campaigns,
    estimated_items=5,
)


@strawberry.type(description="A company or person the company sells to.")
class Customer(TableNode):
    TABLE = t.customer
    RELATIONS = {
        "accountManager": CUSTOMER_MANAGER,
        "acquisitionCampaign": CUSTOMER_CAMPAIGN,
        "openBalance": CUSTOMER_BALANCE,
        "metrics": CUSTOMER_METRICS,
        "forecast": CUSTOMER_FORECAST,
        "contacts": CUSTOMER_CONTACTS,
        "orders": CUSTOMER_ORDERS,
        "invoices": CUSTOMER_INVOICES,
        "payments": CUSTOMER_PAYMENTS,
        "interactions": CUSTOMER_INTERACTIONS,
        "opportunities": CUSTOMER_OPPORTUNITIES,
        "tickets": CUSTOMER_TICKETS,
        "campaigns": CUSTOMER_CAMPAIGNS,
    }
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
    def account_manager(self, info: Info) -> Employee | None:
        return r.related(self, info, CUSTOMER_MANAGER)

    @strawberry.field(description="The campaign that brought this customer in.")
    def acquisition_campaign(self, info: Info) -> "Campaign | None":
        return r.related(self, info, CUSTOMER_CAMPAIGN)

    @strawberry.field(description="Live amount due on all open invoices.")
    def open_balance(self, info: Info) -> Decimal | None:
        return r.related(self, info, CUSTOMER_BALANCE)

    @strawberry.field(description="Precomputed metrics; null until the workers computed them.")
    def metrics(self, info: Info) -> CustomerMetrics | None:
        return r.related(self, info, CUSTOMER_METRICS)

    @strawberry.field(
        description="Precomputed 90-day forecast; null until the workers computed it."
    )
    def forecast(self, info: Info) -> CustomerForecast | None:
        return r.related(self, info, CUSTOMER_FORECAST)

    @strawberry.field(description="People at this customer, the primary contact first.")
    def contacts(self, info: Info) -> list["Contact"] | None:
        return r.related(self, info, CUSTOMER_CONTACTS)

    @strawberry.field(description="Sales orders, newest first.")
    def orders(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection["SalesOrder"] | None:
        return r.related(self, info, CUSTOMER_ORDERS, first=first, after=after)

    @strawberry.field(description="Invoices, newest first.")
    def invoices(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection["Invoice"] | None:
        return r.related(self, info, CUSTOMER_INVOICES, first=first, after=after)

    @strawberry.field(description="Payments received, newest first.")
    def payments(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection["Payment"] | None:
        return r.related(self, info, CUSTOMER_PAYMENTS, first=first, after=after)

    @strawberry.field(description="Calls, emails, meetings and other contacts, newest first.")
    def interactions(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection["Interaction"] | None:
        return r.related(self, info, CUSTOMER_INTERACTIONS, first=first, after=after)

    @strawberry.field(description="Opportunities, newest first.")
    def opportunities(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection["Opportunity"] | None:
        return r.related(self, info, CUSTOMER_OPPORTUNITIES, first=first, after=after)

    @strawberry.field(description="Support tickets, newest first.")
    def tickets(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection["Ticket"] | None:
        return r.related(self, info, CUSTOMER_TICKETS, first=first, after=after)

    @strawberry.field(description="Campaigns this customer was targeted by, latest first.")
    def campaigns(self, info: Info) -> list["Campaign"] | None:
        return r.related(self, info, CUSTOMER_CAMPAIGNS)


CONTACT_CUSTOMER = r.to_one("Contact.customer", lambda: Customer, "customer_id")


@strawberry.type(description="A person at a customer.")
class Contact(TableNode):
    TABLE = t.contact
    RELATIONS = {"customer": CONTACT_CUSTOMER}
    id: relay.NodeID[int]
    first_name: str = desc("First name.")
    last_name: str = desc("Last name.")
    email: str | None = desc("Email address.")
    phone: str | None = desc("Phone number.")
    title: str | None = desc("Job title.")
    is_primary: bool = desc("The customer's main contact.")
    customer_id: Private[int]

    @strawberry.field(description="The customer this contact works for.")
    def customer(self, info: Info) -> Customer | None:
        return r.related(self, info, CONTACT_CUSTOMER)


INTERACTION_CUSTOMER = r.to_one("Interaction.customer", lambda: Customer, "customer_id")
INTERACTION_EMPLOYEE = r.to_one("Interaction.employee", lambda: Employee, "employee_id")
INTERACTION_CONTACT = r.to_one("Interaction.contact", lambda: Contact, "contact_id")
INTERACTION_CAMPAIGN = r.to_one("Interaction.campaign", lambda: Campaign, "campaign_id")


@strawberry.type(description="A recorded contact with a customer.")
class Interaction(TableNode):
    TABLE = t.interaction
    RELATIONS = {
        "customer": INTERACTION_CUSTOMER,
        "employee": INTERACTION_EMPLOYEE,
        "contact": INTERACTION_CONTACT,
        "campaign": INTERACTION_CAMPAIGN,
    }
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
    def customer(self, info: Info) -> Customer | None:
        return r.related(self, info, INTERACTION_CUSTOMER)

    @strawberry.field(description="The employee who handled it.")
    def employee(self, info: Info) -> Employee | None:
        return r.related(self, info, INTERACTION_EMPLOYEE)

    @strawberry.field(description="The contact person involved.")
    def contact(self, info: Info) -> Contact | None:
        return r.related(self, info, INTERACTION_CONTACT)

    @strawberry.field(description="The campaign it belongs to.")
    def campaign(self, info: Info) -> "Campaign | None":
        return r.related(self, info, INTERACTION_CAMPAIGN)


CAMPAIGN_OWNER = r.to_one("Campaign.owner", lambda: Employee, "owner_id")
CAMPAIGN_MEMBERS = r.page(
    "Campaign.members",
    lambda: CampaignMember,
    "campaign_id",
    newest_first(t.campaign_member, "added_at"),
)


@strawberry.type(description="A marketing campaign.")
class Campaign(TableNode):
    TABLE = t.campaign
    RELATIONS = {"owner": CAMPAIGN_OWNER, "members": CAMPAIGN_MEMBERS}
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
    def owner(self, info: Info) -> Employee | None:
        return r.related(self, info, CAMPAIGN_OWNER)

    @strawberry.field(description="Results; null until the workers computed them.")
    async def performance(self, info: Info) -> analytics.CampaignPerformance | None:
        return await analytics.campaign_performance(info, self.id)

    @strawberry.field(description="Customers targeted by the campaign, latest added first.")
    def members(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection["CampaignMember"]:
        return r.related(self, info, CAMPAIGN_MEMBERS, first=first, after=after)


MEMBER_CUSTOMER = r.to_one("CampaignMember.customer", lambda: Customer, "customer_id")
MEMBER_CAMPAIGN = r.to_one("CampaignMember.campaign", lambda: Campaign, "campaign_id")


@strawberry.type(description="A customer's participation in a campaign.")
class CampaignMember(TableNode):
    TABLE = t.campaign_member
    RELATIONS = {"customer": MEMBER_CUSTOMER, "campaign": MEMBER_CAMPAIGN}
    id: relay.NodeID[int]
    status: e.MemberStatus = desc("Targeted, responded or converted.")
    added_at: datetime = desc("When the customer was targeted.")
    responded_at: datetime | None = desc("When the customer responded.")
    converted_at: datetime | None = desc("When the customer converted.")
    customer_id: Private[int]
    campaign_id: Private[int]

    @strawberry.field(description="The customer.")
    def customer(self, info: Info) -> Customer | None:
        return r.related(self, info, MEMBER_CUSTOMER)

    @strawberry.field(description="The campaign.")
    def campaign(self, info: Info) -> Campaign | None:
        return r.related(self, info, MEMBER_CAMPAIGN)


OPPORTUNITY_CUSTOMER = r.to_one("Opportunity.customer", lambda: Customer, "customer_id")
OPPORTUNITY_OWNER = r.to_one("Opportunity.owner", lambda: Employee, "owner_id")
OPPORTUNITY_CAMPAIGN = r.to_one(
    "Opportunity.sourceCampaign", lambda: Campaign, "source_campaign_id"
)
OPPORTUNITY_ORDER = r.to_one("Opportunity.salesOrder", lambda: SalesOrder, "sales_order_id")


@strawberry.type(description="A potential deal in the sales pipeline.")
class Opportunity(TableNode):
    TABLE = t.opportunity
    RELATIONS = {
        "customer": OPPORTUNITY_CUSTOMER,
        "owner": OPPORTUNITY_OWNER,
        "sourceCampaign": OPPORTUNITY_CAMPAIGN,
        "salesOrder": OPPORTUNITY_ORDER,
    }
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
    def customer(self, info: Info) -> Customer | None:
        return r.related(self, info, OPPORTUNITY_CUSTOMER)

    @strawberry.field(description="The owning sales employee.")
    def owner(self, info: Info) -> Employee | None:
        return r.related(self, info, OPPORTUNITY_OWNER)

    @strawberry.field(description="The campaign the deal came from.")
    def source_campaign(self, info: Info) -> Campaign | None:
        return r.related(self, info, OPPORTUNITY_CAMPAIGN)

    @strawberry.field(description="The order a won deal became.")
    def sales_order(self, info: Info) -> "SalesOrder | None":
        return r.related(self, info, OPPORTUNITY_ORDER)


TICKET_CUSTOMER = r.to_one("Ticket.customer", lambda: Customer, "customer_id")
TICKET_ORDER = r.to_one("Ticket.salesOrder", lambda: SalesOrder, "sales_order_id")
TICKET_ASSIGNEE = r.to_one("Ticket.assignee", lambda: Employee, "assignee_id")


@strawberry.type(description="A support case.")
class Ticket(TableNode):
    TABLE = t.ticket
    RELATIONS = {
        "customer": TICKET_CUSTOMER,
        "salesOrder": TICKET_ORDER,
        "assignee": TICKET_ASSIGNEE,
    }
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
    def customer(self, info: Info) -> Customer | None:
        return r.related(self, info, TICKET_CUSTOMER)

    @strawberry.field(description="The order the ticket is about.")
    def sales_order(self, info: Info) -> "SalesOrder | None":
        return r.related(self, info, TICKET_ORDER)

    @strawberry.field(description="The support employee handling it.")
    def assignee(self, info: Info) -> Employee | None:
        return r.related(self, info, TICKET_ASSIGNEE)
