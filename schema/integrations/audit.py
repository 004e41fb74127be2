"""The audit trail through the API: `auditLog` lists who changed what, when, from where.

Admins read every entry; anyone else the entries of changes they and their team made
(`domain.core.access.audit_rule`). A change to a field the reader may not see shows as
"changed" without its values (`domain.integrations.events.shown_changes`).
"""

from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay
from strawberry.relay import to_base64
from strawberry.scalars import JSON
from strawberry.types import Info

from domain.core.ops import AUDIT_SOURCES
from domain.core.ops import AuditLog as AuditLogModel
from domain.core.permissions import can_read, can_read_field
from domain.integrations.events import CHANGED, journal_types, public_type, shown_changes
from schema.core import filters, sql
from schema.core.connections import Narrow, by_date, root_connection
from schema.core.enums import vocabulary_enum
from schema.core.ids import any_node
from schema.core.nodes import TableNode, desc
from schema.core.relations import ESTIMATED_ITEMS, ToOne
from schema.erp.employees import Employee

AuditSource = vocabulary_enum(
    "AuditSource",
    AUDIT_SOURCES,
    "Where a change came from: API (a person's token), API_KEY (a machine client's key), "
    "WORKER (a background job), IMPORT (a file import), SYSTEM (the platform's own commands).",
)


@strawberry.type(description="One field a change set: its value before and after.")
class AuditChange:
    field: str = desc("The field, as the API names it.")
    before: JSON | None = strawberry.field(
        name="from", description="The value before; null when restricted or empty."
    )
    after: JSON | None = strawberry.field(
        name="to", description="The value after; null when restricted or empty."
    )
    restricted: bool = desc("The field is closed to you: it changed, and its values are not shown.")


@strawberry.type(description="An entry of the audit trail: one change to one record.")
class AuditEntry(TableNode):
    MODEL = AuditLogModel
    id: relay.NodeID[int]
    occurred_at: datetime = desc("When the change was committed.")
    action: str = desc("What happened, as `entity.event` (`sales_order.placed`).")
    actor: str = desc("Who made it: an employee's email, `system` or `import`.")
    source: AuditSource = desc("Where the change came from.")
    request_id: str | None = desc("The id of the request that made it (its X-Request-ID).")

    employee: Employee | None = ToOne[Employee]("actor_employee_id").field(
        "The employee who made the change (null for the platform and imports)."
    )

    @strawberry.field(description="The type of the record changed, as the API names it.")
    def entity_type(self) -> str:
        return public_type(self.__dict__["entity_type"])

    @strawberry.field(description="The global ID of the record changed.")
    def entity_id(self) -> strawberry.ID:
        return strawberry.ID(
            to_base64(public_type(self.__dict__["entity_type"]), self.__dict__["entity_id"])
        )

    @strawberry.field(
        name="changes",
        description="The fields it set, before and after.",
        metadata={ESTIMATED_ITEMS: 10},
    )
    def field_changes(self, info: Info) -> list[AuditChange]:
        viewer = info.context.viewer

        def may_read(type_name: str, field: str) -> bool:
            # Types outside the permission table (an import's rows) are as open as the entry.
            return can_read(viewer, type_name, default=True) and can_read_field(
                viewer, type_name, field
            )

        shown = shown_changes(self.__dict__["entity_type"], self.__dict__["changes"], may_read)
        return [_change(field, change) for field, change in shown.items()]


def _change(field: str, change: Any) -> AuditChange:
    if change == CHANGED:
        return AuditChange(field=field, before=None, after=None, restricted=True)
    if isinstance(change, dict) and set(change) == {"from", "to"}:
        return AuditChange(field=field, before=change["from"], after=change["to"], restricted=False)
    # Summaries (an import's counts) record a value, not a change.
    return AuditChange(field=field, before=None, after=change, restricted=False)


@strawberry.input(description="Filters for the audit trail.")
class AuditFilter:
    employee: relay.GlobalID | None = filters.node(
        "actor_employee_id", "Employee", "Changes made by this employee."
    )
    action: str | None = filters.equals("action", "Of this action (`invoice.issued`).")
    source: list[AuditSource] | None = filters.any_of("source", "From any of these sources.")
    occurred_from: datetime | None = filters.at_least("occurred_at", "At or after this instant.")
    occurred_to: datetime | None = filters.at_most("occurred_at", "At or before this instant.")


async def _about(info: Info, entity: relay.GlobalID | str, table: sql.Table) -> list[Any]:
    type_name, key = any_node(entity, "entity")
    return sql.entity_conditions(table, journal_types(type_name), key)


@strawberry.type
class AuditQueries:
    audit_log = root_connection(
        AuditEntry,
        description="The audit trail, newest first: every change, by whom, from where. Admins "
        "read all of it; others the changes they and the employees reporting to them made.",
        sort=by_date("occurred_at"),
        filter=AuditFilter,
        narrow=Narrow(
            "entity", relay.GlobalID, "Only the changes to this record (any type's ID).", _about
        ),
    )
