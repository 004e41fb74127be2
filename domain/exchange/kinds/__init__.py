"""The kinds of record an import file may hold, in the order a migration imports them:
what a kind refers to comes before it (see `domain.exchange.kinds.base`)."""

from domain.exchange.kinds.base import EXTERNAL_ID_CHARS, Kind
from domain.exchange.kinds.catalogue import OPENING_STOCK, PRICE_LISTS, PRICE_RULES, STOCK_ITEMS
from domain.exchange.kinds.history import HISTORY
from domain.exchange.kinds.parties import CONTACTS, CUSTOMERS, EMPLOYEES, SUPPLIERS

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        EMPLOYEES,
        CUSTOMERS,
        CONTACTS,
        SUPPLIERS,
        STOCK_ITEMS,
        PRICE_LISTS,
        PRICE_RULES,
        OPENING_STOCK,
        *HISTORY,
    )
}

__all__ = ["EXTERNAL_ID_CHARS", "KINDS", "Kind"]
