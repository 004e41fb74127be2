"""Entries finance writes by hand (accruals, corrections, opening balances), and reversals.

A manual entry is checked like every posting (balanced, active accounts that take
postings) and may not be dated in a closed month. Nothing posted is ever edited: a mistake
is undone by reversing the entry, which posts its mirror image.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import validation
from domain.core.errors import DomainError, NotFound, Problems
from domain.core.journal import Journal
from domain.finance import posting
from domain.finance.models import JournalEntry
from domain.finance.rates import COMPANY_CURRENCY

JOURNAL_CODES = ("SAL", "PUR", "BNK", "STK", "GEN")


@dataclass(frozen=True)
class ManualLine:
    account_id: int
    debit: Decimal = Decimal("0")
    credit: Decimal = Decimal("0")
    customer_id: int | None = None
    supplier_id: int | None = None


@dataclass(frozen=True)
class ManualEntry:
    entry_date: date
    description: str
    lines: Sequence[ManualLine]
    journal: str = "GEN"


async def create(*, session: AsyncSession, journal: Journal, request: ManualEntry) -> JournalEntry:
    """Post an entry written by hand, in the company currency."""
    problems = Problems()
    description = validation.text(problems, "description", request.description, max_length=200)
    if request.journal not in JOURNAL_CODES:
        problems.add("journal", f"must be one of {', '.join(JOURNAL_CODES)}")
    if len(request.lines) < 2:
        problems.add("lines", "an entry has at least two lines", "UNBALANCED_ENTRY")
    lines = []
    for position, line in enumerate(request.lines):
        field = f"lines.{position}"
        debit = validation.amount(problems, f"{field}.debit", line.debit)
        credit = validation.amount(problems, f"{field}.credit", line.credit)
        if debit is not None and credit is not None and (debit == 0) == (credit == 0):
            problems.add(field, "a line is either a debit or a credit, not zero")
        lines.append(
            posting.Line(
                line.account_id,
                debit=debit or Decimal("0"),
                credit=credit or Decimal("0"),
                currency=COMPANY_CURRENCY,
                customer_id=line.customer_id,
                supplier_id=line.supplier_id,
            )
        )
    problems.raise_if_any()
    assert description is not None
    entry = await posting.post(
        session,
        posting.Posting(
            request.journal, request.entry_date, description, lines, kind="manual", event=None
        ),
        employee_id=journal.actor.employee_id,
    )
    assert entry is not None
    journal.record(
        "journal_entry.posted",
        entity_type="journal_entry",
        entity_id=entry.id,
        changes={"number": entry.number, "date": entry.entry_date, "description": description},
    )
    return entry


async def reverse(
    *, session: AsyncSession, journal: Journal, entry_id: int, on: date, reason: str
) -> JournalEntry:
    """Undo an entry by posting its mirror image on `on`; an entry is reversed at most once."""
    problems = Problems()
    cleaned = validation.text(problems, "reason", reason, max_length=150)
    problems.raise_if_any()
    original = await session.get(JournalEntry, entry_id, with_for_update=True)
    if original is None:
        raise NotFound("journal entry", "id")
    if original.kind == "reversal":
        raise DomainError("INVALID_TRANSITION", "a reversal is undone by posting the entry again")
    reversed_already = await session.scalar(
        select(exists().where(JournalEntry.reverses_id == original.id))
    )
    if reversed_already:
        raise DomainError("INVALID_TRANSITION", f"{original.number} has been reversed already")
    entry = await posting.reverse(
        session,
        original.id,
        on=on,
        employee_id=journal.actor.employee_id,
        event="journal_entry.reversed",
        description=f"Reversal of {original.number}: {cleaned}",
        manual=True,
    )
    assert entry is not None
    journal.record(
        "journal_entry.reversed",
        entity_type="journal_entry",
        entity_id=entry.id,
        changes={"reverses": original.number, "reason": cleaned},
    )
    return entry
