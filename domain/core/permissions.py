"""The permission table: which role may read and change each type, and which facts are closed.

This is the one place access is decided. The GraphQL layer asks it before resolving a type,
a field exposing a restricted fact or an argument sorting or filtering by one, and before
running a mutation; `docs/SECURITY.md` renders it.
Record rules (a sales rep sees only the customers they manage) live in `domain.core.access`.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from domain.core.access import ROLES, Viewer
from domain.core.errors import DomainError

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
    "Customer": Access(
        read=_roles(SALES, "marketing", "support", "finance", "warehouse"),
        write=_roles(SALES, "marketing"),
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


def can_read(viewer: Viewer, type_name: str) -> bool:
    return viewer.has_any(*PERMISSIONS[type_name].read)


def can_write(viewer: Viewer, type_name: str) -> bool:
    return viewer.has_any(*PERMISSIONS[type_name].write)


def can_read_field(viewer: Viewer, type_name: str, field: str) -> bool:
    allowed = RESTRICTED_FIELDS.get((type_name, field))
    return allowed is None or viewer.has_any(*allowed)


def ensure_can_write(viewer: Viewer, type_name: str) -> None:
    """Refuse a change the viewer's roles do not allow (a FORBIDDEN payload error)."""
    if not can_write(viewer, type_name):
        raise DomainError("FORBIDDEN", f"your roles may not change a {type_name}")
