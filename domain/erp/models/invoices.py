"""Invoices and payments (schema `erp`). Amount paid and due are derived from payments."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.core.model_base import (
    Base,
    BigId,
    CreatedAt,
    ExternalId,
    ExternalSource,
    external_key,
    fk,
    one_of,
    trigram_index,
)
from domain.erp.invoice_states import INVOICE_STATUSES

SCHEMA = "erp"
PAYMENT_METHODS = ("bank_transfer", "card", "cash", "cheque", "direct_debit")


class Invoice(Base):
    __tablename__ = "invoice"
    __table_args__ = (
        external_key("invoice"),
        one_of("status", "status", INVOICE_STATUSES),
        CheckConstraint("due_on >= issued_on", name="due_after_issue"),
        CheckConstraint("total = subtotal + tax_total", name="total_adds_up"),
        CheckConstraint("subtotal >= 0 AND tax_total >= 0", name="totals_non_negative"),
        Index("ix_invoice_customer_issued", "customer_id", "issued_on"),
        # Open invoices by due date (`receivables.is_open` is this predicate): what is
        # overdue, and by how long, without looking at paid ones.
        Index(
            "ix_invoice_open_due",
            "due_on",
            "customer_id",
            postgresql_where=text("status <> 'void' AND total - amount_paid - amount_credited > 0"),
        ),
        trigram_index("invoice", "number"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = fk("crm.customer.id", ondelete="RESTRICT")
    sales_order_id: Mapped[int | None] = fk("erp.sales_order.id", ondelete="RESTRICT")
    status: Mapped[str] = mapped_column(
        String(20), default="issued", server_default="issued", index=True
    )
    currency: Mapped[str] = mapped_column(String(3), default="EUR", server_default="EUR")
    issued_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    subtotal: Mapped[Decimal]
    tax_total: Mapped[Decimal]
    total: Mapped[Decimal]
    # The sums of the invoice's payments and of its credit notes, kept by the database
    # (statement triggers on erp.payment and erp.credit_note, migration 0022; any other
    # write is refused): `domain.erp.receivables` derives what is due from them.
    amount_paid: Mapped[Decimal] = mapped_column(server_default=text("0"))
    amount_credited: Mapped[Decimal] = mapped_column(server_default=text("0"))
    voided_at: Mapped[datetime | None] = mapped_column()
    void_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[CreatedAt]
    external_source: Mapped[ExternalSource]
    external_id: Mapped[ExternalId]

    lines: Mapped[list["InvoiceLine"]] = relationship(lazy="raise", cascade="all, delete-orphan")


class InvoiceLine(Base):
    __tablename__ = "invoice_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    invoice_id: Mapped[int] = fk("erp.invoice.id", ondelete="CASCADE")
    sales_order_line_id: Mapped[int | None] = fk("erp.sales_order_line.id", ondelete="RESTRICT")
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal]
    line_total: Mapped[Decimal]
    tax_amount: Mapped[Decimal]


class Payment(Base):
    __tablename__ = "payment"
    __table_args__ = (
        external_key("payment"),
        one_of("method", "method", PAYMENT_METHODS),
        CheckConstraint("amount > 0", name="amount_positive"),
        UniqueConstraint("number", name="uq_payment_number"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    number: Mapped[str] = mapped_column(String(20))
    invoice_id: Mapped[int] = fk("erp.invoice.id", ondelete="RESTRICT")
    customer_id: Mapped[int] = fk("crm.customer.id", ondelete="RESTRICT")
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3), default="EUR", server_default="EUR")
    method: Mapped[str] = mapped_column(
        String(20), default="bank_transfer", server_default="bank_transfer"
    )
    reference: Mapped[str | None] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[CreatedAt]
    external_source: Mapped[ExternalSource]
    external_id: Mapped[ExternalId]
