"""`<record>Archive` and `<record>Restore` for every record that can be archived
(`domain.flows.archiving`), made by one helper."""

from typing import Any

import strawberry

from domain.flows import archiving
from schema.core.ids import decode
from schema.core.mutations import mutation, retry_key
from schema.core.nodes import TableNode
from schema.crm.campaigns import Campaign
from schema.crm.contacts import Contact
from schema.crm.customers import Customer
from schema.erp.employees import Department
from schema.erp.stock_items import StockItem
from schema.erp.suppliers import Supplier

NODES: dict[str, type[TableNode]] = {
    "customer": Customer,
    "contact": Contact,
    "campaign": Campaign,
    "stock_item": StockItem,
    "supplier": Supplier,
    "department": Department,
}
assert NODES.keys() == archiving.ARCHIVABLE.keys()


def _input(node: type[TableNode], action: str, what: str) -> type:
    """`<Node><Action>Input { id, version, idempotencyKey }`."""
    name = f"{node.__name__}{action}Input"
    namespace = {
        "__annotations__": {"id": strawberry.ID, "version": int, "idempotency_key": str | None},
        "id": strawberry.field(description=f"The {what}."),
        "version": strawberry.field(description="The version you read; a newer one is a CONFLICT."),
        "idempotency_key": retry_key(f"{action.lower()[:-1]}ing it twice"),
    }
    return strawberry.input(type(name, (), namespace), description=f"{action} a {what}.")


def _mutations() -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for kind, node in NODES.items():
        what = archiving.ARCHIVABLE[kind].entity
        for action, archived in (("Archive", True), ("Restore", False)):
            input_type = _input(node, action, what)

            def call(
                input: Any,
                session: Any,
                journal: Any,
                *,
                kind: str = kind,
                node: type[TableNode] = node,
                archived: bool = archived,
            ) -> Any:
                return archiving.set_archived(
                    session=session,
                    journal=journal,
                    kind=kind,
                    entity_id=decode(input.id, node.__name__, "id"),
                    version=input.version,
                    archived=archived,
                )

            description = (
                f"Archive a {what}: left out of lists (see `includeArchived`), kept for what "
                "refers to it, used for nothing new."
                if archived
                else f"Bring an archived {what} back into use."
            )
            name = f"{kind}_{action.lower()}"
            fields[name] = mutation(input_type, node, description, call)
    return fields


ArchivingMutations = strawberry.type(type("ArchivingMutations", (), _mutations()))
