"""Warehouses, stock items, stock levels and the append-only stock ledger (schema `erp`).

Invariant: for every (item, warehouse), `on_hand`, `reserved` and `stock_value` equal the
sums of `delta_on_hand`, `delta_reserved` and `value` over its movements. Only
`domain.erp.stock_ledger` writes them.
"""

from decimal import Decimal

from sqlalchemy import CheckConstraint, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from domain.core.model_base import (
    ArchivedAt,
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

SCHEMA = "erp"
STOCK_CATEGORIES = ("hardware", "software", "services", "consumables", "accessories")
# `consumption` and `production`: components used and units made by a work order.
MOVEMENT_KINDS = (
    "receipt",
    "reservation",
    "release",
    "shipment",
    "return",
    "adjustment",
    "consumption",
    "production",
)


class Warehouse(Base):
    __tablename__ = "warehouse"
    __table_args__ = {"schema": SCHEMA}

    id: Mapped[BigId]
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    city: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[CreatedAt]


class Supplier(Base):
    __tablename__ = "supplier"
    __table_args__ = (
        trigram_index("supplier", "code"),
        trigram_index("supplier", "email"),
        external_key("supplier"),
        CheckConstraint("lead_time_days BETWEEN 0 AND 365", name="lead_time_range"),
        trigram_index("supplier", "name"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    country: Mapped[str | None] = mapped_column(String(2))
    lead_time_days: Mapped[int] = mapped_column(default=14, server_default=text("14"))
    created_at: Mapped[CreatedAt]
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    archived_at: Mapped[ArchivedAt]
    external_source: Mapped[ExternalSource]
    external_id: Mapped[ExternalId]


class StockItem(Base):
    __tablename__ = "stock_item"
    __table_args__ = (
        one_of("category", "category", STOCK_CATEGORIES),
        CheckConstraint("unit_price >= 0", name="unit_price_non_negative"),
        CheckConstraint("unit_cost >= 0", name="unit_cost_non_negative"),
        CheckConstraint("reorder_point >= 0", name="reorder_point_non_negative"),
        CheckConstraint("pack_size >= 1", name="pack_size_positive"),
        trigram_index("stock_item", "sku"),
        trigram_index("stock_item", "name"),
        external_key("stock_item"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    unit_price: Mapped[Decimal]
    unit_cost: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3), default="EUR", server_default="EUR")
    reorder_point: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    pack_size: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    supplier_id: Mapped[int | None] = fk("erp.supplier.id", ondelete="SET NULL")
    is_active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    created_at: Mapped[CreatedAt]
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    archived_at: Mapped[ArchivedAt]
    external_source: Mapped[ExternalSource]
    external_id: Mapped[ExternalId]


class StockLevel(Base):
    __tablename__ = "stock_level"
    __table_args__ = (
        UniqueConstraint("stock_item_id", "warehouse_id", name="uq_stock_level_item_warehouse"),
        CheckConstraint("on_hand >= 0", name="on_hand_non_negative"),
        CheckConstraint("reserved >= 0", name="reserved_non_negative"),
        CheckConstraint("on_hand >= reserved", name="reserved_within_on_hand"),
        CheckConstraint("stock_value >= 0", name="stock_value_non_negative"),
        CheckConstraint("on_hand > 0 OR stock_value = 0", name="no_value_without_stock"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    stock_item_id: Mapped[int] = fk("erp.stock_item.id", ondelete="CASCADE")
    warehouse_id: Mapped[int] = fk("erp.warehouse.id", ondelete="RESTRICT")
    on_hand: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    reserved: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # What the units on hand cost, carried as a total so the moving average cost
    # (stock_value / on_hand) never drifts by rounding: see domain.erp.stock_valuation.
    stock_value: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default=text("0"))
    updated_at: Mapped[CreatedAt]


class StockMovement(Base):
    __tablename__ = "stock_movement"
    __table_args__ = (
        external_key("stock_movement"),
        one_of("kind", "kind", MOVEMENT_KINDS),
        CheckConstraint("delta_on_hand <> 0 OR delta_reserved <> 0", name="moves_something"),
        Index("ix_stock_movement_item_occurred", "stock_item_id", "occurred_at"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    stock_item_id: Mapped[int] = fk("erp.stock_item.id", ondelete="CASCADE")
    warehouse_id: Mapped[int] = fk("erp.warehouse.id", ondelete="RESTRICT")
    kind: Mapped[str] = mapped_column(String(20))
    delta_on_hand: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    delta_reserved: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # The change in stock value at cost (negative when goods leave).
    value: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default=text("0"))
    reason: Mapped[str | None] = mapped_column(String(500))
    sales_order_id: Mapped[int | None] = fk("erp.sales_order.id", ondelete="SET NULL")
    delivery_id: Mapped[int | None] = fk("erp.delivery.id", ondelete="SET NULL")
    purchase_order_id: Mapped[int | None] = fk("erp.purchase_order.id", ondelete="SET NULL")
    employee_id: Mapped[int | None] = fk("erp.employee.id", ondelete="SET NULL")
    # Declared by name: production sits above erp.
    work_order_id: Mapped[int | None] = fk("production.work_order.id", ondelete="SET NULL")
    occurred_at: Mapped[CreatedAt]
    external_source: Mapped[ExternalSource]
    external_id: Mapped[ExternalId]
