"""Who is asking: the viewer every read and write is checked against.

Record rules (which customers a viewer may see) live here, once, and every query of
customer-owned data applies them; resolvers never filter by hand.
"""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Table, bindparam, false, select, true
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnClause

VIEWER_PARAMETER = "viewer_employee_id"

ROLES = (
    "admin",
    "sales_manager",
    "sales_rep",
    "marketing",
    "support",
    "finance",
    "warehouse",
    "hr",
)


@dataclass(frozen=True)
class Viewer:
    """An authenticated employee (or the system itself) and the roles the token grants.

    `source` says how the request came (`domain.core.ops.AUDIT_SOURCES`): an employee's
    token (`api`), a machine client's key (`api_key`, naming `api_key_id`), or the platform.
    A read-only key's viewer may change nothing, whatever its roles.
    """

    employee_id: int | None
    email: str
    roles: frozenset[str] = field(default_factory=frozenset)
    source: str = "api"
    api_key_id: int | None = None
    read_only: bool = False

    @classmethod
    def system(cls, source: str = "system") -> "Viewer":
        """The platform itself (workers, CLI, seeding): every permission, no record rules."""
        return cls(employee_id=None, email="system", roles=frozenset({"admin"}), source=source)

    @property
    def principal(self) -> str:
        """Who this viewer is, stably across requests and tokens (scopes idempotency keys)."""
        if self.employee_id is not None:
            return f"employee:{self.employee_id}"
        return f"email:{self.email.lower()}"

    def has_any(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def limited_to_own_customers(self) -> bool:
        """A sales rep without a broader role sees only the customers they manage."""
        broader = self.roles - {"sales_rep"}
        return "sales_rep" in self.roles and not broader

    @property
    def rules(self) -> tuple[bool, bool]:
        """What sets the record rules' SQL for this viewer (statements are compiled once per
        such pair): limited to their own customers; limited to their team's audit trail."""
        return (self.limited_to_own_customers, not self.has_any("admin"))

    def customer_rule(
        self,
        account_manager_column: ColumnClause[Any] | ColumnElement[Any] | QueryableAttribute[Any],
    ) -> ColumnElement[bool]:
        """A condition on a customer's account manager column restricting rows to this viewer."""
        if not self.limited_to_own_customers:
            return true()
        # A named parameter: read statements are compiled once and shared by every viewer.
        return account_manager_column == bindparam(
            VIEWER_PARAMETER, self.employee_id, type_=BigInteger
        )


CUSTOMER_TABLE = "crm.customer"
AUDIT_TABLE = "ops.audit_log"
EMPLOYEE_TABLE = "erp.employee"
# Tables whose rows belong to an employee, by the column naming them: admins read them
# all, everyone else their own (an API key is its owner's business).
OWNED_BY_EMPLOYEE = {"ops.api_key": "owner_id"}

# How each customer-owned table reaches its customer: (column, parent table or None = the
# customer itself). Tables are named, not imported: core sits below crm and erp.
OWNERSHIP: dict[str, tuple[str, str | None]] = {
    "crm.contact": ("customer_id", None),
    "crm.interaction": ("customer_id", None),
    "crm.opportunity": ("customer_id", None),
    "crm.ticket": ("customer_id", None),
    "crm.opportunity_line": ("opportunity_id", "crm.opportunity"),
    "crm.campaign_member": ("customer_id", None),
    "erp.sales_order": ("customer_id", None),
    "erp.invoice": ("customer_id", None),
    "erp.payment": ("customer_id", None),
    "erp.sales_order_line": ("sales_order_id", "erp.sales_order"),
    "erp.delivery": ("sales_order_id", "erp.sales_order"),
    "erp.delivery_line": ("delivery_id", "erp.delivery"),
    "erp.invoice_line": ("invoice_id", "erp.invoice"),
    "erp.credit_note": ("customer_id", None),
    "erp.credit_note_line": ("credit_note_id", "erp.credit_note"),
    "erp.sales_return": ("customer_id", None),
    "erp.sales_return_line": ("sales_return_id", "erp.sales_return"),
    "erp.refund": ("customer_id", None),
    "erp.quote": ("customer_id", None),
    "erp.quote_line": ("quote_id", "erp.quote"),
    "finance.journal_line": ("customer_id", None),
    "finance.open_receivable": ("customer_id", None),
}


def record_rule(viewer: Viewer, table: Table) -> ColumnElement[bool]:
    """The condition restricting `table` to rows of customers the viewer may see.

    Every read of customer-owned data applies it (the API's loaders and root lists); writes
    apply `Viewer.customer_rule` to the customer they load. Tables outside `OWNERSHIP`
    are company data every viewer may read. The audit trail has its own rule
    (`audit_rule`).
    """
    if table.fullname == AUDIT_TABLE:
        return audit_rule(viewer, table)
    if table.fullname in OWNED_BY_EMPLOYEE:
        return _own_rows(viewer, table.c[OWNED_BY_EMPLOYEE[table.fullname]])
    if not viewer.limited_to_own_customers:
        return true()
    customer = table.metadata.tables[CUSTOMER_TABLE]
    if table.fullname == CUSTOMER_TABLE:
        return viewer.customer_rule(table.c.account_manager_id)
    owner = OWNERSHIP.get(table.fullname)
    if owner is None:
        return true()
    column, parent_name = owner
    if parent_name is None:
        visible = select(customer.c.id).where(viewer.customer_rule(customer.c.account_manager_id))
    else:
        parent = table.metadata.tables[parent_name]
        visible = select(parent.c.id).where(record_rule(viewer, parent))
    return table.c[column].in_(visible)


def _own_rows(viewer: Viewer, column: ColumnClause[Any]) -> ColumnElement[bool]:
    if viewer.has_any("admin"):
        return true()
    if viewer.employee_id is None:
        return false()
    return column == bindparam(VIEWER_PARAMETER, viewer.employee_id, type_=BigInteger)


def audit_rule(viewer: Viewer, table: Table) -> ColumnElement[bool]:
    """Admins read the whole audit trail; anyone else the changes made by themselves and by
    the employees who report to them, directly or further down (a manager's team)."""
    if viewer.has_any("admin"):
        return true()
    if viewer.employee_id is None:
        return false()
    employee = table.metadata.tables[EMPLOYEE_TABLE]
    me = bindparam(VIEWER_PARAMETER, viewer.employee_id, type_=BigInteger)
    team = select(employee.c.id).where(employee.c.id == me).cte("team", recursive=True)
    # UNION, not UNION ALL: a manager cycle in the data ends the walk instead of looping.
    team = team.union(select(employee.c.id).where(employee.c.manager_id == team.c.id))
    return table.c.actor_employee_id.in_(select(team.c.id))


def record_rule_below(
    viewer: Viewer, table: Table, column: str, parent: Table
) -> ColumnElement[bool]:
    """The condition restricting `table`'s rows reached from a row of `parent` the viewer
    may see, through `table.<column> = parent.id`.

    None is needed when that column is the one ownership runs along (an order's lines below
    a visible order, a customer's tickets below a visible customer): such a row belongs to
    the customer its parent belongs to. Anything else gets the full `record_rule`.
    """
    owner = OWNERSHIP.get(table.fullname)
    if owner is not None and owner == (column, _owner_name(parent)):
        return true()
    return record_rule(viewer, table)


def _owner_name(parent: Table) -> str | None:
    # OWNERSHIP names the customer table as None ("the customer itself").
    return None if parent.fullname == CUSTOMER_TABLE else parent.fullname
