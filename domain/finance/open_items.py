"""What customers owe and what is owed to suppliers, from the ledger: receivables and payables
aging, and a customer's statement of account, as of any past date.

Aging buckets count days past due at the report's date: not yet due (0 or fewer days),
1–30, 31–60, 61–90 and over 90. Receivables age by invoice: the receivable lines of an
invoice (its posting, payments, a void) net to what is still open on it, due on the
invoice's due date; a receivable line without an invoice (an entry by hand) is due on its
own date. Payables age by supplier bill in the same way. Customer-owned lines carry the
record rules (`domain.core.access`): a sales rep's report holds only the customers they
manage.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    Select,
    String,
    Table,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql.elements import ColumnElement

from domain.core.access import Viewer, record_rule
from domain.crm.models import Customer
from domain.erp.models import Invoice, Payment, Supplier
from domain.finance.balances import amount, day, frozen_through, zero
from domain.finance.models import (
    Account,
    JournalEntry,
    JournalLine,
    OpenReceivable,
    SupplierBill,
)

ACCOUNT: Table = Account.__table__  # type: ignore[assignment]
ENTRY: Table = JournalEntry.__table__  # type: ignore[assignment]
LINE: Table = JournalLine.__table__  # type: ignore[assignment]
CUSTOMER: Table = Customer.__table__  # type: ignore[assignment]
SUPPLIER: Table = Supplier.__table__  # type: ignore[assignment]
INVOICE: Table = Invoice.__table__  # type: ignore[assignment]
PAYMENT: Table = Payment.__table__  # type: ignore[assignment]
OPEN: Table = OpenReceivable.__table__  # type: ignore[assignment]
BILL: Table = SupplierBill.__table__  # type: ignore[assignment]

# Bucket columns, youngest first, with the days past due each holds (None: no bound).
BUCKETS = (
    ("not_due", None, 0),
    ("days_1_30", 1, 30),
    ("days_31_60", 31, 60),
    ("days_61_90", 61, 90),
    ("over_90", 91, None),
)
AMOUNTS = (*(name for name, _, _ in BUCKETS), "total")
# `row` of a report row: the totals of every party, the amounts booked without a party, a party.
TOTAL, UNASSIGNED, PARTY = "total", "unassigned", "party"

Expression = ColumnElement[Any]


def _account(purpose: str) -> Expression:
    return select(ACCOUNT.c.id).where(ACCOUNT.c.purpose == purpose).scalar_subquery()


def _buckets(amount: Expression, days: Expression) -> list[Expression]:
    """The sum of `amount` per bucket of `days` past due, and over all of them."""
    columns = []
    for name, low, high in BUCKETS:
        bounds = [days >= low] if low is not None else []
        bounds += [days <= high] if high is not None else []
        columns.append(func.coalesce(func.sum(amount).filter(and_(*bounds)), zero()).label(name))
    return [*columns, func.coalesce(func.sum(amount), zero()).label("total")]


def _report(per_party: Any, party: Table, *, first: int | None, after: Any) -> Select[Any]:
    """One row of totals, one of the amounts without a party (if any), then the parties' rows,
    largest total first (ties by id): up to `first` + 1 of them after the key `after`."""
    amounts = [per_party.c[name] for name in AMOUNTS]
    no_party = (
        cast(null(), BigInteger).label("party_id"),
        cast(null(), String).label("code"),
        cast(null(), String).label("name"),
    )
    totals = select(
        literal(TOTAL).label("row"),
        literal(-1, Integer).label("position"),
        *no_party,
        *(func.coalesce(func.sum(a), zero()).label(a.name) for a in amounts),
        func.count(per_party.c.party_id).label("parties"),
    )
    unassigned = select(
        literal(UNASSIGNED), literal(0, Integer), *no_party, *amounts, literal(0, Integer)
    ).where(per_party.c.party_id.is_(None))
    page = select(per_party.c.party_id, party.c.code, party.c.name, *amounts).join(
        party, party.c.id == per_party.c.party_id
    )
    if after is not None:
        total, party_id = after
        page = page.where(
            or_(
                per_party.c.total < amount(total),
                and_(per_party.c.total == amount(total), party.c.id > party_id),
            )
        )
    order = (per_party.c.total.desc(), party.c.id)
    page = page.order_by(*order)
    if first is not None:
        page = page.limit(first + 1)
    rows = page.subquery()
    parties = select(
        literal(PARTY),
        func.row_number().over(order_by=(rows.c.total.desc(), rows.c.party_id)),
        rows.c.party_id,
        rows.c.code,
        rows.c.name,
        *(rows.c[name] for name in AMOUNTS),
        literal(1, Integer),
    )
    report = union_all(totals, unassigned, parties).subquery()
    return select(report).order_by(report.c.position)


def _open_receivables(as_of: date, viewer: Viewer) -> Any:
    """What is open at `as_of` per invoice (due on its due date) and per receivable line
    without an invoice (due on its own date), of the customers the viewer may see: what was
    open at the last close before it (`OpenReceivable`) plus the receivable lines since."""
    last_closed, first_open = frozen_through(as_of)
    frozen = select(
        OPEN.c.customer_id,
        OPEN.c.invoice_id,
        OPEN.c.line_id.label("item"),
        OPEN.c.booked_on,
        OPEN.c.amount,
    ).where(OPEN.c.month == last_closed, record_rule(viewer, OPEN))
    recent = select(
        LINE.c.customer_id,
        LINE.c.invoice_id,
        case((LINE.c.invoice_id.is_(None), LINE.c.id)).label("item"),
        LINE.c.entry_date,
        LINE.c.debit - LINE.c.credit,
    ).where(
        LINE.c.account_id == _account("receivable"),
        LINE.c.entry_date >= first_open,
        LINE.c.entry_date <= day(as_of),
        record_rule(viewer, LINE),
    )
    items = union_all(frozen, recent).subquery()
    open_amount = func.sum(items.c.amount)
    # Summed per item; only the few still open meet their invoice.
    per_item = (
        select(
            func.max(items.c.customer_id).label("party_id"),
            items.c.invoice_id,
            open_amount.label("amount"),
            func.min(items.c.booked_on).label("booked_on"),
        )
        .group_by(items.c.invoice_id, items.c.item)
        .having(open_amount != 0)
        .subquery()
    )
    due_on = func.coalesce(INVOICE.c.due_on, per_item.c.booked_on)
    return (
        select(
            per_item.c.party_id,
            per_item.c.amount,
            (day(as_of) - due_on).label("days"),
        )
        .select_from(per_item.outerjoin(INVOICE, INVOICE.c.id == per_item.c.invoice_id))
        .subquery()
    )


def receivables_aging(
    as_of: date, viewer: Viewer, *, first: int, after: tuple[Decimal, int] | None = None
) -> Select[Any]:
    """What each customer the viewer may see owed at `as_of`, by days past due: the totals
    row, the receivables booked without a customer (never for a sales rep), then a page of
    customers, largest total first, keyed on (total, customer id)."""
    items = _open_receivables(as_of, viewer)
    per_customer = (
        select(items.c.party_id, *_buckets(items.c.amount, items.c.days))
        .group_by(items.c.party_id)
        .having(func.sum(func.abs(items.c.amount)) != 0)
        .cte("per_customer")
    )
    return _report(per_customer, CUSTOMER, first=first, after=after)


def payables_aging(as_of: date) -> Select[Any]:
    """What was owed to each supplier at `as_of`, by days past due: the totals row, the
    payables booked without a supplier, then every supplier, largest total first.

    Payables age by bill, as receivables age by invoice: the payable lines of a bill (its
    posting, its payments, a void) net to what is still open on it, due on the bill's due
    date; a payable line without a bill (an entry by hand) is due on its own date, and a
    debit without a bill (paid by hand in advance) counts, negative, in the bucket of its
    date.
    """
    items = (
        select(
            LINE.c.supplier_id,
            LINE.c.supplier_bill_id,
            case((LINE.c.supplier_bill_id.is_(None), LINE.c.id)).label("item"),
            LINE.c.entry_date.label("booked_on"),
            (LINE.c.credit - LINE.c.debit).label("amount"),
        )
        .where(LINE.c.account_id == _account("payable"), LINE.c.entry_date <= day(as_of))
        .subquery()
    )
    open_amount = func.sum(items.c.amount)
    per_item = (
        select(
            func.max(items.c.supplier_id).label("party_id"),
            items.c.supplier_bill_id,
            open_amount.label("amount"),
            func.min(items.c.booked_on).label("booked_on"),
        )
        .group_by(items.c.supplier_bill_id, items.c.item)
        .having(open_amount != 0)
        .subquery()
    )
    due_on = func.coalesce(BILL.c.due_on, per_item.c.booked_on)
    aged = (
        select(per_item.c.party_id, per_item.c.amount, (day(as_of) - due_on).label("days"))
        .select_from(per_item.outerjoin(BILL, BILL.c.id == per_item.c.supplier_bill_id))
        .subquery()
    )
    per_supplier = (
        select(aged.c.party_id, *_buckets(aged.c.amount, aged.c.days))
        .group_by(aged.c.party_id)
        .having(func.sum(func.abs(aged.c.amount)) != 0)
        .cte("per_supplier")
    )
    return _report(per_supplier, SUPPLIER, first=None, after=None)


def _customer_lines(customer_id: int, viewer: Viewer, lines: Any = LINE) -> list[Expression]:
    """A customer's receivable lines, provided the viewer may see the customer."""
    visible = select(CUSTOMER.c.id).where(
        CUSTOMER.c.id == customer_id, viewer.customer_rule(CUSTOMER.c.account_manager_id)
    )
    return [
        lines.c.customer_id == customer_id,
        lines.c.account_id == _account("receivable"),
        exists(visible),
    ]


def statement_summary(customer_id: int, start: date, end: date, viewer: Viewer) -> Select[Any]:
    """A customer's receivable balance before `start`, what was billed (debits) and settled
    (credits) in the range, and the balance at `end`: always one row."""
    in_range = LINE.c.entry_date >= day(start)
    return select(
        func.coalesce(
            func.sum(LINE.c.debit - LINE.c.credit).filter(LINE.c.entry_date < day(start)), zero()
        ).label("opening_balance"),
        func.count().filter(in_range).label("line_count"),
        func.coalesce(func.sum(LINE.c.debit).filter(in_range), zero()).label("debit_total"),
        func.coalesce(func.sum(LINE.c.credit).filter(in_range), zero()).label("credit_total"),
        func.coalesce(func.sum(LINE.c.debit - LINE.c.credit), zero()).label("closing_balance"),
    ).where(*_customer_lines(customer_id, viewer), LINE.c.entry_date <= day(end))


def statement_lines(
    customer_id: int, start: date, end: date, viewer: Viewer, *, limit: int
) -> Select[Any]:
    """A customer's receivable lines dated in the range, oldest first, each with its document
    (the invoice; else the payment or other source of its entry) and the running balance;
    the first `limit` of them."""
    earlier = LINE.alias("earlier")
    opening = (
        select(func.coalesce(func.sum(earlier.c.debit - earlier.c.credit), zero()))
        .where(*_customer_lines(customer_id, viewer, earlier), earlier.c.entry_date < day(start))
        .scalar_subquery()
    )
    order = (LINE.c.entry_date, LINE.c.entry_id, LINE.c.line_no)
    source = ENTRY.c.source_type + literal(" ") + cast(ENTRY.c.source_id, String)
    paid_by = and_(ENTRY.c.source_type == "payment", PAYMENT.c.id == ENTRY.c.source_id)
    return (
        select(
            LINE.c.entry_date,
            LINE.c.entry_id,
            LINE.c.line_no,
            ENTRY.c.number.label("entry_number"),
            ENTRY.c.description,
            func.coalesce(INVOICE.c.number, PAYMENT.c.number, source).label("document"),
            LINE.c.debit,
            LINE.c.credit,
            (opening + func.sum(LINE.c.debit - LINE.c.credit).over(order_by=order)).label(
                "balance"
            ),
        )
        .select_from(
            LINE.join(ENTRY, ENTRY.c.id == LINE.c.entry_id)
            .outerjoin(INVOICE, INVOICE.c.id == LINE.c.invoice_id)
            .outerjoin(PAYMENT, paid_by)
        )
        .where(
            *_customer_lines(customer_id, viewer),
            LINE.c.entry_date.between(day(start), day(end)),
        )
        .order_by(*order)
        .limit(limit)
    )
