"""Bills of materials and work orders (schema `production`).

A BOM says what one unit of a manufactured item is made of; an item has numbered
revisions, at most one of them active. A work order makes a quantity of an item from a
snapshot of its active BOM: the components it needs, what it reserved of them and what it
consumed."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, Index, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from domain.core.model_base import Base, BigId, CreatedAt, fk, one_of, trigram_index
from domain.production.states import BOM_STATUSES, WORK_ORDER_STATUSES

SCHEMA = "production"


class Bom(Base):
    __tablename__ = "bom"
    __table_args__ = (
        UniqueConstraint("stock_item_id", "revision", name="uq_bom_item_revision"),
        # One active revision per item: the one work orders and the plan use.
        Index(
            "uq_bom_active_item",
            "stock_item_id",
            unique=True,
            postgresql_where=text("status = 'active'"),
        ),
        one_of("status", "status", BOM_STATUSES),
        CheckConstraint("revision >= 1", name="revision_positive"),
        CheckConstraint("lead_time_days >= 0", name="lead_time_non_negative"),
        CheckConstraint("conversion_cost >= 0", name="conversion_cost_non_negative"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    stock_item_id: Mapped[int] = fk("erp.stock_item.id", ondelete="RESTRICT")
    revision: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default="draft", server_default="draft")
    # Days from starting a work order to its output, whatever the quantity.
    lead_time_days: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    # Labour and overhead per unit made, on top of the components.
    conversion_cost: Mapped[Decimal] = mapped_column(
        Numeric(14, 4), default=Decimal("0"), server_default=text("0")
    )
    # Standard cost of one unit: components at their costs, scrap included, plus
    # conversion; kept current while the revision is active (domain.production.costing).
    rolled_up_cost: Mapped[Decimal] = mapped_column(
        Numeric(14, 4), default=Decimal("0"), server_default=text("0")
    )
    notes: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = fk("erp.employee.id", ondelete="SET NULL")
    created_at: Mapped[CreatedAt]
    activated_at: Mapped[datetime | None]


class BomLine(Base):
    __tablename__ = "bom_line"
    __table_args__ = (
        UniqueConstraint("bom_id", "component_id", name="uq_bom_line_component"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("scrap_percent >= 0 AND scrap_percent < 100", name="scrap_range"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    bom_id: Mapped[int] = fk("production.bom.id", ondelete="CASCADE")
    line_no: Mapped[int]
    component_id: Mapped[int] = fk("erp.stock_item.id", ondelete="RESTRICT")
    # Units of the component per unit made (fractions allowed: 0.25 m of cable).
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    # Share of the component lost in making, on top of `quantity`.
    scrap_percent: Mapped[Decimal] = mapped_column(
        Numeric(5, 2), default=Decimal("0"), server_default=text("0")
    )


class WorkOrder(Base):
    __tablename__ = "work_order"
    __table_args__ = (
        trigram_index("work_order", "number"),
        one_of("status", "status", WORK_ORDER_STATUSES),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "quantity_produced >= 0 AND quantity_scrapped >= 0 "
            "AND quantity_produced + quantity_scrapped <= quantity",
            name="reported_within_quantity",
        ),
        CheckConstraint("due_on >= planned_start", name="due_after_start"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    number: Mapped[str] = mapped_column(String(20), unique=True)
    stock_item_id: Mapped[int] = fk("erp.stock_item.id", ondelete="RESTRICT")
    bom_id: Mapped[int] = fk("production.bom.id", ondelete="RESTRICT")
    warehouse_id: Mapped[int] = fk("erp.warehouse.id", ondelete="RESTRICT")
    status: Mapped[str] = mapped_column(
        String(20), default="planned", server_default="planned", index=True
    )
    quantity: Mapped[int]
    quantity_produced: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    quantity_scrapped: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    planned_start: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    # The BOM's standard cost per unit when planned: finished units come in at it.
    unit_cost: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    # Work in progress: components consumed (at cost), labour and overhead absorbed (the
    # BOM's conversion cost per unit made or scrapped) and output received (at standard).
    material_cost: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default=text("0"))
    conversion_applied: Mapped[Decimal] = mapped_column(
        default=Decimal("0"), server_default=text("0")
    )
    output_value: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default=text("0"))
    # What was left in work in progress at closing (positive: it cost more than standard).
    variance: Mapped[Decimal | None]
    # The demand it was planned for, if any (an order line it was made for).
    sales_order_line_id: Mapped[int | None] = fk("erp.sales_order_line.id", ondelete="SET NULL")
    created_by_id: Mapped[int | None] = fk("erp.employee.id", ondelete="SET NULL")
    created_at: Mapped[CreatedAt]
    released_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))


class WorkOrderComponent(Base):
    __tablename__ = "work_order_component"
    __table_args__ = (
        UniqueConstraint("work_order_id", "component_id", name="uq_work_order_component"),
        CheckConstraint("quantity_per_unit > 0", name="quantity_per_unit_positive"),
        CheckConstraint("quantity_required > 0", name="required_positive"),
        CheckConstraint(
            "quantity_reserved >= 0 AND quantity_consumed >= 0", name="reserved_consumed_range"
        ),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    work_order_id: Mapped[int] = fk("production.work_order.id", ondelete="CASCADE")
    line_no: Mapped[int]
    component_id: Mapped[int] = fk("erp.stock_item.id", ondelete="RESTRICT")
    # The BOM line's quantity with its scrap, per unit made.
    quantity_per_unit: Mapped[Decimal] = mapped_column(Numeric(16, 6))
    # Whole units for the work order's quantity (rounded up).
    quantity_required: Mapped[int]
    quantity_reserved: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    quantity_consumed: Mapped[int] = mapped_column(default=0, server_default=text("0"))
