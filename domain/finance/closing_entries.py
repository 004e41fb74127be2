"""The entries a close writes, each in a few set-based statements: revaluing foreign-currency
receivables at the month-end rate, moving the year's result to retained earnings, mirroring
an entry (its reversal), and freezing a month's account totals.

These run on ledgers of millions of lines, so nothing here loops over lines in Python: the
database sums and writes them (`INSERT … SELECT`). An entry's header and its lines are one
statement, which writes the header only when some line moves, since nothing written to the
journal can be deleted again. Entries go to the general journal (GEN) and are numbered as
`domain.finance.posting` numbers them; the deferred trigger still checks that they balance.
"""

from datetime import date
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import references
from domain.core.errors import DomainError
from domain.core.money import money
from domain.finance import periods
from domain.finance.models import Account, ClosedPeriod, JournalEntry, LedgerJournal
from domain.finance.rates import COMPANY_CURRENCY, rate_on

GENERAL = "GEN"
CLOSED = "period.closed"
REOPENED = "period.reopened"

# `moved` (account_id, amount: debit-positive EUR, currency, amount_currency, customer_id,
# invoice_id, sort) becomes one entry: its header only if `moved` has a row, then its lines.
_WRITE_MOVED = """
, header AS (
    INSERT INTO finance.journal_entry (id, number, journal_id, kind, entry_date, document_date,
        description, event, created_by_id)
    SELECT CAST(:entry_id AS bigint), CAST(:number AS varchar), j.id, CAST(:kind AS varchar),
        CAST(:day AS date), CAST(:day AS date), CAST(:description AS varchar),
        CAST(:event AS varchar), CAST(:employee_id AS bigint)
    FROM finance.journal j WHERE j.code = CAST(:journal AS varchar) AND EXISTS (SELECT 1 FROM moved)
    RETURNING id
), lines AS (
    INSERT INTO finance.journal_line (entry_id, line_no, account_id, entry_date, debit, credit,
        currency, amount_currency, customer_id, invoice_id)
    SELECT header.id, row_number() OVER (ORDER BY m.sort NULLS LAST), m.account_id,
        CAST(:day AS date),
        greatest(m.amount, 0), greatest(-m.amount, 0), m.currency, m.amount_currency,
        m.customer_id, m.invoice_id
    FROM moved m CROSS JOIN header
    RETURNING 1
)
SELECT count(*) FROM lines
"""

# What each foreign-currency invoice still owes on the receivable account at a date, in its
# currency and as booked in EUR. Only invoices issued in a foreign currency can have such
# lines: filtering through them lets the invoice index find the few among millions of lines.
_OPEN_FOREIGN = """
open_invoices AS (
    SELECT l.invoice_id, l.currency, max(l.customer_id) AS customer_id,
        sum(l.amount_currency) AS owed, sum(l.debit - l.credit) AS booked
    FROM finance.journal_line l
    WHERE l.account_id = CAST(:receivable AS bigint) AND l.entry_date <= CAST(:day AS date)
        AND l.currency <> CAST(:company AS varchar)
        AND l.invoice_id IN (
            SELECT i.id FROM erp.invoice i WHERE i.currency <> CAST(:company AS varchar)
        )
    GROUP BY l.invoice_id, l.currency
    HAVING sum(l.amount_currency) <> 0
)
"""

# The differences, one per invoice (worked out from the open invoices read just before:
# reading them inside this writing statement would forgo parallel workers).
_REVALUED = (
    """
WITH differences AS (
    SELECT * FROM unnest(CAST(:invoices AS bigint[]), CAST(:currencies AS varchar[]),
        CAST(:customers AS bigint[]), CAST(:amounts AS numeric[]))
        AS d (invoice_id, currency, customer_id, amount)
), moved AS (
    SELECT CAST(:receivable AS bigint) AS account_id, amount, currency,
        CAST(0 AS numeric) AS amount_currency, customer_id, invoice_id, invoice_id AS sort
    FROM differences
    UNION ALL
    SELECT CAST(:exchange AS bigint), -sum(amount), CAST(:company AS varchar), -sum(amount),
        NULL, NULL, NULL
    FROM differences HAVING sum(amount) <> 0
)
"""
    + _WRITE_MOVED
)

# A year's result per income and expense account: the frozen totals of its closed months
# (January to November are closed: months close in order) and December's lines. A closing
# entry of the year written by an earlier close was reversed when December was reopened, on
# the same day: the pair nets to zero in December's lines.
_YEAR_END = (
    """
WITH balances AS (
    SELECT a.id, a.code, coalesce(t.amount, 0) + coalesce(l.amount, 0) AS balance
    FROM finance.account a
    LEFT JOIN LATERAL (
        SELECT sum(debit - credit) AS amount FROM finance.account_month_total
        WHERE account_id = a.id AND month >= CAST(:year_start AS date)
            AND month < CAST(:december AS date)
    ) t ON true
    LEFT JOIN LATERAL (
        SELECT sum(debit - credit) AS amount FROM finance.journal_line
        WHERE account_id = a.id
            AND entry_date BETWEEN CAST(:december AS date) AND CAST(:day AS date)
    ) l ON true
    WHERE a.type IN ('income', 'expense')
), moved AS (
    SELECT id AS account_id, -balance AS amount, CAST(:company AS varchar) AS currency,
        -balance AS amount_currency, CAST(NULL AS bigint) AS customer_id,
        CAST(NULL AS bigint) AS invoice_id, code AS sort
    FROM balances WHERE balance <> 0
    UNION ALL
    SELECT CAST(:retained AS bigint), sum(balance), CAST(:company AS varchar), sum(balance),
        NULL, NULL, NULL
    FROM balances HAVING sum(balance) <> 0
)
"""
    + _WRITE_MOVED
)

_MIRROR_LINES = """
INSERT INTO finance.journal_line (entry_id, line_no, account_id, entry_date, debit, credit,
    currency, amount_currency, customer_id, supplier_id, invoice_id)
SELECT CAST(:entry_id AS bigint), line_no, account_id, CAST(:day AS date), credit, debit,
    currency, -amount_currency, customer_id, supplier_id, invoice_id
FROM finance.journal_line WHERE entry_id = CAST(:original AS bigint)
"""

# Each account's sums over the month, through the (account, date) index: one range per
# account reads the month's lines and nothing else.
_FREEZE_TOTALS = """
INSERT INTO finance.account_month_total (account_id, month, debit, credit)
SELECT a.id, CAST(:month AS date), t.debit, t.credit
FROM finance.account a
CROSS JOIN LATERAL (
    SELECT sum(debit) AS debit, sum(credit) AS credit, count(*) AS lines
    FROM finance.journal_line
    WHERE account_id = a.id AND entry_date BETWEEN CAST(:month AS date) AND CAST(:day AS date)
) t
WHERE t.lines > 0
"""


# What is still open on the receivable account at the month's end, per invoice (or per line
# without one): what was open at the previous month's end plus the month's lines (all lines
# up to the month's end at the first close).
_FREEZE_OPEN_RECEIVABLES = """
INSERT INTO finance.open_receivable (month, customer_id, invoice_id, line_id, booked_on, amount)
SELECT CAST(:month AS date), max(customer_id), invoice_id, line_id, min(booked_on), sum(amount)
FROM (
    SELECT customer_id, invoice_id, line_id, booked_on, amount
    FROM finance.open_receivable WHERE month = CAST(:previous AS date)
    UNION ALL
    SELECT customer_id, invoice_id, CASE WHEN invoice_id IS NULL THEN id END, entry_date,
           debit - credit
    FROM finance.journal_line
    WHERE account_id = :receivable AND entry_date <= CAST(:day AS date)
      AND (CAST(:previous AS date) IS NULL OR entry_date >= CAST(:month AS date))
) items
GROUP BY invoice_id, line_id
HAVING sum(amount) <> 0
"""


async def revalue(session: AsyncSession, month: date, *, employee_id: int | None) -> int | None:
    """Bring every open foreign-currency invoice to the month-end rate (against exchange
    differences), dated the month end; the entry's id, or None when nothing moved."""
    day = periods.month_end(month)
    receivable = await account_for(session, "receivable")
    # One row per invoice still owing at the month end: a few hundred, not the lines.
    owing = (
        await session.execute(
            text(
                f"WITH {_OPEN_FOREIGN} SELECT invoice_id, currency, customer_id, owed, booked "
                "FROM open_invoices ORDER BY invoice_id"
            ),
            {"receivable": receivable, "day": day, "company": COMPANY_CURRENCY},
        )
    ).all()
    rates = {
        currency: await rate_on(session, currency, day, field="month")
        for currency in sorted({row.currency for row in owing})
    }
    moved = []
    for row in owing:
        difference = money(row.owed * rates[row.currency]) - row.booked
        if difference:
            moved.append((row, difference))
    if not moved:
        return None
    return await _write_moved(
        session,
        _REVALUED,
        {
            "invoices": [row.invoice_id for row, _ in moved],
            "currencies": [row.currency for row, _ in moved],
            "customers": [row.customer_id for row, _ in moved],
            "amounts": [difference for _, difference in moved],
            "receivable": receivable,
            "exchange": await account_for(session, "exchange_differences"),
            "company": COMPANY_CURRENCY,
        },
        kind="revaluation",
        day=day,
        description=f"Revaluation of foreign-currency receivables, {month:%Y-%m}",
        employee_id=employee_id,
    )


async def close_year(session: AsyncSession, year: int, *, employee_id: int | None) -> int | None:
    """Move the year's income and expense balances to retained earnings on 31 December;
    the entry's id, or None when every one of them is zero."""
    return await _write_moved(
        session,
        _YEAR_END,
        {
            "year_start": date(year, 1, 1),
            "december": date(year, 12, 1),
            "company": COMPANY_CURRENCY,
            "retained": await account_for(session, "retained_earnings"),
        },
        kind="closing",
        day=date(year, 12, 31),
        description=f"Year-end closing {year}: result to retained earnings",
        employee_id=employee_id,
    )


async def mirror(
    session: AsyncSession, entry_id: int, *, on: date, event: str, employee_id: int | None
) -> int:
    """Post the reversal of an entry (debits become credits) dated `on`; its id."""
    original = await session.get(JournalEntry, entry_id)
    assert original is not None
    code = await session.scalar(
        select(LedgerJournal.code).where(LedgerJournal.id == original.journal_id)
    )
    reversal_id = await references.next_id(session, "finance.journal_entry")
    await session.execute(
        insert(JournalEntry).values(
            id=reversal_id,
            number=_number(str(code), reversal_id),
            journal_id=original.journal_id,
            kind="reversal",
            entry_date=on,
            document_date=on,
            description=f"Reversal of {original.number}",
            event=event,
            source_type=original.source_type,
            source_id=original.source_id,
            reverses_id=original.id,
            created_by_id=employee_id,
        )
    )
    await session.execute(
        text(_MIRROR_LINES), {"entry_id": reversal_id, "day": on, "original": entry_id}
    )
    return reversal_id


async def freeze(session: AsyncSession, month: date, *, employee_id: int | None) -> int:
    """Mark `month` closed and keep each account's debits and credits dated in it, and what
    was still open on the receivable account at its end; the closed period's id."""
    period_id = await session.scalar(
        insert(ClosedPeriod)
        .values(month=month, closed_by_id=employee_id)
        .returning(ClosedPeriod.id)
    )
    day = periods.month_end(month)
    await session.execute(text(_FREEZE_TOTALS), {"month": month, "day": day})
    previous = await session.scalar(
        select(ClosedPeriod.month)
        .where(ClosedPeriod.month < month)
        .order_by(ClosedPeriod.month.desc())
        .limit(1)
    )
    await session.execute(
        text(_FREEZE_OPEN_RECEIVABLES),
        {
            "month": month,
            "day": day,
            "previous": previous,
            "receivable": await account_for(session, "receivable"),
        },
    )
    assert period_id is not None
    return period_id


async def account_for(session: AsyncSession, purpose: str) -> int:
    """The account the chart keeps for `purpose` (it must take postings)."""
    found = await session.execute(
        select(Account.id, Account.code, Account.is_active).where(Account.purpose == purpose)
    )
    row = found.first()
    if row is None:
        raise DomainError("NOT_FOUND", f"no account of the chart is kept for {purpose!r}")
    if not row.is_active:
        raise DomainError("ACCOUNT_INACTIVE", f"account {row.code} ({purpose}) is inactive")
    return int(row.id)


def _number(journal: str, entry_id: int) -> str:
    return f"{journal}-{entry_id:08d}"


async def _write_moved(
    session: AsyncSession,
    statement: str,
    values: dict[str, Any],
    *,
    kind: str,
    day: date,
    description: str,
    employee_id: int | None,
) -> int | None:
    # The id is reserved first so the number can be derived from it, as `post` does; when
    # nothing moves it is left unused (identities have gaps anyway: rolled-back postings).
    entry_id = await references.next_id(session, "finance.journal_entry")
    lines = await session.scalar(
        text(statement),
        {
            **values,
            "entry_id": entry_id,
            "number": _number(GENERAL, entry_id),
            "journal": GENERAL,
            "kind": kind,
            "day": day,
            "description": description[:200],
            "event": CLOSED,
            "employee_id": employee_id,
        },
    )
    return entry_id if lines else None
