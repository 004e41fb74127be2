"""Archiving: a record taken out of use without losing it.

Customers, contacts, campaigns, stock items, suppliers and departments can be archived (a soft
delete: `archived_at` is set) and restored. An archived record is left out of every list —
root lists unless they ask `includeArchived`, and lists below other records such as a
customer's contacts — but stays what it was for everything that refers to it: an order of an
archived customer, a line of an archived item, read by its ID, show it as it is. Nothing new
may use it: no order for an archived customer or of an archived item, no purchase order to an
archived supplier, no members for an archived campaign, no staff for an archived department
(`domain.core.archiving.check_in_use`, where those records are used). Archiving and restoring
move the record's version and are audited; asking for what already holds changes nothing.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.errors import Conflict, DomainError, NotFound
from domain.core.journal import Journal
from domain.crm.models import Campaign, Contact, Customer
from domain.erp.models.employees import Department
from domain.erp.models.stock import StockItem, Supplier
from domain.flows import erasure


@dataclass(frozen=True)
class Archivable:
    model: type[Any]
    entity: str
    # The column naming the customer a record belongs to: the record rules of that customer
    # decide who may archive it. None: not customer-owned.
    customer: str | None = None


ARCHIVABLE: dict[str, Archivable] = {
    "customer": Archivable(Customer, "customer", "id"),
    "contact": Archivable(Contact, "contact", "customer_id"),
    "campaign": Archivable(Campaign, "campaign"),
    "stock_item": Archivable(StockItem, "stock item"),
    "supplier": Archivable(Supplier, "supplier"),
    "department": Archivable(Department, "department"),
}


async def set_archived(
    *,
    session: AsyncSession,
    journal: Journal,
    kind: str,
    entity_id: int,
    version: int,
    archived: bool,
) -> Any:
    """Archive (`archived`) or restore a record at `version`; CONFLICT if it changed since."""
    spec = ARCHIVABLE[kind]
    model = spec.model
    statement = select(model).where(model.id == entity_id)
    if spec.customer is not None:
        if model is not Customer:
            statement = statement.join(Customer, Customer.id == getattr(model, spec.customer))
        statement = statement.where(journal.actor.customer_rule(Customer.account_manager_id))
    row = await session.scalar(statement.with_for_update(of=model))
    if row is None:
        raise NotFound(spec.entity, "id")
    if row.version != version:
        raise Conflict(spec.entity)
    if (row.archived_at is not None) == archived:
        return row
    if not archived and kind == "customer" and row.name == erasure.pseudonym(row.code):
        raise DomainError("VALIDATION", "an erased customer stays archived", "id")
    row.archived_at = datetime.now(UTC) if archived else None
    row.version += 1
    await session.flush()
    journal.record(
        f"{kind}.{'archived' if archived else 'restored'}",
        entity_type=kind,
        entity_id=row.id,
        customer_id=getattr(row, spec.customer) if spec.customer is not None else None,
        changes={"archivedAt": row.archived_at},
    )
    return row
