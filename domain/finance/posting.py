"""Posting: turning a business event into one balanced journal entry, and reversing one.

Every entry goes through `post`, which checks what the database would refuse anyway
(balance, accounts that take postings) so a client hears a typed error instead, numbers the
entry, and dates it: in the document's own month while that is open, else on the first day
of the first open month (the document date is kept). Manual entries may not move: a closed
month refuses them (`PERIOD_CLOSED`).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import exists, func, or_, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.core.errors import DomainError, Problems
from domain.core.money import ZERO, money
from domain.finance import periods
from domain.finance.models import Account, ClosedPeriod, JournalEntry, JournalLine, LedgerJournal
from domain.finance.rates import COMPANY_CURRENCY, ONE

MAX_LINES = 500


@dataclass(frozen=True)
class Line:
    """One side of an entry in the company currency; `account` is a purpose of the chart
    (`receivable`) for automatic postings, or an account id for manual ones."""

    account: str | int
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    currency: str = COMPANY_CURRENCY
    # In `currency`, signed (+ debit, − credit); None when it is the company currency.
    amount_currency: Decimal | None = None
    customer_id: int | None = None
    supplier_id: int | None = None
    invoice_id: int | None = None
    supplier_bill_id: int | None = None


@dataclass(frozen=True)
class Posting:
    journal: str
    document_date: date
    description: str
    lines: Sequence[Line]
    kind: str = "posting"
    event: str | None = None
    source: tuple[str, int] | None = None
    reverses_id: int | None = None
    # Whether an entry dated in a closed month moves to the first open day (automatic
    # postings) instead of being refused (what finance types in by hand).
    may_move: bool = True
    field: str | None = field(default=None, compare=False)


def debit(
    account: str | int,
    amount: Decimal,
    *,
    customer_id: int | None = None,
    supplier_id: int | None = None,
    invoice_id: int | None = None,
    supplier_bill_id: int | None = None,
) -> Line:
    """`amount` on the debit side (a negative amount on the credit side)."""
    line = Line(
        account,
        customer_id=customer_id,
        supplier_id=supplier_id,
        invoice_id=invoice_id,
        supplier_bill_id=supplier_bill_id,
    )
    return replace(line, debit=amount) if amount >= 0 else replace(line, credit=-amount)


def credit(
    account: str | int,
    amount: Decimal,
    *,
    customer_id: int | None = None,
    supplier_id: int | None = None,
    invoice_id: int | None = None,
    supplier_bill_id: int | None = None,
) -> Line:
    """`amount` on the credit side (a negative amount on the debit side)."""
    return debit(
        account,
        -amount,
        customer_id=customer_id,
        supplier_id=supplier_id,
        invoice_id=invoice_id,
        supplier_bill_id=supplier_bill_id,
    )


def in_currency(currency: str, amount: Decimal, line: Line) -> Line:
    """`line`, noting what it was in the document's currency (`amount`, + for a debit)."""
    return replace(line, currency=currency, amount_currency=amount)


def settlement(
    currency: str, amount: Decimal, *, bank: Decimal, counter: Line, received: bool
) -> list[Line]:
    """Money received (or paid out) in `currency`: the bank at `bank` (its EUR at the day's
    rate) against `counter`, the account it settles at the EUR it was booked at (a
    receivable, a payable, a refund owed); what the two differ by is an exchange gain or
    loss. Money in lists the bank first, money out the account it settles."""
    sign = 1 if received else -1
    bank_line = in_currency(currency, sign * amount, debit("bank", sign * bank))
    settled = in_currency(currency, -sign * amount, counter)
    difference = credit("exchange_differences", sign * bank - (counter.credit - counter.debit))
    return [bank_line, settled, difference] if received else [settled, bank_line, difference]


def converted(lines: Sequence[Line], currency: str, rate: Decimal) -> list[Line]:
    """`lines` written in `currency`, turned into the company currency at `rate`. Rounding
    each line may leave a cent between the sides: the largest line takes it up."""
    if currency == COMPANY_CURRENCY and rate == ONE:
        return list(lines)
    result = [
        replace(
            line,
            debit=money(line.debit * rate),
            credit=money(line.credit * rate),
            currency=currency,
            amount_currency=line.debit - line.credit,
        )
        for line in lines
    ]
    gap = sum((line.credit - line.debit for line in result), ZERO)
    if gap:
        largest = max(range(len(result)), key=lambda i: result[i].debit + result[i].credit)
        line = result[largest]
        result[largest] = (
            replace(line, debit=line.debit + gap)
            if line.debit
            else replace(line, credit=line.credit - gap)
        )
    return result


async def post(
    session: AsyncSession, posting: Posting, *, employee_id: int | None
) -> JournalEntry | None:
    """Write `posting` as one entry; None when every line is zero (nothing happened)."""
    lines = [line for line in posting.lines if line.debit or line.credit]
    if not lines:
        return None
    _ensure_balanced(lines, posting.field)
    books = await _books(session, lines, posting.journal, posting.field)
    entry_date = _entry_date(posting, periods.first_open_day(books.closed_through))
    values = {
        "prefix": f"{posting.journal}-",
        "journal_id": books.journal_id,
        "kind": posting.kind,
        "entry_date": entry_date,
        "document_date": posting.document_date,
        "description": posting.description[:200],
        "event": posting.event,
        "source_type": posting.source[0] if posting.source else None,
        "source_id": posting.source[1] if posting.source else None,
        "reverses_id": posting.reverses_id,
        "created_by_id": employee_id,
    }
    try:
        written = (
            await session.execute(
                _WRITE_ENTRY,
                {
                    **values,
                    "accounts": [books.accounts[line.account] for line in lines],
                    "debits": [line.debit for line in lines],
                    "credits": [line.credit for line in lines],
                    "currencies": [line.currency for line in lines],
                    "amounts": [
                        line.debit - line.credit
                        if line.amount_currency is None
                        else line.amount_currency
                        for line in lines
                    ],
                    "customers": [line.customer_id for line in lines],
                    "suppliers": [line.supplier_id for line in lines],
                    "invoices": [line.invoice_id for line in lines],
                    "bills": [line.supplier_bill_id for line in lines],
                },
            )
        ).one()
    except DBAPIError as error:
        cause = getattr(error.orig, "__cause__", None)
        if getattr(cause, "constraint_name", None) != "period_closed":
            raise
        # A close committed after this posting read the books open (domain.finance.periods).
        raise DomainError(
            "PERIOD_CLOSED", "the month was closed while this was being posted; try again"
        ) from error
    del values["prefix"]
    return JournalEntry(id=written.id, number=written.number, **values)


# One statement: the entry, numbered from its id, and its lines in order.
_WRITE_ENTRY = text(
    """
WITH entry AS (
  INSERT INTO finance.journal_entry (
    id, number, journal_id, kind, entry_date, document_date, description, event, source_type,
    source_id, reverses_id, created_by_id)
  SELECT n.id, :prefix || lpad(n.id::text, 8, '0'), :journal_id, :kind, :entry_date,
         :document_date, :description, :event, :source_type, :source_id, :reverses_id,
         :created_by_id
  FROM (SELECT nextval('finance.journal_entry_id_seq') AS id) AS n
  RETURNING id, number),
written AS (
  INSERT INTO finance.journal_line (
    entry_id, line_no, account_id, entry_date, debit, credit, currency, amount_currency,
    customer_id, supplier_id, invoice_id, supplier_bill_id)
  SELECT entry.id, l.line_no, l.account_id, :entry_date, l.debit, l.credit, l.currency,
         l.amount_currency, l.customer_id, l.supplier_id, l.invoice_id, l.supplier_bill_id
  FROM entry, unnest(
    CAST(:accounts AS bigint[]), CAST(:debits AS numeric[]), CAST(:credits AS numeric[]),
    CAST(:currencies AS text[]), CAST(:amounts AS numeric[]), CAST(:customers AS bigint[]),
    CAST(:suppliers AS bigint[]), CAST(:invoices AS bigint[]), CAST(:bills AS bigint[])
  ) WITH ORDINALITY AS l (account_id, debit, credit, currency, amount_currency, customer_id,
                          supplier_id, invoice_id, supplier_bill_id, line_no))
SELECT id, number FROM entry"""
)


def _entry_date(posting: Posting, first_open: date | None) -> date:
    """The document's date, or the first open day when its month is closed (automatic
    postings); an entry by hand in a closed month is refused."""
    if first_open is None or posting.document_date >= first_open:
        return posting.document_date
    if not posting.may_move or posting.kind == "manual":
        raise DomainError(
            "PERIOD_CLOSED",
            f"{periods.month_of(posting.document_date):%Y-%m} is closed; date the entry "
            f"{first_open} or later",
            "date",
        )
    return first_open


async def reverse(
    session: AsyncSession,
    entry_id: int,
    *,
    on: date,
    employee_id: int | None,
    event: str | None = None,
    description: str | None = None,
    manual: bool = False,
) -> JournalEntry | None:
    """Post the mirror image of an entry (debits become credits), dated `on`; a `manual`
    reversal may not be dated in a closed month, an automatic one moves past it."""
    original = await session.get(JournalEntry, entry_id)
    if original is None:
        return None
    lines = await session.scalars(
        select(JournalLine).where(JournalLine.entry_id == entry_id).order_by(JournalLine.line_no)
    )
    journal_code = await session.scalar(
        select(LedgerJournal.code).where(LedgerJournal.id == original.journal_id)
    )
    assert journal_code is not None
    return await post(
        session,
        Posting(
            journal=journal_code,
            document_date=on,
            description=description or f"Reversal of {original.number}",
            kind="reversal",
            event=event,
            source=(
                (original.source_type, original.source_id)
                if original.source_type is not None and original.source_id is not None
                else None
            ),
            reverses_id=original.id,
            may_move=not manual,
            lines=[
                Line(
                    line.account_id,
                    debit=line.credit,
                    credit=line.debit,
                    currency=line.currency,
                    amount_currency=-line.amount_currency,
                    customer_id=line.customer_id,
                    supplier_id=line.supplier_id,
                    invoice_id=line.invoice_id,
                    supplier_bill_id=line.supplier_bill_id,
                )
                for line in lines
            ],
        ),
        employee_id=employee_id,
    )


async def entry_of(session: AsyncSession, source: tuple[str, int], event: str) -> int | None:
    """The entry an event posted for a document, unless it has been reversed since."""
    reversal = aliased(JournalEntry)
    return await session.scalar(
        select(JournalEntry.id)
        .where(
            JournalEntry.source_type == source[0],
            JournalEntry.source_id == source[1],
            JournalEntry.event == event,
            ~exists().where(reversal.reverses_id == JournalEntry.id),
        )
        .order_by(JournalEntry.id.desc())
        .limit(1)
    )


def _ensure_balanced(lines: Sequence[Line], field: str | None) -> None:
    debits = sum((line.debit for line in lines), ZERO)
    credits = sum((line.credit for line in lines), ZERO)
    if debits != credits:
        raise DomainError(
            "UNBALANCED_ENTRY", f"debits {debits} and credits {credits} differ", field or "lines"
        )
    if len(lines) > MAX_LINES:
        raise DomainError("VALIDATION", f"at most {MAX_LINES} lines", field or "lines")


@dataclass(frozen=True)
class _Books:
    journal_id: int
    accounts: dict[str | int, int]
    closed_through: date | None


async def _books(
    session: AsyncSession, lines: Sequence[Line], journal: str, field: str | None
) -> _Books:
    """In one statement: the journal, the accounts by purpose or id (each must exist, be
    active and take postings), and the last closed month."""
    purposes = sorted({line.account for line in lines if isinstance(line.account, str)})
    ids = sorted({line.account for line in lines if isinstance(line.account, int)})
    child = aliased(Account)
    rows = (
        await session.execute(
            select(
                select(LedgerJournal.id)
                .where(LedgerJournal.code == journal)
                .scalar_subquery()
                .label("journal_id"),
                select(func.max(ClosedPeriod.month)).scalar_subquery().label("closed_through"),
                Account.id,
                Account.purpose,
                Account.code,
                Account.is_active,
                exists().where(child.parent_id == Account.id).label("is_group"),
            )
            .select_from(Account)
            .where(or_(Account.purpose.in_(purposes), Account.id.in_(ids)))
        )
    ).all()
    found: dict[str | int, int] = {}
    problems = Problems()
    for row in rows:
        if not row.is_active:
            problems.collect(
                DomainError("ACCOUNT_INACTIVE", f"account {row.code} is inactive", field or "lines")
            )
        elif row.is_group:
            problems.add(field or "lines", f"account {row.code} groups other accounts; post to one")
        found[row.id] = row.id
        if row.purpose is not None:
            found[row.purpose] = row.id
    for missing in (set(purposes) | set(ids)) - found.keys():
        problems.add(field or "lines", f"no account for {missing!r}", "NOT_FOUND")
    if not rows or rows[0].journal_id is None:
        problems.add("journal", f"no journal {journal}", "NOT_FOUND")
    problems.raise_if_any()
    return _Books(rows[0].journal_id, found, rows[0].closed_through)
