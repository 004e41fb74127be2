"""Price rules, sales orders and deliveries (schema `erp`).

An order line stores the prices the server computed when the order was placed, so later
changes to list prices or tier rules never rewrite history.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    FetchedValue,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
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
from domain.crm.vocabulary import CUSTOMER_TIERS
from domain.erp.delivery_states import DELIVERY_STATUSES
from domain.erp.models.stock import STOCK_CATEGORIES
from domain.erp.order_states import ORDER_STATUSES

SCHEMA = "erp"


class PriceList(Base):
    __tablename__ = "price_list"
    __table_args__ = (
        external_key("price_list"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="dates_ordered"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    name: Mapped[str] = mapped_column(String(100), unique=True)
    currency: Mapped[str] = mapped_column(String(3), default="EUR", server_default="EUR")
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    is_active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    created_at: Mapped[CreatedAt]
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    external_source: Mapped[ExternalSource]
    external_id: Mapped[ExternalId]


class PriceRule(Base):
    __tablename__ = "price_rule"
    __table_args__ = (
        external_key("price_rule"),
        one_of("tier", "tier", CUSTOMER_TIERS),
        one_of("category", "category", STOCK_CATEGORIES),
        CheckConstraint("discount_percent BETWEEN 0 AND 100", name="discount_range"),
        CheckConstraint("min_quantity >= 1", name="min_quantity_positive"),
        UniqueConstraint(
            "price_list_id", "tier", "category", "min_quantity", name="uq_price_rule_key"
        ),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    price_list_id: Mapped[int] = fk("erp.price_list.id", ondelete="CASCADE")
    tier: Mapped[str] = mapped_column(String(20))
    category: Mapped[str | None] = mapped_column(String(20))
    min_quantity: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    discount_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    external_source: Mapped[ExternalSource]
    external_id: Mapped[ExternalId]


class SalesOrder(Base):
    __tablename__ = "sales_order"
    __table_args__ = (
        external_key("sales_order"),
        one_of("status", "status", ORDER_STATUSES),
        one_of("customer_tier", "customer_tier", CUSTOMER_TIERS),
        CheckConstraint(
            "subtotal >= 0 AND tax_total >= 0 AND total >= 0", name="totals_non_negative"
        ),
        CheckConstraint("total = subtotal + tax_total", name="total_adds_up"),
        Index("ix_sales_order_customer_ordered", "customer_id", "ordered_at"),
        trigram_index("sales_order", "number"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = fk("crm.customer.id", ondelete="RESTRICT")
    # The customer's tier when the order was placed (its prices followed it): history does
    # not rewrite itself when the tier changes. A trigger fills it on every insert, whoever
    # writes the order (the services, imports, the demo's bulk load).
    customer_tier: Mapped[str] = mapped_column(String(20), server_default=FetchedValue())
    sales_rep_id: Mapped[int | None] = fk("erp.employee.id", ondelete="SET NULL")
    warehouse_id: Mapped[int] = fk("erp.warehouse.id", ondelete="RESTRICT")
    status: Mapped[str] = mapped_column(
        String(20), default="draft", server_default="draft", index=True
    )
    currency: Mapped[str] = mapped_column(String(3), default="EUR", server_default="EUR")
    tax_rate: Mapped[Decimal] = mapped_column(
        Numeric(6, 4), default=Decimal("0"), server_default=text("0")
    )
    subtotal: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default=text("0"))
    discount_total: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default=text("0"))
    tax_total: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default=text("0"))
    total: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default=text("0"))
    notes: Mapped[str | None] = mapped_column(Text)
    ordered_at: Mapped[datetime] = mapped_column(index=True)
    confirmed_at: Mapped[datetime | None] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[CreatedAt]
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    external_source: Mapped[ExternalSource]
    external_id: Mapped[ExternalId]

    lines: Mapped[list["SalesOrderLine"]] = relationship(
        lazy="raise", order_by="SalesOrderLine.line_no", cascade="all, delete-orphan"
    )


class SalesOrderLine(Base):
    __tablename__ = "sales_order_line"
    __table_args__ = (
        external_key("sales_order_line"),
        UniqueConstraint("sales_order_id", "line_no", name="uq_sales_order_line_no"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0 AND list_price >= 0", name="prices_non_negative"),
        CheckConstraint("discount_percent BETWEEN 0 AND 100", name="discount_range"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    sales_order_id: Mapped[int] = fk("erp.sales_order.id", ondelete="CASCADE")
    line_no: Mapped[int]
    stock_item_id: Mapped[int] = fk("erp.stock_item.id", ondelete="RESTRICT")
    quantity: Mapped[int]
    list_price: Mapped[Decimal]
    discount_percent: Mapped[Decimal] = mapped_column(
        Numeric(5, 2), default=Decimal("0"), server_default=text("0")
    )
    unit_price: Mapped[Decimal]
    line_total: Mapped[Decimal]
    tax_amount: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default=text("0"))
    external_source: Mapped[ExternalSource]
    external_id: Mapped[ExternalId]


class Delivery(Base):
    __tablename__ = "delivery"
    __table_args__ = (
        external_key("delivery"),
        one_of("status", "status", DELIVERY_STATUSES),
        CheckConstraint(
            "delivered_at IS NULL OR delivered_at >= shipped_at", name="delivered_after_shipped"
        ),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    number: Mapped[str] = mapped_column(String(20), unique=True)
    sales_order_id: Mapped[int] = fk("erp.sales_order.id", ondelete="CASCADE")
    warehouse_id: Mapped[int] = fk("erp.warehouse.id", ondelete="RESTRICT")
    status: Mapped[str] = mapped_column(
        String(20), default="in_transit", server_default="in_transit", index=True
    )
    carrier: Mapped[str | None] = mapped_column(String(50))
    tracking_number: Mapped[str | None] = mapped_column(String(60))
    shipped_at: Mapped[datetime] = mapped_column(index=True)
    expected_at: Mapped[datetime | None] = mapped_column()
    delivered_at: Mapped[datetime | None] = mapped_column()
    failed_at: Mapped[datetime | None] = mapped_column()
    failure_reason: Mapped[str | None] = mapped_column(String(500))
    external_source: Mapped[ExternalSource]
    external_id: Mapped[ExternalId]

    lines: Mapped[list["DeliveryLine"]] = relationship(lazy="raise", cascade="all, delete-orphan")


class DeliveryLine(Base):
    __tablename__ = "delivery_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    delivery_id: Mapped[int] = fk("erp.delivery.id", ondelete="CASCADE")
    sales_order_line_id: Mapped[int] = fk("erp.sales_order_line.id", ondelete="CASCADE")
    quantity: Mapped[int]
