"""What a customer owes on an invoice: the read rules of receivables, defined once.

Every surface that shows or uses an amount due (the GraphQL fields and filters, the credit
check, payments, customer metrics, the BI views) builds it from these expressions, so an
invoice is overdue in the API exactly when it is overdue in the credit check and in BI.

- amount paid: the sum of the payments received against the invoice;
- amount credited: the sum of the credit notes issued against it
  (both sums are kept on the invoice's row by the database, `erp.invoice.amount_paid` and
  `amount_credited`: a filter over many invoices reads each row alone);
- amount due: total minus amount paid minus amount credited, never below zero, and nothing
  for a void invoice (a credit note beyond what was still due is owed back to the customer
  as a refund, `domain.erp.credit_notes`: it never makes an invoice owe less than nothing);
- open: something is due (the stored status follows from the amounts, not the other way);
- overdue as of a day: open and its due date is before that day;
- days overdue: days past the due date while overdue, else 0.

The expressions take the invoice as any selectable with the invoice's columns (the table or
an alias), so they work in correlated subqueries, joins and views alike.

The same rules as they stood at the start of a past day (`due_before`, `owed_before`,
`overdue_before`) count only what had happened by then: invoices issued before the day,
payments received and credit notes issued before it, and a void only once it was voided.
The kept sums on the invoice are today's, so these add up the payments and credit notes
themselves (analytics recomputed as of a date use them).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    Table,
    and_,
    any_,
    case,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from domain.core.money import ZERO
from domain.erp.models.credit_notes import CreditNote
from domain.erp.models.invoices import Invoice, Payment

INVOICE: Table = Invoice.__table__  # type: ignore[assignment]
PAYMENT: Table = Payment.__table__  # type: ignore[assignment]
CREDIT_NOTE: Table = CreditNote.__table__  # type: ignore[assignment]

Expression = ColumnElement[Any]
# Zero in cents, so an amount due clamped at zero reads 0.00 like any other amount.
NOTHING: Expression = literal_column("0.00")
# Written into the SQL, never bound: the planner can match the index of open invoices only
# against these constants, and a prepared statement's generic plan sees no bound values.
VOID: Expression = literal_column("'void'")
ZERO_INLINE: Expression = literal_column("0")


def today() -> Expression:
    """The day rules are evaluated on when no other is given: the database's current date."""
    return func.current_date()


def on(day: date | Expression | None) -> Expression:
    """`day` as a SQL date expression (today when None)."""
    if day is None:
        return today()
    if isinstance(day, date):
        return literal(day, Date)
    return day


def amount_paid(invoice: Any = INVOICE) -> Expression:
    """Payments received on `invoice` (their sum, kept on its row)."""
    return invoice.c.amount_paid


def amount_credited(invoice: Any = INVOICE) -> Expression:
    """Credit notes issued against `invoice` (their sum, kept on its row)."""
    return invoice.c.amount_credited


def amount_due(invoice: Any = INVOICE) -> Expression:
    """Total minus payments minus credit notes, never below zero; a void invoice owes
    nothing."""
    return case(
        (invoice.c.status == "void", 0),
        else_=func.greatest(
            invoice.c.total - amount_paid(invoice) - amount_credited(invoice), NOTHING
        ),
    )


def is_open(invoice: Any = INVOICE) -> ColumnElement[bool]:
    """Something is still due on `invoice`: `amount_due > 0`, written as the conjunction
    the index of open invoices (`ix_invoice_open_due`) is defined by, so it can serve it."""
    unpaid = invoice.c.total - amount_paid(invoice) - amount_credited(invoice)
    return and_(invoice.c.status != VOID, unpaid > ZERO_INLINE)


def is_overdue(
    invoice: Any = INVOICE, as_of: date | Expression | None = None
) -> ColumnElement[bool]:
    """Something is due and the due date is before `as_of` (today by default).

    Amount-based on purpose: an invoice with nothing left to pay (a zero total, say) is
    never overdue, whatever its stored status says.
    """
    return and_(is_open(invoice), invoice.c.due_on < on(as_of))


def days_overdue(invoice: Any = INVOICE, as_of: date | Expression | None = None) -> Expression:
    """Days past the due date while overdue, 0 otherwise."""
    return case((is_overdue(invoice, as_of), on(as_of) - invoice.c.due_on), else_=0)


def overdue_more_than(days: int, invoice: Any = INVOICE) -> ColumnElement[bool]:
    """`days_overdue(invoice) > days` as of today, for `days` >= 0, in the form the index of
    open invoices by due date serves: open, and due more than `days` days ago."""
    if days < 0:
        raise ValueError("days must not be negative")
    return and_(is_open(invoice), invoice.c.due_on < today() - days)


def open_balance(customer: Any) -> Expression:
    """What `customer` owes on all its invoices (a correlated subquery on
    invoice.customer_id): the sum of their amounts due, as `customer_balances` reads it."""
    return func.coalesce(
        select(func.sum(amount_due()))
        .where(INVOICE.c.customer_id == customer.c.id, INVOICE.c.status != "void")
        .correlate(customer)
        .scalar_subquery(),
        NOTHING,
    )


def paid_before(start: Expression) -> Any:
    """Payments received before the instant `start`, summed per invoice (`invoice_id`,
    `paid`): to join, once per statement, for `due_before`."""
    return (
        select(PAYMENT.c.invoice_id, func.sum(PAYMENT.c.amount).label("paid"))
        .where(PAYMENT.c.received_at < start)
        .group_by(PAYMENT.c.invoice_id)
    )


def credited_before(start: Expression) -> Any:
    """Credit notes issued on days before `start`, summed per invoice (`invoice_id`,
    `credited`)."""
    return (
        select(CREDIT_NOTE.c.invoice_id, func.sum(CREDIT_NOTE.c.total).label("credited"))
        .where(CREDIT_NOTE.c.issued_on < _day_of(start))
        .group_by(CREDIT_NOTE.c.invoice_id)
    )


def due_before(
    invoice: Any, start: Expression, *, paid: Expression, credited: Expression
) -> Expression:
    """What was due on `invoice` at the instant `start`, given what had been paid and
    credited on it by then (`paid_before`, `credited_before`, joined by the statement)."""
    voided = and_(invoice.c.status == VOID, invoice.c.voided_at < start)
    return case((voided, 0), else_=func.greatest(invoice.c.total - paid - credited, NOTHING))


def owed_before(
    invoice: Any, start: Expression, *, paid: Expression, credited: Expression
) -> ColumnElement[bool]:
    """`invoice` had been issued (on an earlier day) and something was due on it at `start`."""
    issued = invoice.c.issued_on < _day_of(start)
    return and_(issued, due_before(invoice, start, paid=paid, credited=credited) > 0)


def overdue_before(
    invoice: Any, start: Expression, *, paid: Expression, credited: Expression
) -> ColumnElement[bool]:
    """Owed at `start`, and due on an earlier day."""
    owed = owed_before(invoice, start, paid=paid, credited=credited)
    return and_(owed, invoice.c.due_on < _day_of(start))


def _day_of(start: Expression) -> Expression:
    """The UTC day an instant falls on."""
    return func.date(func.timezone("UTC", start))


def invoice_amounts(ids: Expression, as_of: date | Expression | None = None) -> Any:
    """Paid, credited, due, overdue and days overdue of the invoices whose ids are in the
    array `ids`."""
    return select(
        INVOICE.c.id,
        amount_paid().label("paid"),
        amount_credited().label("credited"),
        amount_due().label("due"),
        is_overdue(as_of=as_of).label("overdue"),
        days_overdue(as_of=as_of).label("days_overdue"),
    ).where(INVOICE.c.id == any_(ids))


def customer_balances(customer_ids: Expression, as_of: date | Expression | None = None) -> Any:
    """Open balance (all amounts due) and overdue balance per customer in the array."""
    due = amount_due()
    return (
        select(
            INVOICE.c.customer_id,
            func.sum(due).label("open_balance"),
            func.coalesce(func.sum(due).filter(is_overdue(as_of=as_of)), 0).label(
                "overdue_balance"
            ),
        )
        .where(INVOICE.c.customer_id == any_(customer_ids), INVOICE.c.status != "void")
        .group_by(INVOICE.c.customer_id)
    )


def id_array(values: list[int]) -> Expression:
    """Ids as one array parameter, for the batch statements above."""
    return literal(values, ARRAY(BigInteger))


async def amounts_due(
    session: AsyncSession | AsyncConnection, ids: list[int]
) -> dict[int, Decimal]:
    """Amount due per invoice id (missing ids are absent)."""
    rows = await session.execute(invoice_amounts(id_array(ids)))
    return {row.id: Decimal(row.due) for row in rows}


async def amount_due_of(session: AsyncSession | AsyncConnection, invoice_id: int) -> Decimal:
    """What is still due on one invoice (0 when it does not exist)."""
    return (await amounts_due(session, [invoice_id])).get(invoice_id, ZERO)


@dataclass(frozen=True)
class Amounts:
    paid: Decimal
    credited: Decimal
    due: Decimal


async def amounts_of(session: AsyncSession | AsyncConnection, invoice_id: int) -> Amounts:
    """Paid, credited and due of one invoice, in one statement (zeros when it does not exist)."""
    row = (await session.execute(invoice_amounts(id_array([invoice_id])))).first()
    if row is None:
        return Amounts(ZERO, ZERO, ZERO)
    return Amounts(Decimal(row.paid), Decimal(row.credited), Decimal(row.due))


async def amount_paid_of(session: AsyncSession | AsyncConnection, invoice_id: int) -> Decimal:
    """What has been received on one invoice."""
    paid = await session.scalar(select(amount_paid()).where(INVOICE.c.id == invoice_id))
    return Decimal(paid or ZERO)


async def amount_credited_of(session: AsyncSession | AsyncConnection, invoice_id: int) -> Decimal:
    """What credit notes have taken back of one invoice."""
    credited = await session.scalar(select(amount_credited()).where(INVOICE.c.id == invoice_id))
    return Decimal(credited or ZERO)
