"""Who is asking: the viewer every read and write is checked against.

Record rules (which customers a viewer may see) live here, once, and every query of
customer-owned data applies them; resolvers never filter by hand.
"""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, bindparam, true
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
    """An authenticated employee (or the system itself) and the roles the token grants."""

    employee_id: int | None
    email: str
    roles: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def system(cls) -> "Viewer":
        """The platform itself (workers, CLI, seeding): every permission, no record rules."""
        return cls(employee_id=None, email="system", roles=frozenset({"admin"}))

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
