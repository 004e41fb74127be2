"""Invoice lifecycle: issued → partially paid → paid; only an unpaid invoice may be voided."""

from decimal import Decimal

from domain.core.errors import DomainError
from domain.core.state_machine import StateMachine

INVOICE_STATUSES = ("issued", "partially_paid", "paid", "void")

INVOICE_MACHINE = StateMachine(
    "invoice",
    INVOICE_STATUSES,
    {
        "pay": {"issued": "partially_paid", "partially_paid": "partially_paid"},
        "settle": {"issued": "paid", "partially_paid": "paid"},
        "void": {"issued": "void"},
    },
)


def status_after_payment(total: Decimal, paid: Decimal) -> str:
    """The status an invoice has once `paid` of its `total` has been received."""
    if paid <= 0:
        return "issued"
    return "paid" if paid >= total else "partially_paid"


def ensure_voidable(status: str, paid: Decimal) -> None:
    """An invoice with payments is settled business: it must be credited, not voided."""
    if paid > 0:
        raise DomainError("INVOICE_HAS_PAYMENTS", "an invoice with payments cannot be voided")
    INVOICE_MACHINE.next(status, "void")
