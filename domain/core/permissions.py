"""The permission table: which role may read and change each type, and which facts are closed.

This is the one place access is decided. The GraphQL layer asks it before resolving a type,
a field exposing a restricted fact or an argument sorting or filtering by one, and before
running a mutation (with the fields the mutation sets); `docs/SECURITY.md` renders it.
Record rules (a sales rep sees only the customers they manage) live in `domain.core.access`.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from domain.core.access import ROLES, Viewer
from domain.core.errors import DomainError, Rejected

EVERYONE = frozenset(ROLES)
SALES = frozenset({"sales_manager", "sales_rep"})
# Derived figures are recomputed by workers; a change by hand would be overwritten.
NOBODY: frozenset[str] = frozenset()


def _roles(*names: str | frozenset[str]) -> frozenset[str]:
    found: set[str] = {"admin"}
    for name in names:
        found |= name if isinstance(name, frozenset) else {name}
    unknown = found - EVERYONE
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")
    return frozenset(found)


@dataclass(frozen=True)
class Access:
    """Who may read a type and who may change it (admin may read all and change what people may)."""

    read: frozenset[str]
    write: frozenset[str]


# Lines and stock levels are read and changed with the document or item they belong to.
_STOCK_ITEM = Access(
    read=_roles(SALES, "marketing", "support", "finance", "warehouse"),
    write=_roles("warehouse"),
)
_PURCHASE_ORDER = Access(read=_roles("finance", "warehouse"), write=_roles("warehouse"))
# Bills of materials and work orders carry standard and actual costs: read where purchase
# costs are; the warehouse plans and runs production.
_PRODUCTION = Access(read=_roles("finance", "warehouse"), write=_roles("warehouse"))
_SALES_ORDER = Access(read=_roles(SALES, "support", "finance", "warehouse"), write=_roles(SALES))
_DELIVERY = Access(read=_roles(SALES, "support", "finance", "warehouse"), write=_roles("warehouse"))
_CREDITS = Access(read=_roles(SALES, "finance"), write=_roles("finance"))

_PRICES = Access(
    read=_roles(SALES, "marketing", "finance"), write=_roles("sales_manager", "finance")
)

_LEDGER = Access(read=_roles("finance"), write=_roles("finance"))
_LEDGER_REPORT = Access(read=_roles("finance"), write=NOBODY)
_SUPPLIER_BILL = Access(read=_roles("finance", "warehouse"), write=_roles("finance"))

PERMISSIONS: Mapping[str, Access] = {
    # CRM
    # Finance changes customers to keep their credit limits (RESTRICTED_WRITES below).
    "Customer": Access(
        read=_roles(SALES, "marketing", "support", "finance", "warehouse"),
        write=_roles(SALES, "marketing", "finance"),
    ),
    "Contact": Access(
        read=_roles(SALES, "marketing", "support"), write=_roles(SALES, "marketing", "support")
    ),
    "Interaction": Access(
        read=_roles(SALES, "marketing", "support"), write=_roles(SALES, "marketing", "support")
    ),
    "Campaign": Access(read=_roles(SALES, "marketing"), write=_roles("marketing")),
    "CampaignMember": Access(
        read=_roles(SALES, "marketing"), write=_roles("marketing", "sales_manager")
    ),
    "Opportunity": Access(read=_roles(SALES, "marketing", "finance"), write=_roles(SALES)),
    "OpportunityLine": Access(read=_roles(SALES, "marketing", "finance"), write=_roles(SALES)),
    "Ticket": Access(read=_roles(SALES, "support"), write=_roles(SALES, "support")),
    # Saved customer questions with their revenue: read by those who read customer
    # revenue, kept by sales management and marketing.
    "Segment": Access(
        read=_roles(SALES, "marketing", "finance"), write=_roles("sales_manager", "marketing")
    ),
    # People
    "Employee": Access(read=EVERYONE, write=_roles("hr")),
    "Department": Access(read=EVERYONE, write=_roles("hr")),
    # Stock and purchasing
    "StockItem": _STOCK_ITEM,
    "StockLevel": _STOCK_ITEM,
    # Movements carry values at cost: read where purchase costs are; written by operations.
    "StockMovement": Access(read=_roles("warehouse", "finance"), write=frozenset()),
    "Warehouse": Access(
        read=_roles(SALES, "support", "finance", "warehouse"), write=_roles("warehouse")
    ),
    "Supplier": Access(read=_roles("finance", "warehouse"), write=_roles("warehouse")),
    "PurchaseOrder": _PURCHASE_ORDER,
    "PurchaseOrderLine": _PURCHASE_ORDER,
    # Production: the warehouse plans and runs it; finance reads it for costs and variances.
    "Bom": _PRODUCTION,
    "BomLine": _PRODUCTION,
    "WorkOrder": _PRODUCTION,
    "WorkOrderComponent": _PRODUCTION,
    # What to make and buy: computed on request from stock, orders, deals and forecasts.
    "MaterialPlan": Access(read=_roles("finance", "warehouse"), write=NOBODY),
    # Order to cash
    "SalesOrder": _SALES_ORDER,
    "SalesOrderLine": _SALES_ORDER,
    "Delivery": _DELIVERY,
    "DeliveryLine": _DELIVERY,
    # Prices: the sales team reads what its customers pay; managers and finance set it.
    "PriceList": _PRICES,
    "PriceRule": _PRICES,
    "Invoice": Access(read=_roles(SALES, "finance"), write=_roles("finance")),
    "Payment": Access(read=_roles(SALES, "finance"), write=_roles("finance")),
    "InvoiceLine": Access(read=_roles(SALES, "finance"), write=_roles("finance")),
    # Corrections of a sale: finance credits invoices and refunds customers; the sales team
    # sees them for its customers, as it sees invoices and payments.
    "CreditNote": _CREDITS,
    "CreditNoteLine": _CREDITS,
    "Refund": _CREDITS,
    # Goods coming back are received by the warehouse; the credit note follows from them.
    "SalesReturn": _DELIVERY,
    "SalesReturnLine": _DELIVERY,
    # Quotes belong to sales, like the orders they become.
    "Quote": _SALES_ORDER,
    "QuoteLine": _SALES_ORDER,
    # Derived figures (written by workers only, never through the API)
    "CustomerMetrics": Access(read=_roles(SALES, "marketing", "finance"), write=NOBODY),
    "CustomerForecast": Access(read=_roles(SALES, "marketing", "finance"), write=NOBODY),
    "CustomerForecastAccuracy": Access(read=_roles(SALES, "marketing", "finance"), write=NOBODY),
    "RevenueForecast": Access(read=_roles("sales_manager", "marketing", "finance"), write=NOBODY),
    "RevenueOutlook": Access(read=_roles("sales_manager", "marketing", "finance"), write=NOBODY),
    # Everything held about a customer (an access request): every fact at once, admins only.
    "CustomerRecord": Access(read=_roles(), write=NOBODY),
    # Erasing a customer's personal data on request: admins only.
    "CustomerErasure": Access(read=_roles(), write=_roles()),
    # Files uploaded for import and what became of them: records of any kind, written all at
    # once, and the problems quote the file's personal data. Admins only.
    "ImportJob": Access(read=_roles(), write=_roles()),
    # Everyone may ask; the audit rule (`domain.core.access.audit_rule`) shows admins every
    # entry and others their own and their team's. Nobody edits the trail.
    "AuditEntry": Access(read=EVERYONE, write=NOBODY),
    # Everyone keeps their own keys; admins see and revoke everyone's (OWNED_BY_EMPLOYEE).
    "ApiKey": Access(read=EVERYONE, write=EVERYONE),
    "ImportProblem": Access(read=_roles(), write=NOBODY),
    # Where the platform's events go, signed with secrets, and the log of every delivery:
    # integrations are the administrators' business. Admins only.
    "WebhookEndpoint": Access(read=_roles(), write=_roles()),
    "WebhookDelivery": Access(read=_roles(), write=_roles()),
    "WebhookAttempt": Access(read=_roles(), write=_roles()),
    "Replenishment": Access(read=_roles("warehouse", "finance"), write=NOBODY),
    # The books: finance keeps them, nobody else sees accounts or entries.
    "Account": _LEDGER,
    "JournalEntry": _LEDGER,
    "JournalLine": _LEDGER,
    "AccountingPeriod": _LEDGER,
    # Bills are matched against what the warehouse received: it may read them, with their
    # price differences (it reads purchase costs anyway); finance enters and pays them.
    "SupplierBill": _SUPPLIER_BILL,
    "SupplierBillLine": _SUPPLIER_BILL,
    "SupplierPayment": _LEDGER,
    # Reopening a closed month changes figures already reported: admins only (audited).
    "PeriodReopening": Access(read=_roles(), write=_roles()),
    "ExchangeRate": Access(read=_roles(SALES, "finance"), write=_roles("finance")),
    "TrialBalance": _LEDGER_REPORT,
    "ProfitAndLoss": _LEDGER_REPORT,
    "BalanceSheet": _LEDGER_REPORT,
    "GeneralLedger": _LEDGER_REPORT,
    "PayablesAging": _LEDGER_REPORT,
    # What a customer owes, from the books: the sales team sees it for its own customers.
    "ReceivablesAging": Access(read=_roles(SALES, "finance"), write=NOBODY),
    "CustomerStatement": Access(read=_roles(SALES, "finance"), write=NOBODY),
    "CampaignPerformance": Access(
        read=_roles("sales_manager", "marketing", "finance"), write=NOBODY
    ),
}


@dataclass(frozen=True)
class Fact:
    """A piece of business knowledge closed to some roles wherever it surfaces.

    The same money can be read in several places (a customer's open balance live, in its
    precomputed metrics, as the payment state of its orders) and inferred from others (a
    sort by it, a filter on it); each of them is declared as exposing the fact, so closing
    one and forgetting another is not possible.
    """

    label: str
    readers: frozenset[str]


def _readers_of(*type_names: str) -> frozenset[str]:
    """The roles that may read all of these types: a fact derived from them is theirs."""
    return frozenset.intersection(*(PERMISSIONS[name].read for name in type_names))


FACTS: Mapping[str, Fact] = {
    "salary": Fact("salaries", _roles("hr")),
    "unit_cost": Fact("purchase costs", _roles("warehouse", "finance")),
    "credit_limit": Fact("credit limits", _roles(SALES, "finance")),
    # Invoices and payments tell what a customer owes and whether it paid.
    "receivables": Fact("receivables", _readers_of("Invoice", "Payment")),
    "customer_revenue": Fact("customer revenue", _readers_of("CustomerMetrics")),
    "replenishment": Fact("replenishment", _readers_of("Replenishment")),
}

# Every field a fact surfaces in: `(type, field)` -> fact. A field of a type the role may not
# read is closed with its type anyway; the fact's own fields of such types are listed too,
# so sorts and filters on them (below) name the fact they reveal.
FACT_FIELDS: Mapping[tuple[str, str], str] = {
    ("Employee", "salary"): "salary",
    ("StockItem", "unitCost"): "unit_cost",
    ("Customer", "creditLimit"): "credit_limit",
    ("Customer", "openBalance"): "receivables",
    ("CustomerMetrics", "openBalance"): "receivables",
    ("CustomerMetrics", "overdueBalance"): "receivables",
    ("SalesOrder", "paymentStatus"): "receivables",
    ("CustomerMetrics", "lifetimeRevenue"): "customer_revenue",
    ("CustomerMetrics", "averageOrderValue"): "customer_revenue",
    ("Replenishment", "daysOfCover"): "replenishment",
    # The list itself is the suggestion: which items to reorder, soonest out of stock first.
    ("Query", "itemsToReorder"): "replenishment",
}

# Arguments that reveal a fact through the rows they select or their order:
# `(input or enum type, field or value)` -> fact. Refused before any SQL runs.
FACT_INPUTS: Mapping[tuple[str, str], str] = {
    ("CustomerOrderField", "LIFETIME_REVENUE"): "customer_revenue",
}

# Fields closed to roles that may otherwise read their type: `(type, field)` -> readers.
RESTRICTED_FIELDS: Mapping[tuple[str, str], frozenset[str]] = {
    key: FACTS[fact].readers for key, fact in FACT_FIELDS.items()
}
RESTRICTED_INPUTS: Mapping[tuple[str, str], frozenset[str]] = {
    key: FACTS[fact].readers for key, fact in FACT_INPUTS.items()
}


def fact_of(type_name: str, member: str) -> Fact | None:
    """The fact a field, input field or enum value reveals, if any."""
    name = FACT_FIELDS.get((type_name, member)) or FACT_INPUTS.get((type_name, member))
    return FACTS[name] if name is not None else None


# Fields only some of a type's writers may set: `(type, field)` -> writers. A mutation that
# names such a field in its input writes it, whatever the value (null included).
RESTRICTED_WRITES: Mapping[tuple[str, str], frozenset[str]] = {
    # Credit is a risk decision: finance keeps the limits, sales management may set them.
    ("Customer", "creditLimit"): _roles("finance", "sales_manager"),
    # A tier sets the customer's discounts: commercial policy, decided by sales management.
    ("Customer", "tier"): _roles("sales_manager"),
    # Handing an account to someone else is a manager's decision (BUSINESS_RULES.md).
    ("Customer", "accountManager"): _roles("sales_manager"),
}


@dataclass(frozen=True)
class Assignment:
    """Naming the employee responsible for a record: who may be named, and who may name others.

    Roles come from tokens, so the database cannot say whether a colleague is a sales rep;
    it knows their department. Anyone may name themselves (their own roles let them run the
    mutation); naming someone else takes one of `assigners`, and that someone must work in
    one of `departments` (by code, or in a department under one) — `None`: any department.
    """

    what: str
    staff: str
    departments: frozenset[str] | None
    assigners: frozenset[str]


SALES_STAFF = frozenset({"SALES"})
ASSIGNMENTS: Mapping[tuple[str, str], Assignment] = {
    ("Customer", "accountManager"): Assignment(
        "the account manager of a customer", "sales staff", SALES_STAFF, _roles("sales_manager")
    ),
    ("SalesOrder", "salesRep"): Assignment(
        "the sales rep of an order", "sales staff", SALES_STAFF, _roles("sales_manager")
    ),
    ("Quote", "salesRep"): Assignment(
        "the sales rep of a quote", "sales staff", SALES_STAFF, _roles("sales_manager")
    ),
    ("Opportunity", "owner"): Assignment(
        "the owner of a deal", "sales staff", SALES_STAFF, _roles("sales_manager")
    ),
    ("Interaction", "employee"): Assignment(
        "the employee of an interaction",
        "sales, marketing or support staff",
        frozenset({"SALES", "MKT", "SUP"}),
        _roles("sales_manager"),
    ),
    ("Campaign", "owner"): Assignment(
        "the owner of a campaign",
        "marketing or sales staff",
        frozenset({"MKT", "SALES"}),
        _roles("marketing"),
    ),
    # Whoever opens a ticket may hand it to support: that is what tickets are for.
    ("Ticket", "assignee"): Assignment(
        "the assignee of a ticket", "support staff", frozenset({"SUP"}), _roles(SALES, "support")
    ),
    # HR places people in the organisation; the chain of command is checked on its own.
    ("Employee", "manager"): Assignment("the manager of an employee", "staff", None, _roles("hr")),
}


def can_read(viewer: Viewer, type_name: str, *, default: bool | None = None) -> bool:
    """Whether the viewer's roles may read `type_name`; for a type outside the table,
    `default` (None: such a type is an error)."""
    access = PERMISSIONS.get(type_name)
    if access is None and default is not None:
        return default
    return viewer.has_any(*PERMISSIONS[type_name].read)


def can_write(viewer: Viewer, type_name: str) -> bool:
    return not viewer.read_only and viewer.has_any(*PERMISSIONS[type_name].write)


def can_read_field(viewer: Viewer, type_name: str, field: str) -> bool:
    allowed = RESTRICTED_FIELDS.get((type_name, field))
    return allowed is None or viewer.has_any(*allowed)


def can_write_field(viewer: Viewer, type_name: str, field: str) -> bool:
    allowed = RESTRICTED_WRITES.get((type_name, field))
    return allowed is None or viewer.has_any(*allowed)


# The types whose mutations take a file (a multipart request, up to the upload limit): only
# their writers may send one, which the API checks before it reads the body.
UPLOADS = ("ImportJob",)


def can_upload(viewer: Viewer) -> bool:
    return any(can_write(viewer, type_name) for type_name in UPLOADS)


def ensure_can_write(viewer: Viewer, type_name: str, fields: Iterable[str] = ()) -> None:
    """Refuse a change the viewer's roles do not allow (FORBIDDEN payload errors).

    `fields` are the fields of `type_name` the change sets; each restricted one the viewer
    may not write is refused on its own, so a client learns every field at once.
    """
    if viewer.read_only:
        raise DomainError("FORBIDDEN", "a read-only API key may change nothing")
    if not can_write(viewer, type_name):
        raise DomainError("FORBIDDEN", f"your roles may not change a {type_name}")
    refused = [
        DomainError("FORBIDDEN", f"your roles may not change a {type_name}'s {field}", field)
        for field in fields
        if not can_write_field(viewer, type_name, field)
    ]
    if refused:
        raise Rejected(refused)
