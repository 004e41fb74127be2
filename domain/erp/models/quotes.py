"""Quotes (schema `erp`): an offer to a customer, priced as an order would be, valid until a
day; accepted, it becomes a sales order at the quoted prices."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, Index, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from domain.core.model_base import Base, BigId, CreatedAt, fk, one_of, trigram_index
from domain.erp.quote_states import STORED_QUOTE_STATUSES

SCHEMA = "erp"


class Quote(Base):
    __tablename__ = "quote"
    __table_args__ = (
        one_of("status", "status", STORED_QUOTE_STATUSES),
        CheckConstraint(
            "subtotal >= 0 AND tax_total >= 0 AND total >= 0", name="totals_non_negative"
        ),
        CheckConstraint("total = subtotal + tax_total", name="total_adds_up"),
        CheckConstraint("(status = 'accepted') = (sales_order_id IS NOT NULL)", name="order_once"),
        Index("ix_quote_customer_created", "customer_id", "created_at"),
        trigram_index("quote", "number"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = fk("crm.customer.id", ondelete="RESTRICT")
    sales_rep_id: Mapped[int | None] = fk("erp.employee.id", ondelete="SET NULL")
    warehouse_id: Mapped[int | None] = fk("erp.warehouse.id", ondelete="RESTRICT")
    # Stored: draft, sent, accepted, declined. Expired is read from `valid_until`
    # (domain.erp.quote_states.current_status), so no job has to expire quotes.
    status: Mapped[str] = mapped_column(String(20), default="draft", server_default="draft")
    currency: Mapped[str] = mapped_column(String(3))
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(6, 4))
    subtotal: Mapped[Decimal]
    discount_total: Mapped[Decimal]
    tax_total: Mapped[Decimal]
    total: Mapped[Decimal]
    valid_until: Mapped[date] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column()
    decline_reason: Mapped[str | None] = mapped_column(String(500))
    # The order an accepted quote became.
    sales_order_id: Mapped[int | None] = fk("erp.sales_order.id", ondelete="RESTRICT")
    created_at: Mapped[CreatedAt]
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))


class QuoteLine(Base):
    __tablename__ = "quote_line"
    __table_args__ = (
        UniqueConstraint("quote_id", "line_no", name="uq_quote_line_no"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0 AND list_price >= 0", name="prices_non_negative"),
        CheckConstraint("discount_percent BETWEEN 0 AND 100", name="discount_range"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    quote_id: Mapped[int] = fk("erp.quote.id", ondelete="CASCADE")
    line_no: Mapped[int]
    stock_item_id: Mapped[int] = fk("erp.stock_item.id", ondelete="RESTRICT")
    quantity: Mapped[int]
    list_price: Mapped[Decimal]
    discount_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    unit_price: Mapped[Decimal]
    line_total: Mapped[Decimal]
    tax_amount: Mapped[Decimal]
