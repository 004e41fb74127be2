"""Purchase order lifecycle; receipts move it to partially received or received."""

from domain.core.state_machine import StateMachine

PURCHASE_ORDER_STATUSES = ("draft", "ordered", "partially_received", "received", "cancelled")

PURCHASE_ORDER_MACHINE = StateMachine(
    "purchase order",
    PURCHASE_ORDER_STATUSES,
    {
        "order": {"draft": "ordered"},
        "receive": {"ordered": "partially_received", "partially_received": "partially_received"},
        "complete": {"ordered": "received", "partially_received": "received"},
        "cancel": {"draft": "cancelled", "ordered": "cancelled"},
    },
)


def status_after_receipt(ordered: int, received: int) -> str:
    """Status from total ordered and received quantities over all lines."""
    if received <= 0:
        return "ordered"
    return "received" if received >= ordered else "partially_received"
