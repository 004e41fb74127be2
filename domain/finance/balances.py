"""Account balances as of any day, read from the ledger without summing every line.

An account's turnover through a day is the frozen totals of the closed months that end on or
before that day (`AccountMonthTotal`: one row per account and month) plus the lines dated
after the last of them, read per account on the (account, date) index. However many lines the
books hold, a balance reads only the lines of the months not yet closed. That relies on the
closed months being one unbroken run from the first month of the books
(`domain.finance.periods`): a closed month's lines count through its totals alone.
"""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Date,
    Numeric,
    Table,
    any_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.sql.elements import ColumnElement

from domain.finance.models import (
    Account,
    AccountMonthTotal,
    ClosedPeriod,
    JournalEntry,
    JournalLine,
)
from domain.finance.periods import month_of

ACCOUNT: Table = Account.__table__  # type: ignore[assignment]
ENTRY: Table = JournalEntry.__table__  # type: ignore[assignment]
LINE: Table = JournalLine.__table__  # type: ignore[assignment]
CLOSED: Table = ClosedPeriod.__table__  # type: ignore[assignment]
MONTH_TOTAL: Table = AccountMonthTotal.__table__  # type: ignore[assignment]

Expression = ColumnElement[Any]


def day(value: date) -> Expression:
    """A date as an SQL date parameter."""
    return literal(value, Date)


def amount(value: Decimal) -> Expression:
    """An amount as an SQL numeric parameter."""
    return literal(value, Numeric(14, 2))


def zero() -> Expression:
    """No money, with its cents: an empty sum reads 0.00, not 0."""
    return amount(Decimal("0.00"))


def _month_after(through: date) -> date:
    """The first month not wholly on or before `through`: months before it that are closed
    count through their totals (a month-end includes its own month)."""
    return month_of(through + timedelta(days=1)) if through < date.max else date.max


def frozen_through(through: date) -> tuple[Expression, Expression]:
    """The last closed month wholly on or before `through` (null when none), and the first
    day after it (the lines to read on top of what was frozen at its close)."""
    last_closed = (
        select(func.max(CLOSED.c.month))
        .where(CLOSED.c.month < day(_month_after(through)))
        .scalar_subquery()
    )
    first_open = func.coalesce(
        cast(last_closed + literal_column("interval '1 month'"), Date), day(date.min)
    )
    return last_closed, first_open


def balances(through: date, accounts: Expression | None = None) -> Any:
    """Debits and credits of each account (or of `accounts`, a condition on the account
    table) from the first day of the books through a day, as a subquery by `account_id`."""
    last_closed, first_open = frozen_through(through)
    frozen = select(
        MONTH_TOTAL.c.account_id,
        func.sum(MONTH_TOTAL.c.debit).label("debit"),
        func.sum(MONTH_TOTAL.c.credit).label("credit"),
    ).where(MONTH_TOTAL.c.month <= last_closed)
    if accounts is not None:
        frozen = frozen.where(MONTH_TOTAL.c.account_id.in_(select(ACCOUNT.c.id).where(accounts)))
    totals = frozen.group_by(MONTH_TOTAL.c.account_id).subquery()
    # Per account, so the open months' lines are an index range scan of (account, date).
    recent = (
        select(
            func.coalesce(func.sum(LINE.c.debit), zero()).label("debit"),
            func.coalesce(func.sum(LINE.c.credit), zero()).label("credit"),
        )
        .where(
            LINE.c.account_id == ACCOUNT.c.id,
            LINE.c.entry_date >= first_open,
            LINE.c.entry_date <= day(through),
        )
        .lateral()
    )
    rows = select(
        ACCOUNT.c.id.label("account_id"),
        (func.coalesce(totals.c.debit, zero()) + recent.c.debit).label("debit"),
        (func.coalesce(totals.c.credit, zero()) + recent.c.credit).label("credit"),
    ).select_from(
        ACCOUNT.outerjoin(totals, totals.c.account_id == ACCOUNT.c.id).join(recent, true())
    )
    if accounts is not None:
        rows = rows.where(accounts)
    return rows.subquery()


def closing_transfers(start: date, end: date) -> Any:
    """Debits and credits per account of the closing entries dated in a range, and of their
    reversals (a reopened year's closing is reversed on its own date).

    A closing entry moves the year's result to equity, so it is found through the few equity
    lines of the range, each looking its entry up by key, never by scanning the entries of
    the range (the planner cannot tell how few those lines are).
    """
    equity = ACCOUNT.alias("equity")
    equity_line = LINE.alias("equity_line")
    entry = ENTRY.alias("entry")
    reversed_entry = ENTRY.alias("reversed_entry")
    equity_ids = (
        select(func.array_agg(equity.c.id)).where(equity.c.type == "equity").scalar_subquery()
    )
    candidates = (
        select(
            equity_line.c.entry_id,
            select(entry.c.kind)
            .where(entry.c.id == equity_line.c.entry_id)
            .scalar_subquery()
            .label("kind"),
            select(reversed_entry.c.kind)
            .join(entry, entry.c.reverses_id == reversed_entry.c.id)
            .where(entry.c.id == equity_line.c.entry_id)
            .scalar_subquery()
            .label("reversed_kind"),
        )
        .where(
            # An array the (account, date) index is searched with, one equity account at a time.
            equity_line.c.account_id == any_(cast(equity_ids, ARRAY(BigInteger))),
            equity_line.c.entry_date.between(day(start), day(end)),
        )
        .subquery()
    )
    closing = select(candidates.c.entry_id).where(
        or_(candidates.c.kind == "closing", candidates.c.reversed_kind == "closing")
    )
    return (
        select(
            LINE.c.account_id,
            func.sum(LINE.c.debit).label("debit"),
            func.sum(LINE.c.credit).label("credit"),
        )
        .where(LINE.c.entry_id.in_(closing))
        .group_by(LINE.c.account_id)
        .subquery()
    )


def movement(start: date, end: date, accounts: Expression) -> Any:
    """What the range moved on each of `accounts`, closing entries left out (a subquery)."""
    through_end = balances(end, accounts)
    before = balances(start - timedelta(days=1), accounts)
    closing = closing_transfers(start, end)
    closing_debit = func.coalesce(closing.c.debit, zero())
    closing_credit = func.coalesce(closing.c.credit, zero())
    return (
        select(
            through_end.c.account_id,
            (through_end.c.debit - before.c.debit - closing_debit).label("debit"),
            (through_end.c.credit - before.c.credit - closing_credit).label("credit"),
        )
        .select_from(
            through_end.join(before, before.c.account_id == through_end.c.account_id).outerjoin(
                closing, closing.c.account_id == through_end.c.account_id
            )
        )
        .subquery()
    )


def normal_side(account_type: Expression, debit_minus_credit: Expression) -> Expression:
    """An amount on its account type's normal side: debit for assets and expenses."""
    return case(
        (account_type.in_(("asset", "expense")), debit_minus_credit), else_=-debit_minus_credit
    )
