"""Production: bills of materials (numbered revisions, one active per item) and work orders
with their components; stock movements name the work order they belong to, and may be
consumption or production; the chart gains work in progress and production variances.

Revision ID: 0032_production
Revises: 0031_webhooks
Create Date: 2026-12-09 09:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032_production"
down_revision: str | None = "0031_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


KINDS = ("receipt", "reservation", "release", "shipment", "return", "adjustment")
PRODUCTION_KINDS = ("consumption", "production")
# (code, name, type, parent code, purpose): as in domain.finance.chart, which a database
# created from now on already got from 0016.
ACCOUNTS = (
    ("1350", "Work in progress", "asset", "1000", "work_in_progress"),
    ("5400", "Production variances", "expense", "5000", "production_variance"),
    ("5500", "Labour and overhead absorbed", "expense", "5000", "conversion_absorbed"),
)


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS production")
    op.create_table(
        "bom",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("stock_item_id", sa.BigInteger(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="draft", nullable=False),
        sa.Column("lead_time_days", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "conversion_cost",
            sa.Numeric(precision=14, scale=4),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "rolled_up_cost",
            sa.Numeric(precision=14, scale=4),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'active', 'archived')", name=op.f("ck_bom_status")),
        sa.CheckConstraint(
            "conversion_cost >= 0", name=op.f("ck_bom_conversion_cost_non_negative")
        ),
        sa.CheckConstraint("lead_time_days >= 0", name=op.f("ck_bom_lead_time_non_negative")),
        sa.CheckConstraint("revision >= 1", name=op.f("ck_bom_revision_positive")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["erp.employee.id"],
            name=op.f("fk_bom_created_by_id_employee"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["stock_item_id"],
            ["erp.stock_item.id"],
            name=op.f("fk_bom_stock_item_id_stock_item"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bom")),
        sa.UniqueConstraint("stock_item_id", "revision", name="uq_bom_item_revision"),
        schema="production",
    )
    op.create_index(
        op.f("ix_production_bom_created_by_id"),
        "bom",
        ["created_by_id"],
        unique=False,
        schema="production",
    )
    op.create_index(
        op.f("ix_production_bom_stock_item_id"),
        "bom",
        ["stock_item_id"],
        unique=False,
        schema="production",
    )
    op.create_index(
        "uq_bom_active_item",
        "bom",
        ["stock_item_id"],
        unique=True,
        schema="production",
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "bom_line",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("bom_id", sa.BigInteger(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column(
            "scrap_percent",
            sa.Numeric(precision=5, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_bom_line_quantity_positive")),
        sa.CheckConstraint(
            "scrap_percent >= 0 AND scrap_percent < 100", name=op.f("ck_bom_line_scrap_range")
        ),
        sa.ForeignKeyConstraint(
            ["bom_id"],
            ["production.bom.id"],
            name=op.f("fk_bom_line_bom_id_bom"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["erp.stock_item.id"],
            name=op.f("fk_bom_line_component_id_stock_item"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bom_line")),
        sa.UniqueConstraint("bom_id", "component_id", name="uq_bom_line_component"),
        schema="production",
    )
    op.create_index(
        op.f("ix_production_bom_line_bom_id"),
        "bom_line",
        ["bom_id"],
        unique=False,
        schema="production",
    )
    op.create_index(
        op.f("ix_production_bom_line_component_id"),
        "bom_line",
        ["component_id"],
        unique=False,
        schema="production",
    )
    op.create_table(
        "work_order",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("stock_item_id", sa.BigInteger(), nullable=False),
        sa.Column("bom_id", sa.BigInteger(), nullable=False),
        sa.Column("warehouse_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="planned", nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("quantity_produced", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("quantity_scrapped", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("planned_start", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("unit_cost", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column(
            "material_cost",
            sa.Numeric(precision=14, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "conversion_applied",
            sa.Numeric(precision=14, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "output_value",
            sa.Numeric(precision=14, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column("variance", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("sales_order_line_id", sa.BigInteger(), nullable=True),
        sa.Column("created_by_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "status IN ('planned', 'released', 'in_progress', 'completed', 'cancelled')",
            name=op.f("ck_work_order_status"),
        ),
        sa.CheckConstraint("due_on >= planned_start", name=op.f("ck_work_order_due_after_start")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_work_order_quantity_positive")),
        sa.CheckConstraint(
            "quantity_produced >= 0 AND quantity_scrapped >= 0 AND quantity_produced + quantity_scrapped <= quantity",
            name=op.f("ck_work_order_reported_within_quantity"),
        ),
        sa.ForeignKeyConstraint(
            ["bom_id"],
            ["production.bom.id"],
            name=op.f("fk_work_order_bom_id_bom"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["erp.employee.id"],
            name=op.f("fk_work_order_created_by_id_employee"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sales_order_line_id"],
            ["erp.sales_order_line.id"],
            name=op.f("fk_work_order_sales_order_line_id_sales_order_line"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["stock_item_id"],
            ["erp.stock_item.id"],
            name=op.f("fk_work_order_stock_item_id_stock_item"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["erp.warehouse.id"],
            name=op.f("fk_work_order_warehouse_id_warehouse"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order")),
        sa.UniqueConstraint("number", name=op.f("uq_work_order_number")),
        schema="production",
    )
    op.create_index(
        op.f("ix_production_work_order_bom_id"),
        "work_order",
        ["bom_id"],
        unique=False,
        schema="production",
    )
    op.create_index(
        op.f("ix_production_work_order_created_by_id"),
        "work_order",
        ["created_by_id"],
        unique=False,
        schema="production",
    )
    op.create_index(
        op.f("ix_production_work_order_due_on"),
        "work_order",
        ["due_on"],
        unique=False,
        schema="production",
    )
    op.create_index(
        op.f("ix_production_work_order_sales_order_line_id"),
        "work_order",
        ["sales_order_line_id"],
        unique=False,
        schema="production",
    )
    op.create_index(
        op.f("ix_production_work_order_status"),
        "work_order",
        ["status"],
        unique=False,
        schema="production",
    )
    op.create_index(
        op.f("ix_production_work_order_stock_item_id"),
        "work_order",
        ["stock_item_id"],
        unique=False,
        schema="production",
    )
    op.create_index(
        op.f("ix_production_work_order_warehouse_id"),
        "work_order",
        ["warehouse_id"],
        unique=False,
        schema="production",
    )
    op.create_index(
        "ix_work_order_number_trgm",
        "work_order",
        ["number"],
        unique=False,
        schema="production",
        postgresql_using="gin",
        postgresql_ops={"number": "gin_trgm_ops"},
    )
    op.create_table(
        "work_order_component",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("work_order_id", sa.BigInteger(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity_per_unit", sa.Numeric(precision=16, scale=6), nullable=False),
        sa.Column("quantity_required", sa.Integer(), nullable=False),
        sa.Column("quantity_reserved", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("quantity_consumed", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            "quantity_per_unit > 0", name=op.f("ck_work_order_component_quantity_per_unit_positive")
        ),
        sa.CheckConstraint(
            "quantity_required > 0", name=op.f("ck_work_order_component_required_positive")
        ),
        sa.CheckConstraint(
            "quantity_reserved >= 0 AND quantity_consumed >= 0",
            name=op.f("ck_work_order_component_reserved_consumed_range"),
        ),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["erp.stock_item.id"],
            name=op.f("fk_work_order_component_component_id_stock_item"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["production.work_order.id"],
            name=op.f("fk_work_order_component_work_order_id_work_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_component")),
        sa.UniqueConstraint("work_order_id", "component_id", name="uq_work_order_component"),
        schema="production",
    )
    op.create_index(
        op.f("ix_production_work_order_component_component_id"),
        "work_order_component",
        ["component_id"],
        unique=False,
        schema="production",
    )
    op.create_index(
        op.f("ix_production_work_order_component_work_order_id"),
        "work_order_component",
        ["work_order_id"],
        unique=False,
        schema="production",
    )
    op.add_column(
        "stock_movement", sa.Column("work_order_id", sa.BigInteger(), nullable=True), schema="erp"
    )
    op.create_index(
        op.f("ix_erp_stock_movement_work_order_id"),
        "stock_movement",
        ["work_order_id"],
        unique=False,
        schema="erp",
    )
    op.create_foreign_key(
        op.f("fk_stock_movement_work_order_id_work_order"),
        "stock_movement",
        "work_order",
        ["work_order_id"],
        ["id"],
        source_schema="erp",
        referent_schema="production",
        ondelete="SET NULL",
    )
    _movement_kinds(KINDS + PRODUCTION_KINDS)
    for code, name, kind, parent, purpose in ACCOUNTS:
        op.execute(
            sa.text(
                "INSERT INTO finance.account (code, name, type, purpose, parent_id) "
                "SELECT :code, :name, :kind, :purpose, "
                "(SELECT id FROM finance.account WHERE code = :parent) "
                "WHERE NOT EXISTS (SELECT 1 FROM finance.account WHERE purpose = :purpose)"
            ).bindparams(code=code, name=name, kind=kind, purpose=purpose, parent=parent)
        )


def downgrade() -> None:
    # The two accounts stay: entries may have been posted to them.
    op.execute("DELETE FROM erp.stock_movement WHERE kind IN ('consumption', 'production')")
    _movement_kinds(KINDS)
    op.drop_constraint(
        op.f("fk_stock_movement_work_order_id_work_order"),
        "stock_movement",
        schema="erp",
        type_="foreignkey",
    )
    op.drop_index(
        op.f("ix_erp_stock_movement_work_order_id"), table_name="stock_movement", schema="erp"
    )
    op.drop_column("stock_movement", "work_order_id", schema="erp")
    op.drop_index(
        op.f("ix_production_work_order_component_work_order_id"),
        table_name="work_order_component",
        schema="production",
    )
    op.drop_index(
        op.f("ix_production_work_order_component_component_id"),
        table_name="work_order_component",
        schema="production",
    )
    op.drop_table("work_order_component", schema="production")
    op.drop_index(
        "ix_work_order_number_trgm",
        table_name="work_order",
        schema="production",
        postgresql_using="gin",
        postgresql_ops={"number": "gin_trgm_ops"},
    )
    op.drop_index(
        op.f("ix_production_work_order_warehouse_id"), table_name="work_order", schema="production"
    )
    op.drop_index(
        op.f("ix_production_work_order_stock_item_id"), table_name="work_order", schema="production"
    )
    op.drop_index(
        op.f("ix_production_work_order_status"), table_name="work_order", schema="production"
    )
    op.drop_index(
        op.f("ix_production_work_order_sales_order_line_id"),
        table_name="work_order",
        schema="production",
    )
    op.drop_index(
        op.f("ix_production_work_order_due_on"), table_name="work_order", schema="production"
    )
    op.drop_index(
        op.f("ix_production_work_order_created_by_id"), table_name="work_order", schema="production"
    )
    op.drop_index(
        op.f("ix_production_work_order_bom_id"), table_name="work_order", schema="production"
    )
    op.drop_table("work_order", schema="production")
    op.drop_index(
        op.f("ix_production_bom_line_component_id"), table_name="bom_line", schema="production"
    )
    op.drop_index(op.f("ix_production_bom_line_bom_id"), table_name="bom_line", schema="production")
    op.drop_table("bom_line", schema="production")
    op.drop_index(
        "uq_bom_active_item",
        table_name="bom",
        schema="production",
        postgresql_where=sa.text("status = 'active'"),
    )
    op.drop_index(op.f("ix_production_bom_stock_item_id"), table_name="bom", schema="production")
    op.drop_index(op.f("ix_production_bom_created_by_id"), table_name="bom", schema="production")
    op.drop_table("bom", schema="production")
    op.execute("DROP SCHEMA IF EXISTS production")


def _movement_kinds(kinds: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{kind}'" for kind in kinds)
    op.drop_constraint(
        op.f("ck_stock_movement_kind"), "stock_movement", schema="erp", type_="check"
    )
    op.create_check_constraint(
        op.f("ck_stock_movement_kind"), "stock_movement", f"kind IN ({listed})", schema="erp"
    )
