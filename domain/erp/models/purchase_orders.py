"""Purchase orders to suppliers (schema `erp`); receipts add stock through the ledger."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.core.model_base import Base, BigId, CreatedAt, fk, one_of, trigram_index
from domain.erp.purchase_order_states import PURCHASE_ORDER_STATUSES

SCHEMA = "erp"


class PurchaseOrder(Base):
    __tablename__ = "purchase_order"
    __table_args__ = (
        trigram_index("purchase_order", "number"),
        one_of("status", "status", PURCHASE_ORDER_STATUSES),
        CheckConstraint("total >= 0", name="total_non_negative"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    number: Mapped[str] = mapped_column(String(20), unique=True)
    supplier_id: Mapped[int] = fk("erp.supplier.id", ondelete="RESTRICT")
    warehouse_id: Mapped[int] = fk("erp.warehouse.id", ondelete="RESTRICT")
    status: Mapped[str] = mapped_column(
        String(20), default="ordered", server_default="ordered", index=True
    )
    currency: Mapped[str] = mapped_column(String(3), default="EUR", server_default="EUR")
    total: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default=text("0"))
    ordered_at: Mapped[datetime] = mapped_column(index=True)
    expected_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = fk("erp.employee.id", ondelete="SET NULL")
    created_at: Mapped[CreatedAt]

    lines: Mapped[list["PurchaseOrderLine"]] = relationship(
        lazy="raise", cascade="all, delete-orphan"
    )


class PurchaseOrderLine(Base):
    __tablename__ = "purchase_order_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "quantity_received >= 0 AND quantity_received <= quantity", name="received_range"
        ),
        CheckConstraint("unit_cost >= 0", name="unit_cost_non_negative"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    purchase_order_id: Mapped[int] = fk("erp.purchase_order.id", ondelete="CASCADE")
    stock_item_id: Mapped[int] = fk("erp.stock_item.id", ondelete="RESTRICT")
    quantity: Mapped[int]
    quantity_received: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    unit_cost: Mapped[Decimal]
