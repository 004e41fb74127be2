"""The books (schema `finance`): chart of accounts, journals, entries and their lines, closed
periods with their frozen totals, and exchange rates.

Supplier bills and supplier payments live here too: what is owed to suppliers, next to the
payable lines that book it.

Invariants the database holds itself (migration 0016): every entry balances at commit (a
deferred constraint trigger sums its lines), entries and lines are never updated or deleted
(a correction is a reversal entry), a line is either a debit or a credit.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Numeric,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from domain.core.model_base import Base, BigId, CreatedAt, fk, one_of, trigram_index

SCHEMA = "finance"
ACCOUNT_TYPES = ("asset", "liability", "equity", "income", "expense")
ENTRY_KINDS = ("posting", "manual", "reversal", "closing", "revaluation")
# A supplier bill: open until paid in part or in full; void only while nothing is paid.
BILL_STATUSES = ("open", "partially_paid", "paid", "void")
# Company units per unit of a foreign currency: eight decimals, as central banks publish them.
Rate = Numeric(18, 8)


class Account(Base):
    __tablename__ = "account"
    __table_args__ = (
        one_of("type", "type", ACCOUNT_TYPES),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        trigram_index("account", "code"),
        trigram_index("account", "name"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = fk("finance.account.id", ondelete="RESTRICT")
    # A currency the account is kept in; null accepts any (amounts are always also in EUR).
    currency: Mapped[str | None] = mapped_column(String(3))
    # What the automatic postings use the account for (`receivable`, `revenue`, …); unique.
    purpose: Mapped[str | None] = mapped_column(String(30), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    created_at: Mapped[CreatedAt]


class LedgerJournal(Base):
    """A book of original entry: sales, purchases, bank, stock, general."""

    __tablename__ = "journal"
    __table_args__ = {"schema": SCHEMA}

    id: Mapped[BigId]
    code: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(100))


class JournalEntry(Base):
    __tablename__ = "journal_entry"
    __table_args__ = (
        one_of("kind", "kind", ENTRY_KINDS),
        Index("ix_journal_entry_source", "source_type", "source_id"),
        CheckConstraint("(kind = 'reversal') = (reverses_id IS NOT NULL)", name="reversal_refers"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    number: Mapped[str] = mapped_column(String(20), unique=True)
    journal_id: Mapped[int] = fk("finance.journal.id", ondelete="RESTRICT")
    kind: Mapped[str] = mapped_column(String(20))
    # The date the entry counts on; the document's own date differs when its month was closed.
    entry_date: Mapped[date] = mapped_column(Date, index=True)
    document_date: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(200))
    # The business event and document that caused it (`invoice.issued`, `invoice` 42).
    event: Mapped[str | None] = mapped_column(String(40))
    source_type: Mapped[str | None] = mapped_column(String(30))
    source_id: Mapped[int | None] = mapped_column(BigInteger)
    reverses_id: Mapped[int | None] = fk("finance.journal_entry.id", ondelete="RESTRICT")
    created_by_id: Mapped[int | None] = fk("erp.employee.id", ondelete="SET NULL")
    created_at: Mapped[CreatedAt]


class JournalLine(Base):
    __tablename__ = "journal_line"
    __table_args__ = (
        CheckConstraint("debit >= 0 AND credit >= 0", name="amounts_non_negative"),
        CheckConstraint("(debit = 0) <> (credit = 0)", name="debit_or_credit"),
        Index("ix_journal_line_account_date", "account_id", "entry_date"),
        Index("ix_journal_line_customer_date", "customer_id", "entry_date"),
        # Lines arrive in date order, so a block range index finds a month's lines (a close,
        # a balance after the last close) for almost nothing on every insert.
        Index("ix_journal_line_entry_date_brin", "entry_date", postgresql_using="brin"),
        # Only payable lines name a bill: the other lines of a large ledger stay out of it.
        Index(
            "ix_journal_line_supplier_bill_id",
            "supplier_bill_id",
            postgresql_where=text("supplier_bill_id IS NOT NULL"),
        ),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    entry_id: Mapped[int] = fk("finance.journal_entry.id", ondelete="RESTRICT")
    line_no: Mapped[int]
    # Indexed with the date below, as is the customer.
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("finance.account.id", ondelete="RESTRICT")
    )
    # The entry's date, kept on each line so balances are an index range scan.
    entry_date: Mapped[date] = mapped_column(Date)
    debit: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default=text("0"))
    credit: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default=text("0"))
    # The same amount in the document's currency, signed (+ debit, − credit).
    currency: Mapped[str] = mapped_column(String(3))
    amount_currency: Mapped[Decimal]
    customer_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("crm.customer.id", ondelete="RESTRICT")
    )
    supplier_id: Mapped[int | None] = fk("erp.supplier.id", ondelete="RESTRICT")
    invoice_id: Mapped[int | None] = fk("erp.invoice.id", ondelete="RESTRICT")
    # The supplier bill a payable line books or settles (indexed above, where present).
    supplier_bill_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("finance.supplier_bill.id", ondelete="RESTRICT")
    )


class ClosedPeriod(Base):
    """A month no posting may be dated in any more; months close in order."""

    __tablename__ = "closed_period"
    __table_args__ = (
        CheckConstraint("extract(day FROM month) = 1", name="first_of_month"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    month: Mapped[date] = mapped_column(Date, unique=True)
    closed_at: Mapped[CreatedAt]
    closed_by_id: Mapped[int | None] = fk("erp.employee.id", ondelete="SET NULL")


class AccountMonthTotal(Base):
    """An account's debits and credits dated in a closed month, frozen when it closed, so a
    balance at any date sums a few rows per month instead of every line."""

    __tablename__ = "account_month_total"
    __table_args__ = (
        Index("ix_account_month_total_month", "month"),
        {"schema": SCHEMA},
    )

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("finance.account.id", ondelete="RESTRICT"), primary_key=True
    )
    # Reopening a month deletes its totals with it.
    month: Mapped[date] = mapped_column(
        Date, ForeignKey("finance.closed_period.month", ondelete="CASCADE"), primary_key=True
    )
    debit: Mapped[Decimal]
    credit: Mapped[Decimal]


class OpenReceivable(Base):
    """What was still open on the receivable account at a closed month's end, per invoice
    (or per receivable line without one), frozen when the month closed: aging as of any day
    starts from the last of these and reads only the lines after it."""

    __tablename__ = "open_receivable"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_open"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    # Reopening a month deletes what it froze.
    month: Mapped[date] = mapped_column(
        Date, ForeignKey("finance.closed_period.month", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int | None] = fk("crm.customer.id", ondelete="RESTRICT")
    invoice_id: Mapped[int | None] = fk("erp.invoice.id", ondelete="RESTRICT")
    # The line an amount without an invoice was booked on (it is due on that line's date).
    line_id: Mapped[int | None] = fk("finance.journal_line.id", ondelete="RESTRICT")
    booked_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal]


class ExchangeRate(Base):
    """Company currency (EUR) per unit of `currency`, valid from `valid_on` until the next."""

    __tablename__ = "exchange_rate"
    __table_args__ = (
        CheckConstraint("rate > 0", name="rate_positive"),
        UniqueConstraint("currency", "valid_on", name="uq_exchange_rate_currency_day"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    currency: Mapped[str] = mapped_column(String(3))
    valid_on: Mapped[date] = mapped_column(Date)
    rate: Mapped[Decimal] = mapped_column(Rate)
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))


class SupplierBill(Base):
    """A supplier's invoice for goods received on a purchase order: what it bills per order
    line, matched against what was received and ordered (`domain.finance.supplier_bills`)."""

    __tablename__ = "supplier_bill"
    __table_args__ = (
        one_of("status", "status", BILL_STATUSES),
        CheckConstraint("net >= 0 AND tax >= 0", name="amounts_non_negative"),
        CheckConstraint("total = net + tax", name="total_adds_up"),
        CheckConstraint("tax_rate >= 0 AND tax_rate < 1", name="tax_rate_range"),
        CheckConstraint("due_on >= bill_date", name="due_after_bill"),
        # A supplier numbers its own invoices; a voided bill's number may be entered again.
        Index(
            "uq_supplier_bill_supplier_number",
            "supplier_id",
            "number",
            unique=True,
            postgresql_where=text("status <> 'void'"),
        ),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    # The supplier's own invoice number.
    number: Mapped[str] = mapped_column(String(40))
    # Indexed by the unique index above.
    supplier_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("erp.supplier.id", ondelete="RESTRICT")
    )
    purchase_order_id: Mapped[int] = fk("erp.purchase_order.id", ondelete="RESTRICT")
    status: Mapped[str] = mapped_column(String(20), default="open", server_default="open")
    currency: Mapped[str] = mapped_column(String(3))
    bill_date: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(5, 4))
    net: Mapped[Decimal]
    tax: Mapped[Decimal]
    total: Mapped[Decimal]
    # Billed minus the order's cost of the billed units, over every line (negative: cheaper).
    price_difference: Mapped[Decimal]
    void_reason: Mapped[str | None] = mapped_column(String(500))
    voided_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = fk("erp.employee.id", ondelete="SET NULL")
    created_at: Mapped[CreatedAt]


class SupplierBillLine(Base):
    """Units of one purchase order line billed, at the supplier's price and the order's cost."""

    __tablename__ = "supplier_bill_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0 AND unit_cost >= 0", name="prices_non_negative"),
        CheckConstraint("net >= 0", name="net_non_negative"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    supplier_bill_id: Mapped[int] = fk("finance.supplier_bill.id", ondelete="CASCADE")
    purchase_order_line_id: Mapped[int] = fk("erp.purchase_order_line.id", ondelete="RESTRICT")
    stock_item_id: Mapped[int] = fk("erp.stock_item.id", ondelete="RESTRICT")
    quantity: Mapped[int]
    unit_price: Mapped[Decimal]
    # The order line's cost per unit: what its receipts booked.
    unit_cost: Mapped[Decimal]
    net: Mapped[Decimal]
    price_difference: Mapped[Decimal]


class SupplierPayment(Base):
    """Money paid to a supplier against one bill, never more than is due on it."""

    __tablename__ = "supplier_payment"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    number: Mapped[str] = mapped_column(String(20), unique=True)
    supplier_bill_id: Mapped[int] = fk("finance.supplier_bill.id", ondelete="RESTRICT")
    supplier_id: Mapped[int] = fk("erp.supplier.id", ondelete="RESTRICT")
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    paid_at: Mapped[datetime]
    reference: Mapped[str | None] = mapped_column(String(100))
    created_by_id: Mapped[int | None] = fk("erp.employee.id", ondelete="SET NULL")
    created_at: Mapped[CreatedAt]
