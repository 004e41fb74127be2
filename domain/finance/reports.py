"""Financial statements read from the ledger as of any past date: trial balance, profit and
loss, balance sheet and one account's general ledger.

Balances come from `domain.finance.balances` (closed months through their frozen totals).
Every function returns a SELECT for the API to run. Amounts are debit − credit (positive: a
debit balance) unless a column says otherwise.
"""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, or_, select, tuple_

from domain.finance.balances import (
    ACCOUNT,
    ENTRY,
    LINE,
    Expression,
    amount,
    balances,
    day,
    movement,
    normal_side,
    zero,
)

# The earliest day a report may start on (a day before it must still be a date).
EARLIEST = date(1900, 1, 1)
PROFIT_AND_LOSS_TYPES = ("income", "expense")
BALANCE_SHEET_TYPES = ("asset", "liability", "equity")
# The key of a general ledger line: its pages are keyed on it.
LEDGER_KEY = ("entry_date", "entry_id", "line_no")
# The columns of a journal line in the rows of `ledger_lines` (beside its entry's).
LINE_COLUMNS = tuple(column.name for column in LINE.c)


def _with_account(rows: Any) -> Any:
    return ACCOUNT.join(rows, rows.c.account_id == ACCOUNT.c.id)


def trial_balance(as_of: date) -> Select[Any]:
    """Every account that moved through `as_of`: its debits, credits and balance, by code,
    with the totals of all of them (debits equal credits when the books balance)."""
    at = balances(as_of)
    rows = (
        select(
            ACCOUNT.c.id.label("account_id"),
            ACCOUNT.c.code,
            ACCOUNT.c.name,
            ACCOUNT.c.type,
            at.c.debit,
            at.c.credit,
            (at.c.debit - at.c.credit).label("balance"),
        )
        .select_from(_with_account(at))
        .where(or_(at.c.debit != 0, at.c.credit != 0))
        .subquery()
    )
    return select(
        rows,
        func.sum(rows.c.debit).over().label("debit_total"),
        func.sum(rows.c.credit).over().label("credit_total"),
    ).order_by(rows.c.code)


def profit_and_loss(
    start: date, end: date, compare: tuple[date, date] | None = None
) -> Select[Any]:
    """Income and expense accounts that moved in the range (or in the comparison range), each
    positive on its normal side (income: credit − debit; expense: debit − credit), with the
    totals per type and the net result of each range. Closing entries are left out, so a
    closed year still shows its result."""
    accounts = ACCOUNT.c.type.in_(PROFIT_AND_LOSS_TYPES)
    current = movement(start, end, accounts)
    joined = _with_account(current)
    compare_amount: Expression = amount(Decimal("0"))
    if compare is not None:
        earlier = movement(*compare, accounts)
        joined = joined.join(earlier, earlier.c.account_id == ACCOUNT.c.id)
        compare_amount = normal_side(ACCOUNT.c.type, earlier.c.debit - earlier.c.credit)
    rows = (
        select(
            ACCOUNT.c.id.label("account_id"),
            ACCOUNT.c.code,
            ACCOUNT.c.name,
            ACCOUNT.c.type,
            normal_side(ACCOUNT.c.type, current.c.debit - current.c.credit).label("amount"),
            compare_amount.label("compare_amount"),
        )
        .select_from(joined)
        .subquery()
    )
    result = case((rows.c.type == "income", 1), else_=-1)
    return (
        select(
            rows,
            func.sum(rows.c.amount).over(partition_by=rows.c.type).label("type_total"),
            func.sum(rows.c.compare_amount)
            .over(partition_by=rows.c.type)
            .label("compare_type_total"),
            func.sum(result * rows.c.amount).over().label("net_result"),
            func.sum(result * rows.c.compare_amount).over().label("compare_net_result"),
        )
        .where(or_(rows.c.amount != 0, rows.c.compare_amount != 0))
        .order_by(rows.c.type.desc(), rows.c.code)  # income before expense
    )


def balance_sheet(as_of: date) -> Select[Any]:
    """Asset, liability and equity accounts with a balance at `as_of`, each positive on its
    normal side, with the totals per type and the result not yet moved to equity by a
    closing entry (income − expense still on the income and expense accounts), so that
    assets = liabilities + equity + that result. No row when nothing has a balance."""
    at = balances(as_of)
    rows = (
        select(
            ACCOUNT.c.id.label("account_id"),
            ACCOUNT.c.code,
            ACCOUNT.c.name,
            ACCOUNT.c.type,
            normal_side(ACCOUNT.c.type, at.c.debit - at.c.credit).label("amount"),
        )
        .select_from(_with_account(at))
        .subquery()
    )
    in_result = rows.c.type.in_(PROFIT_AND_LOSS_TYPES)
    result = case((rows.c.type == "income", rows.c.amount), else_=-rows.c.amount)
    totals = select(
        rows,
        func.sum(rows.c.amount).over(partition_by=rows.c.type).label("type_total"),
        func.coalesce(func.sum(result).filter(in_result).over(), zero()).label("current_result"),
    ).subquery()
    section = case(*((totals.c.type == kind, i) for i, kind in enumerate(BALANCE_SHEET_TYPES)))
    return (
        select(totals)
        .where(totals.c.type.in_(BALANCE_SHEET_TYPES), totals.c.amount != 0)
        .order_by(section, totals.c.code)
    )


def ledger_summary(account_id: int, start: date, end: date) -> Select[Any]:
    """One account's balance before `start`, its debits and credits in the range and its
    balance at `end` (no row when the account does not exist)."""
    only = ACCOUNT.c.id == account_id
    before = balances(start - timedelta(days=1), only)
    through_end = balances(end, only)
    return select(
        through_end.c.account_id,
        (before.c.debit - before.c.credit).label("opening_balance"),
        (through_end.c.debit - before.c.debit).label("debit_total"),
        (through_end.c.credit - before.c.credit).label("credit_total"),
        (through_end.c.debit - through_end.c.credit).label("closing_balance"),
    ).select_from(through_end.join(before, before.c.account_id == through_end.c.account_id))


def ledger_lines(
    account_id: int,
    start: date,
    end: date,
    *,
    opening_balance: Decimal,
    first: int,
    after: tuple[date, int, int] | None = None,
) -> Select[Any]:
    """Up to `first` + 1 lines of an account dated in the range after the key `after`, in
    (date, entry, line) order, each with the running balance from `opening_balance` on."""
    key = tuple_(LINE.c.entry_date, LINE.c.entry_id, LINE.c.line_no)
    in_range = [
        LINE.c.account_id == account_id,
        LINE.c.entry_date.between(day(start), day(end)),
    ]
    base: Expression = amount(opening_balance)
    if after is not None:
        cursor = tuple_(day(after[0]), literal(after[1]), literal(after[2]))
        earlier = select(func.coalesce(func.sum(LINE.c.debit - LINE.c.credit), zero())).where(
            *in_range, key <= cursor
        )
        base = base + earlier.scalar_subquery()
        in_range.append(key > cursor)
    page = (
        select(
            LINE,
            ENTRY.c.number.label("entry_number"),
            ENTRY.c.kind.label("entry_kind"),
            ENTRY.c.description.label("entry_description"),
        )
        .join(ENTRY, ENTRY.c.id == LINE.c.entry_id)
        .where(*in_range)
        .order_by(*(LINE.c[name] for name in LEDGER_KEY))
        .limit(first + 1)
        .subquery()
    )
    order = [page.c[name] for name in LEDGER_KEY]
    running = func.sum(page.c.debit - page.c.credit).over(order_by=order)
    return select(page, (base + running).label("balance")).order_by(*order)


def ledger_line_count(account_id: int, start: date, end: date) -> Select[Any]:
    """How many lines of an account are dated in the range."""
    return select(func.count().label("n")).where(
        and_(LINE.c.account_id == account_id, LINE.c.entry_date.between(day(start), day(end)))
    )
