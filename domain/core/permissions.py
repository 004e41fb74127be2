"""The permission table: which role may read and change each type, and which fields are closed.

This is the one place access is decided. The GraphQL layer asks it before resolving a type
or a restricted field and before running a mutation (with the fields the mutation sets);
`docs/SECURITY.md` renders it. Record rules (a sales rep sees only the customers they
manage) live in `domain.core.access`.
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
_SALES_ORDER = Access(read=_roles(SALES, "support", "finance", "warehouse"), write=_roles(SALES))
_DELIVERY = Access(read=_roles(SALES, "support", "finance", "warehouse"), write=_roles("warehouse"))

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
    "Ticket": Access(read=_roles(SALES, "support"), write=_roles(SALES, "support")),
    # People
    "Employee": Access(read=EVERYONE, write=_roles("hr")),
    "Department": Access(read=EVERYONE, write=_roles("hr")),
    # Stock and purchasing
    "StockItem": _STOCK_ITEM,
    "StockLevel": _STOCK_ITEM,
    "Warehouse": Access(
        read=_roles(SALES, "support", "finance", "warehouse"), write=_roles("warehouse")
    ),
    "Supplier": Access(read=_roles("finance", "warehouse"), write=_roles("warehouse")),
    "PurchaseOrder": _PURCHASE_ORDER,
    "PurchaseOrderLine": _PURCHASE_ORDER,
    # Order to cash
    "SalesOrder": _SALES_ORDER,
    "SalesOrderLine": _SALES_ORDER,
    "Delivery": _DELIVERY,
    "DeliveryLine": _DELIVERY,
    "Invoice": Access(read=_roles(SALES, "finance"), write=_roles("finance")),
    "Payment": Access(read=_roles(SALES, "finance"), write=_roles("finance")),
    # Derived figures (written by workers only, never through the API)
    "CustomerMetrics": Access(read=_roles(SALES, "marketing", "finance"), write=NOBODY),
    "CustomerForecast": Access(read=_roles(SALES, "marketing", "finance"), write=NOBODY),
    "RevenueForecast": Access(read=_roles("sales_manager", "marketing", "finance"), write=NOBODY),
    "Replenishment": Access(read=_roles("warehouse", "finance"), write=NOBODY),
    "CampaignPerformance": Access(
        read=_roles("sales_manager", "marketing", "finance"), write=NOBODY
    ),
}

# Fields closed to roles that may otherwise read their type: `(type, field)` -> readers.
RESTRICTED_FIELDS: Mapping[tuple[str, str], frozenset[str]] = {
    ("Employee", "salary"): _roles("hr"),
    ("StockItem", "unitCost"): _roles("warehouse", "finance"),
    ("Customer", "creditLimit"): _roles(SALES, "finance"),
    ("Customer", "openBalance"): _roles(SALES, "finance"),
}


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


def can_read(viewer: Viewer, type_name: str) -> bool:
    return viewer.has_any(*PERMISSIONS[type_name].read)


def can_write(viewer: Viewer, type_name: str) -> bool:
    return viewer.has_any(*PERMISSIONS[type_name].write)


def can_read_field(viewer: Viewer, type_name: str, field: str) -> bool:
    allowed = RESTRICTED_FIELDS.get((type_name, field))
    return allowed is None or viewer.has_any(*allowed)


def can_write_field(viewer: Viewer, type_name: str, field: str) -> bool:
    allowed = RESTRICTED_WRITES.get((type_name, field))
    return allowed is None or viewer.has_any(*allowed)


def ensure_can_write(viewer: Viewer, type_name: str, fields: Iterable[str] = ()) -> None:
    """Refuse a change the viewer's roles do not allow (FORBIDDEN payload errors).

    `fields` are the fields of `type_name` the change sets; each restricted one the viewer
    may not write is refused on its own, so a client learns every field at once.
    """
    if not can_write(viewer, type_name):
        raise DomainError("FORBIDDEN", f"your roles may not change a {type_name}")
    refused = [
        DomainError("FORBIDDEN", f"your roles may not change a {type_name}'s {field}", field)
        for field in fields
        if not can_write_field(viewer, type_name, field)
    ]
    if refused:
        raise Rejected(refused)
