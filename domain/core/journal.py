"""What a business operation changed, by whom: the source of its audit rows and outbox events.

Services record each change in the journal they are given; the mutation that owns the
transaction writes the journal just before committing, so the audit trail and the events
for the workers commit together with the change, or not at all.

Some consequences of an event must commit with it too, yet belong to a context the service
may not import (an invoice's posting in the ledger: ERP must not know finance). The owning
context registers a handler for the event's topic with `in_transaction`; `write` runs it in
the same transaction, and its failure fails the operation.
"""

import json
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.access import Viewer
from domain.core.ops import AuditLog, OutboxEvent


@dataclass(frozen=True)
class Entry:
    topic: str
    entity_type: str
    entity_id: int
    customer_id: int | None
    changes: dict[str, Any]


# A consequence that commits with its event: given the transaction and the event.
Handler = Callable[[AsyncSession, "Journal", Entry], Awaitable[None]]
_HANDLERS: dict[str, list[Handler]] = defaultdict(list)


def in_transaction(*topics: str) -> Callable[[Handler], Handler]:
    """Register the decorated handler to run, inside the transaction, for each of `topics`."""

    def register(handler: Handler) -> Handler:
        for topic in topics:
            _HANDLERS[topic].append(handler)
        return handler

    return register


@dataclass
class Journal:
    actor: Viewer
    request_id: str | None = None
    entries: list[Entry] = field(default_factory=list)

    def record(
        self,
        topic: str,
        *,
        entity_type: str,
        entity_id: int,
        customer_id: int | None = None,
        changes: dict[str, Any] | None = None,
    ) -> None:
        """Note that `topic` (e.g. `sales_order.placed`) happened to an entity."""
        self.entries.append(
            Entry(topic, entity_type, entity_id, customer_id, _plain(changes or {}))
        )

    async def write(self, session: AsyncSession) -> None:
        """Run the entries' in-transaction handlers, then add one audit row and one outbox
        event per entry to the current transaction."""
        for entry in list(self.entries):
            for handler in _HANDLERS.get(entry.topic, ()):
                await handler(session, self, entry)
        for entry in self.entries:
            session.add(
                AuditLog(
                    actor_employee_id=self.actor.employee_id,
                    actor=self.actor.email,
                    action=entry.topic,
                    entity_type=entry.entity_type,
                    entity_id=entry.entity_id,
                    changes=entry.changes,
                    request_id=self.request_id,
                    source=self.actor.source,
                    api_key_id=self.actor.api_key_id,
                )
            )
            session.add(
                OutboxEvent(
                    topic=entry.topic,
                    aggregate_type=entry.entity_type,
                    aggregate_id=entry.entity_id,
                    customer_id=entry.customer_id,
                    payload=entry.changes,
                )
            )
        await session.flush()
        self.entries.clear()


def apply_changes(entity: object, values: dict[str, Any]) -> dict[str, Any]:
    """Set `values` on `entity`; the fields that changed, as `changed_fields` gives them."""
    changes = changed_fields({name: getattr(entity, name) for name in values}, values)
    if changes:
        for name, value in values.items():
            setattr(entity, name, value)
    return changes


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """`{field: {"from": old, "to": new}}` for the fields whose value differs."""
    return {
        name: {"from": before.get(name), "to": value}
        for name, value in after.items()
        if before.get(name) != value
    }


def _plain(value: dict[str, Any]) -> dict[str, Any]:
    # Audit rows are JSON: money stays exact as text, instants and days as ISO strings.
    def default(item: object) -> str:
        if isinstance(item, Decimal):
            return str(item)
        if isinstance(item, (date, datetime)):
            return item.isoformat()
        raise TypeError(f"cannot record {type(item).__name__} in the journal")

    plain: dict[str, Any] = json.loads(json.dumps(value, default=default))
    return plain
