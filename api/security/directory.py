"""From a verified token to a `Viewer`: the employee it names, looked up and briefly cached.

Identity providers know an employee by email, record rules need the employee's id, and a
terminated employee must lose access even while their token is unexpired. Each process
caches the lookup for `TTL_SECONDS`, so a termination takes effect within that time and an
authenticated request costs no SQL in the steady state.
"""

import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from api.security.tokens import AuthError, Claims
from domain.core.access import ROLES, Viewer
from domain.erp.models.employees import Employee

TTL_SECONDS = 30.0
MAX_ENTRIES = 10_000
# Employees on leave keep their access; terminated ones lose it.
SIGNED_OUT_STATUSES = frozenset({"terminated"})
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Entry:
    employee_id: int | None
    status: str | None
    expires: float


class EmployeeDirectory:
    """Resolves token claims to a viewer; one per process, shared by its requests."""

    def __init__(self, engine: AsyncEngine) -> None:
        # Autocommit: a single read needs no transaction (saves BEGIN/ROLLBACK round trips).
        self.engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._cache: dict[str, _Entry] = {}

    async def viewer(self, claims: Claims) -> Viewer:
        """The viewer a token stands for; refuses unknown and terminated employees."""
        roles = claims.roles.intersection(ROLES)
        if claims.roles - roles:
            log.debug("ignoring unknown roles %s", sorted(claims.roles - roles))
        if not roles:
            raise AuthError("the token grants no bizgraph role", code="FORBIDDEN", status=403)
        entry = await self._lookup(claims.email)
        if entry.employee_id is None:
            raise AuthError("the token names no employee of this company")
        if entry.status in SIGNED_OUT_STATUSES:
            raise AuthError("the token's employee is no longer active")
        return Viewer(employee_id=entry.employee_id, email=claims.email, roles=frozenset(roles))

    def forget(self) -> None:
        """Drop every cached lookup (after bulk changes to employees, e.g. reseeding)."""
        self._cache.clear()

    async def _lookup(self, email: str) -> _Entry:
        now = time.monotonic()
        entry = self._cache.get(email)
        if entry is not None and entry.expires > now:
            return entry
        async with self.engine.connect() as connection:
            row = (
                await connection.execute(
                    select(Employee.id, Employee.status).where(
                        _ascii_lower(Employee.email) == email
                    )
                )
            ).first()
        entry = _Entry(row.id if row else None, row.status if row else None, now + TTL_SECONDS)
        if len(self._cache) >= MAX_ENTRIES:
            self._cache.clear()
        self._cache[email] = entry
        return entry


def _ascii_lower(column: Any) -> Any:
    """A-Z folded to a-z and nothing else, as the token's email was (`tokens.is_ascii_address`).

    `lower()` would fold by the database collation, which may map non-ASCII letters (the
    Kelvin sign) onto ASCII ones.
    """
    return func.translate(column, _UPPER, _UPPER.lower())
