"""Refunds: paying back to a customer what a credit note left owed to it, never more."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Table, any_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import references, validation
from domain.core.errors import DomainError, NotFound
from domain.core.journal import Journal
from domain.core.money import ZERO
from domain.crm.models import Customer
from domain.erp.models.credit_notes import CreditNote, Refund
from domain.erp.models.invoices import PAYMENT_METHODS

CREDIT_NOTE: Table = CreditNote.__table__  # type: ignore[assignment]
REFUND: Table = Refund.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class RefundRequest:
    credit_note_id: int
    amount: Decimal
    method: str = "bank_transfer"
    reference: str | None = None
    paid_at: datetime | None = None


async def record(*, session: AsyncSession, journal: Journal, request: RefundRequest) -> Refund:
    """Pay out (part of) what a credit note owes the customer."""
    moved = validation.money_moved(
        amount_given=request.amount,
        reference=request.reference,
        at=request.paid_at,
        at_field="paidAt",
        method=request.method,
        methods=PAYMENT_METHODS,
    )
    amount, reference, paid_at = moved.amount, moved.reference, moved.at
    credit_note = await _locked(session, journal, request.credit_note_id)
    owed = credit_note.refund_amount - await refunded(session, credit_note.id)
    if amount > owed:
        raise DomainError(
            "OVER_REFUND",
            f"only {owed} {credit_note.currency} is owed to the customer on {credit_note.number}",
            "amount",
        )
    refund_id = await references.next_id(session, "erp.refund")
    refund = Refund(
        id=refund_id,
        number=f"RF-{refund_id:08d}",
        credit_note_id=credit_note.id,
        customer_id=credit_note.customer_id,
        amount=amount,
        currency=credit_note.currency,
        method=request.method,
        reference=reference,
        paid_at=paid_at,
    )
    session.add(refund)
    await session.flush()
    journal.record(
        "refund.recorded",
        entity_type="refund",
        entity_id=refund_id,
        customer_id=credit_note.customer_id,
        changes={"credit_note": credit_note.number, "amount": amount, "still_owed": owed - amount},
    )
    return refund


def refund_amounts(ids: ColumnElement[Any]) -> Any:
    """Refunded and still owed back of the credit notes whose ids are in the array `ids`."""
    paid = func.coalesce(
        select(func.sum(REFUND.c.amount))
        .where(REFUND.c.credit_note_id == CREDIT_NOTE.c.id)
        .scalar_subquery(),
        0,
    )
    return select(
        CREDIT_NOTE.c.id,
        paid.label("refunded"),
        (CREDIT_NOTE.c.refund_amount - paid).label("owed"),
    ).where(CREDIT_NOTE.c.id == any_(ids))


async def refunded(session: AsyncSession, credit_note_id: int) -> Decimal:
    """What has been paid back on a credit note so far."""
    paid = await session.scalar(
        select(func.sum(Refund.amount)).where(Refund.credit_note_id == credit_note_id)
    )
    return Decimal(paid or ZERO)


async def _locked(session: AsyncSession, journal: Journal, credit_note_id: int) -> CreditNote:
    # Locked: two refunds of the same credit note must see each other's amounts.
    credit_note = await session.scalar(
        select(CreditNote)
        .join(Customer, Customer.id == CreditNote.customer_id)
        .where(
            CreditNote.id == credit_note_id,
            journal.actor.customer_rule(Customer.account_manager_id),
        )
        .with_for_update(of=CreditNote)
    )
    if credit_note is None:
        raise NotFound("credit note", "creditNote")
    return credit_note
