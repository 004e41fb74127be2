"""Sales order lifecycle: draft → placed → confirmed → fulfilled, or cancelled before that."""

from domain.core.state_machine import StateMachine

ORDER_STATUSES = ("draft", "placed", "confirmed", "fulfilled", "cancelled")

ORDER_MACHINE = StateMachine(
    "sales order",
    ORDER_STATUSES,
    {
        "place": {"draft": "placed"},
        "confirm": {"draft": "confirmed", "placed": "confirmed"},
        "fulfil": {"placed": "fulfilled", "confirmed": "fulfilled"},
        "cancel": {"draft": "cancelled", "placed": "cancelled", "confirmed": "cancelled"},
    },
)


def reserves_stock(status: str) -> bool:
    """Placed and confirmed orders hold reservations for their unshipped quantities."""
    return status in ("placed", "confirmed")


def can_ship(status: str) -> bool:
    return status in ("placed", "confirmed")
