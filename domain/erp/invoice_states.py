"""Invoice lifecycle: issued → partially paid → paid; credit notes may cancel what is billed
(credited); only an invoice with nothing paid and nothing credited may be voided."""

from decimal import Decimal

from domain.core.errors import DomainError
from domain.core.state_machine import StateMachine

INVOICE_STATUSES = ("issued", "partially_paid", "paid", "credited", "void")

INVOICE_MACHINE = StateMachine(
    "invoice",
    INVOICE_STATUSES,
    {
        "pay": {"issued": "partially_paid", "partially_paid": "partially_paid"},
        "settle": {"issued": "paid", "partially_paid": "paid"},
        # A paid invoice may still be credited: what it took back is then owed as a refund.
        "credit": {"issued": "credited", "partially_paid": "credited", "paid": "credited"},
        "void": {"issued": "void"},
    },
)


def status_after_payment(total: Decimal, paid: Decimal, credited: Decimal = Decimal(0)) -> str:
    """The status an invoice has once `paid` of its `total` has been received and `credited`
    taken back by credit notes: credited when credit notes cancel all of it, paid when
    nothing is left to pay, partially paid when something was received."""
    if total > 0 and credited >= total:
        return "credited"
    if paid <= 0 and credited <= 0:
        return "issued"
    if paid + credited >= total:
        return "paid"
    return "partially_paid" if paid > 0 else "issued"


def ensure_voidable(status: str, paid: Decimal, credited: Decimal = Decimal(0)) -> None:
    """An invoice with payments is settled business: it must be credited, not voided. One
    already credited is corrected by its credit notes: voiding it would cancel it twice."""
    if paid > 0:
        raise DomainError("INVOICE_HAS_PAYMENTS", "an invoice with payments cannot be voided")
    if credited > 0:
        raise DomainError(
            "INVALID_TRANSITION", "an invoice with credit notes cannot be voided; credit the rest"
        )
    INVOICE_MACHINE.next(status, "void")
