"""Credit notes, sales returns and refunds (schema `erp`): what corrects an invoice after
it was issued.

A credit note takes back part or all of what an invoice billed: by its lines (units not to
be paid for) or as an amount (a goodwill discount). The part of a credit note beyond what
the invoice still asked for is owed back to the customer (`refund_amount`) and paid out by
refunds. A sales return is goods of an order that came back into stock; it credits what of
them had been invoiced.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from domain.core.model_base import Base, BigId, CreatedAt, fk, one_of, trigram_index
from domain.erp.models.invoices import PAYMENT_METHODS

SCHEMA = "erp"


class CreditNote(Base):
    __tablename__ = "credit_note"
    __table_args__ = (
        CheckConstraint("total = subtotal + tax_total", name="total_adds_up"),
        CheckConstraint("subtotal >= 0 AND tax_total >= 0 AND total > 0", name="totals_positive"),
        CheckConstraint("refund_amount BETWEEN 0 AND total", name="refund_within_total"),
        Index("ix_credit_note_customer_issued", "customer_id", "issued_on"),
        trigram_index("credit_note", "number"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    number: Mapped[str] = mapped_column(String(20), unique=True)
    invoice_id: Mapped[int] = fk("erp.invoice.id", ondelete="RESTRICT")
    customer_id: Mapped[int] = fk("crm.customer.id", ondelete="RESTRICT")
    # The return whose goods it credits; null for a credit note issued on its own.
    sales_return_id: Mapped[int | None] = fk("erp.sales_return.id", ondelete="RESTRICT")
    currency: Mapped[str] = mapped_column(String(3))
    issued_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(500))
    subtotal: Mapped[Decimal]
    tax_total: Mapped[Decimal]
    total: Mapped[Decimal]
    # The part of `total` beyond what the invoice still asked for: owed to the customer.
    refund_amount: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default=text("0"))
    created_at: Mapped[CreatedAt]


class CreditNoteLine(Base):
    """Units of an invoice line taken back, at the price they were billed at."""

    __tablename__ = "credit_note_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("line_total >= 0 AND tax_amount >= 0", name="amounts_non_negative"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    credit_note_id: Mapped[int] = fk("erp.credit_note.id", ondelete="CASCADE")
    invoice_line_id: Mapped[int] = fk("erp.invoice_line.id", ondelete="RESTRICT")
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal]
    line_total: Mapped[Decimal]
    tax_amount: Mapped[Decimal]


class SalesReturn(Base):
    """Delivered goods of an order that came back into stock."""

    __tablename__ = "sales_return"
    __table_args__ = (
        CheckConstraint("stock_value >= 0", name="stock_value_non_negative"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    number: Mapped[str] = mapped_column(String(20), unique=True)
    sales_order_id: Mapped[int] = fk("erp.sales_order.id", ondelete="RESTRICT")
    customer_id: Mapped[int] = fk("crm.customer.id", ondelete="RESTRICT")
    warehouse_id: Mapped[int] = fk("erp.warehouse.id", ondelete="RESTRICT")
    reason: Mapped[str] = mapped_column(String(500))
    received_at: Mapped[datetime] = mapped_column(index=True)
    # What the goods cost when they left: the value they came back into stock at.
    stock_value: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default=text("0"))
    created_at: Mapped[CreatedAt]


class SalesReturnLine(Base):
    __tablename__ = "sales_return_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "credited_quantity BETWEEN 0 AND quantity", name="credited_within_quantity"
        ),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    sales_return_id: Mapped[int] = fk("erp.sales_return.id", ondelete="CASCADE")
    sales_order_line_id: Mapped[int] = fk("erp.sales_order_line.id", ondelete="RESTRICT")
    quantity: Mapped[int]
    # Of those units, how many had been invoiced and were credited by the return.
    credited_quantity: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    value: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default=text("0"))


class Refund(Base):
    """Money paid back to a customer, out of what a credit note left owed to it."""

    __tablename__ = "refund"
    __table_args__ = (
        one_of("method", "method", PAYMENT_METHODS),
        CheckConstraint("amount > 0", name="amount_positive"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    number: Mapped[str] = mapped_column(String(20), unique=True)
    credit_note_id: Mapped[int] = fk("erp.credit_note.id", ondelete="RESTRICT")
    customer_id: Mapped[int] = fk("crm.customer.id", ondelete="RESTRICT")
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str] = mapped_column(
        String(20), default="bank_transfer", server_default="bank_transfer"
    )
    reference: Mapped[str | None] = mapped_column(String(100))
    paid_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[CreatedAt]
