"""How a journal entry (an audit row, an outbox event) is shown outside the platform.

Entity types are the journal's (`sales_order`); clients know the API's types (`SalesOrder`)
and fields (`creditLimit`). A change to a field closed to the reader (`domain.core.
permissions.RESTRICTED_FIELDS`: a salary, a credit limit) is shown as changed, never with its
values: the audit trail for a manager without that right, and every webhook payload (a
receiving system holds no roles).
"""

from collections.abc import Callable, Mapping
from typing import Any

# Journal entity types whose API type is not their name in PascalCase.
_PUBLIC_TYPES = {
    "closed_period": "AccountingPeriod",
    "period": "AccountingPeriod",
    "customer_erasure": "Customer",
    "exchange_rates": "ExchangeRate",
    "stock": "StockItem",
}
CHANGED = "changed"

# (API type, API field) -> may the reader see its values?
MayRead = Callable[[str, str], bool]


def public_type(entity_type: str) -> str:
    """The API's type for a journal entity type: `sales_order` -> `SalesOrder`."""
    return _PUBLIC_TYPES.get(entity_type) or "".join(
        part.capitalize() for part in entity_type.split("_")
    )


def journal_types(type_name: str) -> list[str]:
    """The journal entity types shown as the API type `type_name` (`public_type` reversed)."""
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in type_name).lstrip("_")
    return [snake, *(name for name, public in _PUBLIC_TYPES.items() if public == type_name)]


def public_field(name: str) -> str:
    """The API's field name for a model field: `credit_limit` -> `creditLimit`."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def shown_changes(
    entity_type: str, changes: Mapping[str, Any], may_read: MayRead
) -> dict[str, Any]:
    """`changes` keyed by API field names, each closed field's values replaced by "changed"."""
    type_name = public_type(entity_type)
    shown: dict[str, Any] = {}
    for name, change in changes.items():
        field = public_field(name)
        shown[field] = change if may_read(type_name, field) else CHANGED
    return shown
