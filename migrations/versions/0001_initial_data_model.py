"""Initial data model: the crm, erp, analytics and ops schemas of ARCHITECTURE §3.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 14:29:45.883172+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


SCHEMAS = ("crm", "erp", "analytics", "ops")


def upgrade() -> None:
    # Trigram indexes make substring search on names, emails, SKUs and numbers indexable.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for schema in SCHEMAS:
        op.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    op.create_table(
        "forecast_run",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=40), server_default="", nullable=False),
        sa.Column("model", sa.String(length=40), server_default="prophet", nullable=False),
        sa.Column("status", sa.String(length=20), server_default="running", nullable=False),
        sa.Column("horizon_days", sa.Integer(), server_default=sa.text("90"), nullable=False),
        sa.Column("history_from", sa.Date(), nullable=True),
        sa.Column("history_to", sa.Date(), nullable=True),
        sa.Column("mape", sa.Double(), nullable=True),
        sa.Column("mase", sa.Double(), nullable=True),
        sa.Column("baseline_mape", sa.Double(), nullable=True),
        sa.Column("baseline_mase", sa.Double(), nullable=True),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "scope IN ('company', 'tier', 'category')", name=op.f("ck_forecast_run_scope")
        ),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'failed')", name=op.f("ck_forecast_run_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_run")),
        schema="analytics",
    )
    op.create_index(
        "ix_forecast_run_scope_key_started",
        "forecast_run",
        ["scope", "key", "started_at"],
        unique=False,
        schema="analytics",
    )
    op.create_table(
        "department",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["erp.department.id"],
            name=op.f("fk_department_parent_id_department"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department")),
        sa.UniqueConstraint("code", name=op.f("uq_department_code")),
        sa.UniqueConstraint("name", name=op.f("uq_department_name")),
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_department_parent_id"), "department", ["parent_id"], unique=False, schema="erp"
    )
    op.create_table(
        "price_list",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("currency", sa.String(length=3), server_default="EUR", nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from", name=op.f("ck_price_list_dates_ordered")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_list")),
        sa.UniqueConstraint("name", name=op.f("uq_price_list_name")),
        schema="erp",
    )
    op.create_table(
        "supplier",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("lead_time_days", sa.Integer(), server_default=sa.text("14"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "lead_time_days BETWEEN 0 AND 365", name=op.f("ck_supplier_lead_time_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier")),
        sa.UniqueConstraint("code", name=op.f("uq_supplier_code")),
        schema="erp",
    )
    op.create_index(
        "ix_supplier_name_trgm",
        "supplier",
        ["name"],
        unique=False,
        schema="erp",
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.create_table(
        "warehouse",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouse")),
        sa.UniqueConstraint("code", name=op.f("uq_warehouse_code")),
        schema="erp",
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("actor_employee_id", sa.BigInteger(), nullable=True),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("entity_type", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "changes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        schema="ops",
    )
    op.create_index(
        "ix_audit_log_entity", "audit_log", ["entity_type", "entity_id"], unique=False, schema="ops"
    )
    op.create_index(
        op.f("ix_ops_audit_log_actor_employee_id"),
        "audit_log",
        ["actor_employee_id"],
        unique=False,
        schema="ops",
    )
    op.create_index(
        op.f("ix_ops_audit_log_occurred_at"),
        "audit_log",
        ["occurred_at"],
        unique=False,
        schema="ops",
    )
    op.create_table(
        "idempotency_key",
        sa.Column("operation", sa.String(length=60), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("response", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("operation", "key", name=op.f("pk_idempotency_key")),
        schema="ops",
    )
    op.create_index(
        op.f("ix_ops_idempotency_key_created_at"),
        "idempotency_key",
        ["created_at"],
        unique=False,
        schema="ops",
    )
    op.create_table(
        "job_run",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="running", nullable=False),
        sa.Column("rows", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'failed')", name=op.f("ck_job_run_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_run")),
        schema="ops",
    )
    op.create_index(
        "ix_job_run_name_started", "job_run", ["name", "started_at"], unique=False, schema="ops"
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("topic", sa.String(length=60), nullable=False),
        sa.Column("aggregate_type", sa.String(length=40), nullable=False),
        sa.Column("aggregate_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "payload",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        schema="ops",
    )
    op.create_index(
        op.f("ix_ops_outbox_customer_id"), "outbox", ["customer_id"], unique=False, schema="ops"
    )
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["id"],
        unique=False,
        schema="ops",
        postgresql_where=sa.text("processed_at IS NULL"),
    )
    op.create_table(
        "revenue_forecast_point",
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("revenue", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("revenue_low", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("revenue_high", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["analytics.forecast_run.id"],
            name=op.f("fk_revenue_forecast_point_run_id_forecast_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "day", name=op.f("pk_revenue_forecast_point")),
        schema="analytics",
    )
    op.create_table(
        "employee",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("department_id", sa.BigInteger(), nullable=True),
        sa.Column("manager_id", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("hire_date", sa.Date(), nullable=False),
        sa.Column("salary", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="active", nullable=False),
        sa.Column("terminated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'on_leave', 'terminated')", name=op.f("ck_employee_status")
        ),
        sa.CheckConstraint(
            "manager_id IS NULL OR manager_id <> id", name=op.f("ck_employee_not_own_manager")
        ),
        sa.CheckConstraint("salary >= 0", name=op.f("ck_employee_salary_non_negative")),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["erp.department.id"],
            name=op.f("fk_employee_department_id_department"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"],
            ["erp.employee.id"],
            name=op.f("fk_employee_manager_id_employee"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employee")),
        sa.UniqueConstraint("email", name=op.f("uq_employee_email")),
        schema="erp",
    )
    op.create_index(
        "ix_employee_name_trgm",
        "employee",
        ["name"],
        unique=False,
        schema="erp",
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.create_index(
        op.f("ix_erp_employee_department_id"),
        "employee",
        ["department_id"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_employee_hire_date"), "employee", ["hire_date"], unique=False, schema="erp"
    )
    op.create_index(
        op.f("ix_erp_employee_manager_id"), "employee", ["manager_id"], unique=False, schema="erp"
    )
    op.create_index(
        op.f("ix_erp_employee_status"), "employee", ["status"], unique=False, schema="erp"
    )
    op.create_table(
        "price_rule",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("price_list_id", sa.BigInteger(), nullable=False),
        sa.Column("tier", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=True),
        sa.Column("min_quantity", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("discount_percent", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.CheckConstraint(
            "category IN ('hardware', 'software', 'services', 'consumables', 'accessories')",
            name=op.f("ck_price_rule_category"),
        ),
        sa.CheckConstraint(
            "tier IN ('bronze', 'silver', 'gold', 'platinum')", name=op.f("ck_price_rule_tier")
        ),
        sa.CheckConstraint(
            "discount_percent BETWEEN 0 AND 100", name=op.f("ck_price_rule_discount_range")
        ),
        sa.CheckConstraint("min_quantity >= 1", name=op.f("ck_price_rule_min_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["price_list_id"],
            ["erp.price_list.id"],
            name=op.f("fk_price_rule_price_list_id_price_list"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_rule")),
        sa.UniqueConstraint(
            "price_list_id", "tier", "category", "min_quantity", name="uq_price_rule_key"
        ),
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_price_rule_price_list_id"),
        "price_rule",
        ["price_list_id"],
        unique=False,
        schema="erp",
    )
    op.create_table(
        "stock_item",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("sku", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("unit_cost", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), server_default="EUR", nullable=False),
        sa.Column("reorder_point", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("pack_size", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("supplier_id", sa.BigInteger(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "category IN ('hardware', 'software', 'services', 'consumables', 'accessories')",
            name=op.f("ck_stock_item_category"),
        ),
        sa.CheckConstraint("pack_size >= 1", name=op.f("ck_stock_item_pack_size_positive")),
        sa.CheckConstraint(
            "reorder_point >= 0", name=op.f("ck_stock_item_reorder_point_non_negative")
        ),
        sa.CheckConstraint("unit_cost >= 0", name=op.f("ck_stock_item_unit_cost_non_negative")),
        sa.CheckConstraint("unit_price >= 0", name=op.f("ck_stock_item_unit_price_non_negative")),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["erp.supplier.id"],
            name=op.f("fk_stock_item_supplier_id_supplier"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_item")),
        sa.UniqueConstraint("sku", name=op.f("uq_stock_item_sku")),
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_stock_item_category"), "stock_item", ["category"], unique=False, schema="erp"
    )
    op.create_index(
        op.f("ix_erp_stock_item_supplier_id"),
        "stock_item",
        ["supplier_id"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        "ix_stock_item_name_trgm",
        "stock_item",
        ["name"],
        unique=False,
        schema="erp",
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_stock_item_sku_trgm",
        "stock_item",
        ["sku"],
        unique=False,
        schema="erp",
        postgresql_using="gin",
        postgresql_ops={"sku": "gin_trgm_ops"},
    )
    op.create_table(
        "demand_forecast",
        sa.Column("stock_item_id", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("daily_demand", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("forecast_demand_30d", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.Column("on_order", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("days_of_cover", sa.Numeric(precision=10, scale=1), nullable=True),
        sa.Column("suggested_reorder_quantity", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["stock_item_id"],
            ["erp.stock_item.id"],
            name=op.f("fk_demand_forecast_stock_item_id_stock_item"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("stock_item_id", name=op.f("pk_demand_forecast")),
        schema="analytics",
    )
    op.create_index(
        op.f("ix_analytics_demand_forecast_suggested_reorder_quantity"),
        "demand_forecast",
        ["suggested_reorder_quantity"],
        unique=False,
        schema="analytics",
    )
    op.create_table(
        "campaign",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="planned", nullable=False),
        sa.Column("budget", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), server_default="EUR", nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("owner_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "channel IN ('email', 'social', 'search', 'events', 'print', 'webinar')",
            name=op.f("ck_campaign_channel"),
        ),
        sa.CheckConstraint(
            "status IN ('planned', 'active', 'completed', 'cancelled')",
            name=op.f("ck_campaign_status"),
        ),
        sa.CheckConstraint("budget >= 0", name=op.f("ck_campaign_budget_non_negative")),
        sa.CheckConstraint(
            "ends_on IS NULL OR ends_on >= starts_on", name=op.f("ck_campaign_dates_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["erp.employee.id"],
            name=op.f("fk_campaign_owner_id_employee"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign")),
        schema="crm",
    )
    op.create_index(op.f("ix_crm_campaign_name"), "campaign", ["name"], unique=False, schema="crm")
    op.create_index(
        op.f("ix_crm_campaign_owner_id"), "campaign", ["owner_id"], unique=False, schema="crm"
    )
    op.create_index(
        op.f("ix_crm_campaign_starts_on"), "campaign", ["starts_on"], unique=False, schema="crm"
    )
    op.create_index(
        op.f("ix_crm_campaign_status"), "campaign", ["status"], unique=False, schema="crm"
    )
    op.create_table(
        "purchase_order",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("supplier_id", sa.BigInteger(), nullable=False),
        sa.Column("warehouse_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="ordered", nullable=False),
        sa.Column("currency", sa.String(length=3), server_default="EUR", nullable=False),
        sa.Column(
            "total", sa.Numeric(precision=14, scale=2), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'ordered', 'partially_received', 'received', 'cancelled')",
            name=op.f("ck_purchase_order_status"),
        ),
        sa.CheckConstraint("total >= 0", name=op.f("ck_purchase_order_total_non_negative")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["erp.employee.id"],
            name=op.f("fk_purchase_order_created_by_id_employee"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["erp.supplier.id"],
            name=op.f("fk_purchase_order_supplier_id_supplier"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["erp.warehouse.id"],
            name=op.f("fk_purchase_order_warehouse_id_warehouse"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order")),
        sa.UniqueConstraint("number", name=op.f("uq_purchase_order_number")),
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_purchase_order_created_by_id"),
        "purchase_order",
        ["created_by_id"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_purchase_order_ordered_at"),
        "purchase_order",
        ["ordered_at"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_purchase_order_status"),
        "purchase_order",
        ["status"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_purchase_order_supplier_id"),
        "purchase_order",
        ["supplier_id"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_purchase_order_warehouse_id"),
        "purchase_order",
        ["warehouse_id"],
        unique=False,
        schema="erp",
    )
    op.create_table(
        "stock_level",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("stock_item_id", sa.BigInteger(), nullable=False),
        sa.Column("warehouse_id", sa.BigInteger(), nullable=False),
        sa.Column("on_hand", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("reserved", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("on_hand >= 0", name=op.f("ck_stock_level_on_hand_non_negative")),
        sa.CheckConstraint(
            "on_hand >= reserved", name=op.f("ck_stock_level_reserved_within_on_hand")
        ),
        sa.CheckConstraint("reserved >= 0", name=op.f("ck_stock_level_reserved_non_negative")),
        sa.ForeignKeyConstraint(
            ["stock_item_id"],
            ["erp.stock_item.id"],
            name=op.f("fk_stock_level_stock_item_id_stock_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["erp.warehouse.id"],
            name=op.f("fk_stock_level_warehouse_id_warehouse"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_level")),
        sa.UniqueConstraint("stock_item_id", "warehouse_id", name="uq_stock_level_item_warehouse"),
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_stock_level_stock_item_id"),
        "stock_level",
        ["stock_item_id"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_stock_level_warehouse_id"),
        "stock_level",
        ["warehouse_id"],
        unique=False,
        schema="erp",
    )
    op.create_table(
        "campaign_metrics",
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("targeted", sa.Integer(), nullable=False),
        sa.Column("responded", sa.Integer(), nullable=False),
        sa.Column("converted", sa.Integer(), nullable=False),
        sa.Column("attributed_orders", sa.Integer(), nullable=False),
        sa.Column("attributed_revenue", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("cost", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("roi", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("attribution_window_days", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["crm.campaign.id"],
            name=op.f("fk_campaign_metrics_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_campaign_metrics")),
        schema="analytics",
    )
    op.create_table(
        "customer",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), server_default="company", nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("industry", sa.String(length=80), nullable=True),
        sa.Column("tier", sa.String(length=20), server_default="bronze", nullable=False),
        sa.Column("status", sa.String(length=20), server_default="lead", nullable=False),
        sa.Column("currency", sa.String(length=3), server_default="EUR", nullable=False),
        sa.Column("credit_limit", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("account_manager_id", sa.BigInteger(), nullable=True),
        sa.Column("acquisition_campaign_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint("kind IN ('company', 'person')", name=op.f("ck_customer_kind")),
        sa.CheckConstraint(
            "status IN ('lead', 'prospect', 'active', 'churned')", name=op.f("ck_customer_status")
        ),
        sa.CheckConstraint(
            "tier IN ('bronze', 'silver', 'gold', 'platinum')", name=op.f("ck_customer_tier")
        ),
        sa.CheckConstraint("char_length(currency) = 3", name=op.f("ck_customer_currency_iso")),
        sa.ForeignKeyConstraint(
            ["account_manager_id"],
            ["erp.employee.id"],
            name=op.f("fk_customer_account_manager_id_employee"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["acquisition_campaign_id"],
            ["crm.campaign.id"],
            name=op.f("fk_customer_acquisition_campaign_id_campaign"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer")),
        sa.UniqueConstraint("code", name=op.f("uq_customer_code")),
        schema="crm",
    )
    op.create_index(
        op.f("ix_crm_customer_account_manager_id"),
        "customer",
        ["account_manager_id"],
        unique=False,
        schema="crm",
    )
    op.create_index(
        op.f("ix_crm_customer_acquisition_campaign_id"),
        "customer",
        ["acquisition_campaign_id"],
        unique=False,
        schema="crm",
    )
    op.create_index(
        op.f("ix_crm_customer_created_at"), "customer", ["created_at"], unique=False, schema="crm"
    )
    op.create_index(
        op.f("ix_crm_customer_status"), "customer", ["status"], unique=False, schema="crm"
    )
    op.create_index(op.f("ix_crm_customer_tier"), "customer", ["tier"], unique=False, schema="crm")
    op.create_index(
        "ix_customer_email_trgm",
        "customer",
        ["email"],
        unique=False,
        schema="crm",
        postgresql_using="gin",
        postgresql_ops={"email": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_customer_name_trgm",
        "customer",
        ["name"],
        unique=False,
        schema="crm",
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.create_table(
        "purchase_order_line",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("purchase_order_id", sa.BigInteger(), nullable=False),
        sa.Column("stock_item_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("quantity_received", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("unit_cost", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_purchase_order_line_quantity_positive")),
        sa.CheckConstraint(
            "quantity_received >= 0 AND quantity_received <= quantity",
            name=op.f("ck_purchase_order_line_received_range"),
        ),
        sa.CheckConstraint(
            "unit_cost >= 0", name=op.f("ck_purchase_order_line_unit_cost_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["erp.purchase_order.id"],
            name=op.f("fk_purchase_order_line_purchase_order_id_purchase_order"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stock_item_id"],
            ["erp.stock_item.id"],
            name=op.f("fk_purchase_order_line_stock_item_id_stock_item"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order_line")),
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_purchase_order_line_purchase_order_id"),
        "purchase_order_line",
        ["purchase_order_id"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_purchase_order_line_stock_item_id"),
        "purchase_order_line",
        ["stock_item_id"],
        unique=False,
        schema="erp",
    )
    op.create_table(
        "customer_forecast",
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("expected_orders_90d", sa.Numeric(precision=10, scale=3), nullable=False),
        sa.Column("expected_revenue_90d", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("revenue_low", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("revenue_high", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("probability_alive", sa.Numeric(precision=5, scale=4), nullable=False),
        sa.Column(
            "pipeline_value",
            sa.Numeric(precision=14, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm.customer.id"],
            name=op.f("fk_customer_forecast_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_forecast")),
        schema="analytics",
    )
    op.create_table(
        "customer_metrics",
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "lifetime_revenue",
            sa.Numeric(precision=14, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column("order_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("average_order_value", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("first_order_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_order_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "open_balance",
            sa.Numeric(precision=14, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "overdue_balance",
            sa.Numeric(precision=14, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column("recency_days", sa.Integer(), nullable=True),
        sa.Column("r_score", sa.SmallInteger(), nullable=True),
        sa.Column("f_score", sa.SmallInteger(), nullable=True),
        sa.Column("m_score", sa.SmallInteger(), nullable=True),
        sa.Column("rfm_segment", sa.String(length=30), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "rfm_segment IN ('Champions', 'Loyal', 'Potential loyalist', 'New', 'At risk', 'Can''t lose', 'Hibernating', 'Lost')",
            name=op.f("ck_customer_metrics_rfm_segment"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm.customer.id"],
            name=op.f("fk_customer_metrics_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_metrics")),
        schema="analytics",
    )
    op.create_index(
        op.f("ix_analytics_customer_metrics_rfm_segment"),
        "customer_metrics",
        ["rfm_segment"],
        unique=False,
        schema="analytics",
    )
    op.create_index(
        "ix_customer_metrics_lifetime_revenue",
        "customer_metrics",
        ["lifetime_revenue", "customer_id"],
        unique=False,
        schema="analytics",
    )
    op.create_table(
        "campaign_member",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="targeted", nullable=False),
        sa.Column(
            "added_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("converted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('targeted', 'responded', 'converted')",
            name=op.f("ck_campaign_member_status"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["crm.campaign.id"],
            name=op.f("fk_campaign_member_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm.customer.id"],
            name=op.f("fk_campaign_member_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_member")),
        sa.UniqueConstraint("campaign_id", "customer_id", name="uq_campaign_member_customer"),
        schema="crm",
    )
    op.create_index(
        op.f("ix_crm_campaign_member_campaign_id"),
        "campaign_member",
        ["campaign_id"],
        unique=False,
        schema="crm",
    )
    op.create_index(
        op.f("ix_crm_campaign_member_customer_id"),
        "campaign_member",
        ["customer_id"],
        unique=False,
        schema="crm",
    )
    op.create_table(
        "contact",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("title", sa.String(length=100), nullable=True),
        sa.Column("is_primary", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm.customer.id"],
            name=op.f("fk_contact_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact")),
        schema="crm",
    )
    op.create_index(
        "ix_contact_email_trgm",
        "contact",
        ["email"],
        unique=False,
        schema="crm",
        postgresql_using="gin",
        postgresql_ops={"email": "gin_trgm_ops"},
    )
    op.create_index(
        op.f("ix_crm_contact_customer_id"), "contact", ["customer_id"], unique=False, schema="crm"
    )
    op.create_table(
        "sales_order",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("sales_rep_id", sa.BigInteger(), nullable=True),
        sa.Column("warehouse_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="draft", nullable=False),
        sa.Column("currency", sa.String(length=3), server_default="EUR", nullable=False),
        sa.Column(
            "tax_rate",
            sa.Numeric(precision=6, scale=4),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "subtotal",
            sa.Numeric(precision=14, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "discount_total",
            sa.Numeric(precision=14, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "tax_total",
            sa.Numeric(precision=14, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "total", sa.Numeric(precision=14, scale=2), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'placed', 'confirmed', 'fulfilled', 'cancelled')",
            name=op.f("ck_sales_order_status"),
        ),
        sa.CheckConstraint(
            "subtotal >= 0 AND tax_total >= 0 AND total >= 0",
            name=op.f("ck_sales_order_totals_non_negative"),
        ),
        sa.CheckConstraint(
            "total = subtotal + tax_total", name=op.f("ck_sales_order_total_adds_up")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm.customer.id"],
            name=op.f("fk_sales_order_customer_id_customer"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["sales_rep_id"],
            ["erp.employee.id"],
            name=op.f("fk_sales_order_sales_rep_id_employee"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["erp.warehouse.id"],
            name=op.f("fk_sales_order_warehouse_id_warehouse"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_order")),
        sa.UniqueConstraint("number", name=op.f("uq_sales_order_number")),
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_sales_order_customer_id"),
        "sales_order",
        ["customer_id"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_sales_order_ordered_at"),
        "sales_order",
        ["ordered_at"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_sales_order_sales_rep_id"),
        "sales_order",
        ["sales_rep_id"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_sales_order_status"), "sales_order", ["status"], unique=False, schema="erp"
    )
    op.create_index(
        op.f("ix_erp_sales_order_warehouse_id"),
        "sales_order",
        ["warehouse_id"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        "ix_sales_order_customer_ordered",
        "sales_order",
        ["customer_id", "ordered_at"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        "ix_sales_order_number_trgm",
        "sales_order",
        ["number"],
        unique=False,
        schema="erp",
        postgresql_using="gin",
        postgresql_ops={"number": "gin_trgm_ops"},
    )
    op.create_table(
        "interaction",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("contact_id", sa.BigInteger(), nullable=True),
        sa.Column("employee_id", sa.BigInteger(), nullable=True),
        sa.Column("campaign_id", sa.BigInteger(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("direction", sa.String(length=20), server_default="outbound", nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "channel IN ('email', 'phone', 'meeting', 'chat', 'web', 'social')",
            name=op.f("ck_interaction_channel"),
        ),
        sa.CheckConstraint(
            "direction IN ('inbound', 'outbound')", name=op.f("ck_interaction_direction")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["crm.campaign.id"],
            name=op.f("fk_interaction_campaign_id_campaign"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["crm.contact.id"],
            name=op.f("fk_interaction_contact_id_contact"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm.customer.id"],
            name=op.f("fk_interaction_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["erp.employee.id"],
            name=op.f("fk_interaction_employee_id_employee"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interaction")),
        schema="crm",
    )
    op.create_index(
        op.f("ix_crm_interaction_campaign_id"),
        "interaction",
        ["campaign_id"],
        unique=False,
        schema="crm",
    )
    op.create_index(
        op.f("ix_crm_interaction_contact_id"),
        "interaction",
        ["contact_id"],
        unique=False,
        schema="crm",
    )
    op.create_index(
        op.f("ix_crm_interaction_customer_id"),
        "interaction",
        ["customer_id"],
        unique=False,
        schema="crm",
    )
    op.create_index(
        op.f("ix_crm_interaction_employee_id"),
        "interaction",
        ["employee_id"],
        unique=False,
        schema="crm",
    )
    op.create_index(
        op.f("ix_crm_interaction_occurred_at"),
        "interaction",
        ["occurred_at"],
        unique=False,
        schema="crm",
    )
    op.create_index(
        "ix_interaction_customer_occurred",
        "interaction",
        ["customer_id", "occurred_at"],
        unique=False,
        schema="crm",
    )
    op.create_table(
        "opportunity",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=True),
        sa.Column("source_campaign_id", sa.BigInteger(), nullable=True),
        sa.Column("sales_order_id", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("stage", sa.String(length=20), server_default="prospecting", nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), server_default="EUR", nullable=False),
        sa.Column("probability", sa.SmallInteger(), server_default=sa.text("10"), nullable=False),
        sa.Column("expected_close_on", sa.Date(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lost_reason", sa.String(length=500), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "stage IN ('prospecting', 'qualification', 'proposal', 'negotiation', 'won', 'lost')",
            name=op.f("ck_opportunity_stage"),
        ),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_opportunity_amount_non_negative")),
        sa.CheckConstraint(
            "probability BETWEEN 0 AND 100", name=op.f("ck_opportunity_probability_range")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm.customer.id"],
            name=op.f("fk_opportunity_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["erp.employee.id"],
            name=op.f("fk_opportunity_owner_id_employee"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sales_order_id"],
            ["erp.sales_order.id"],
            name=op.f("fk_opportunity_sales_order_id_sales_order"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source_campaign_id"],
            ["crm.campaign.id"],
            name=op.f("fk_opportunity_source_campaign_id_campaign"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity")),
        schema="crm",
    )
    op.create_index(
        op.f("ix_crm_opportunity_customer_id"),
        "opportunity",
        ["customer_id"],
        unique=False,
        schema="crm",
    )
    op.create_index(
        op.f("ix_crm_opportunity_expected_close_on"),
        "opportunity",
        ["expected_close_on"],
        unique=False,
        schema="crm",
    )
    op.create_index(
        op.f("ix_crm_opportunity_owner_id"), "opportunity", ["owner_id"], unique=False, schema="crm"
    )
    op.create_index(
        op.f("ix_crm_opportunity_sales_order_id"),
        "opportunity",
        ["sales_order_id"],
        unique=False,
        schema="crm",
    )
    op.create_index(
        op.f("ix_crm_opportunity_source_campaign_id"),
        "opportunity",
        ["source_campaign_id"],
        unique=False,
        schema="crm",
    )
    op.create_index(
        op.f("ix_crm_opportunity_stage"), "opportunity", ["stage"], unique=False, schema="crm"
    )
    op.create_table(
        "ticket",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("contact_id", sa.BigInteger(), nullable=True),
        sa.Column("sales_order_id", sa.BigInteger(), nullable=True),
        sa.Column("assignee_id", sa.BigInteger(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.String(length=20), server_default="normal", nullable=False),
        sa.Column("status", sa.String(length=20), server_default="open", nullable=False),
        sa.Column("satisfaction", sa.SmallInteger(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "category IN ('question', 'incident', 'complaint', 'return', 'billing')",
            name=op.f("ck_ticket_category"),
        ),
        sa.CheckConstraint(
            "priority IN ('low', 'normal', 'high', 'urgent')", name=op.f("ck_ticket_priority")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'in_progress', 'waiting', 'resolved', 'closed')",
            name=op.f("ck_ticket_status"),
        ),
        sa.CheckConstraint(
            "satisfaction BETWEEN 1 AND 5", name=op.f("ck_ticket_satisfaction_range")
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["erp.employee.id"],
            name=op.f("fk_ticket_assignee_id_employee"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["crm.contact.id"],
            name=op.f("fk_ticket_contact_id_contact"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm.customer.id"],
            name=op.f("fk_ticket_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sales_order_id"],
            ["erp.sales_order.id"],
            name=op.f("fk_ticket_sales_order_id_sales_order"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket")),
        sa.UniqueConstraint("number", name=op.f("uq_ticket_number")),
        schema="crm",
    )
    op.create_index(
        op.f("ix_crm_ticket_assignee_id"), "ticket", ["assignee_id"], unique=False, schema="crm"
    )
    op.create_index(
        op.f("ix_crm_ticket_contact_id"), "ticket", ["contact_id"], unique=False, schema="crm"
    )
    op.create_index(
        op.f("ix_crm_ticket_customer_id"), "ticket", ["customer_id"], unique=False, schema="crm"
    )
    op.create_index(
        op.f("ix_crm_ticket_opened_at"), "ticket", ["opened_at"], unique=False, schema="crm"
    )
    op.create_index(
        op.f("ix_crm_ticket_sales_order_id"),
        "ticket",
        ["sales_order_id"],
        unique=False,
        schema="crm",
    )
    op.create_index(op.f("ix_crm_ticket_status"), "ticket", ["status"], unique=False, schema="crm")
    op.create_table(
        "delivery",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("sales_order_id", sa.BigInteger(), nullable=False),
        sa.Column("warehouse_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="in_transit", nullable=False),
        sa.Column("carrier", sa.String(length=50), nullable=True),
        sa.Column("tracking_number", sa.String(length=60), nullable=True),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failure_reason", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "status IN ('in_transit', 'delivered', 'failed')", name=op.f("ck_delivery_status")
        ),
        sa.CheckConstraint(
            "delivered_at IS NULL OR delivered_at >= shipped_at",
            name=op.f("ck_delivery_delivered_after_shipped"),
        ),
        sa.ForeignKeyConstraint(
            ["sales_order_id"],
            ["erp.sales_order.id"],
            name=op.f("fk_delivery_sales_order_id_sales_order"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["erp.warehouse.id"],
            name=op.f("fk_delivery_warehouse_id_warehouse"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
        sa.UniqueConstraint("number", name=op.f("uq_delivery_number")),
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_delivery_sales_order_id"),
        "delivery",
        ["sales_order_id"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_delivery_shipped_at"), "delivery", ["shipped_at"], unique=False, schema="erp"
    )
    op.create_index(
        op.f("ix_erp_delivery_status"), "delivery", ["status"], unique=False, schema="erp"
    )
    op.create_index(
        op.f("ix_erp_delivery_warehouse_id"),
        "delivery",
        ["warehouse_id"],
        unique=False,
        schema="erp",
    )
    op.create_table(
        "invoice",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("sales_order_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="issued", nullable=False),
        sa.Column("currency", sa.String(length=3), server_default="EUR", nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("subtotal", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("tax_total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.String(length=500), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('issued', 'partially_paid', 'paid', 'void')", name=op.f("ck_invoice_status")
        ),
        sa.CheckConstraint("due_on >= issued_on", name=op.f("ck_invoice_due_after_issue")),
        sa.CheckConstraint(
            "subtotal >= 0 AND tax_total >= 0", name=op.f("ck_invoice_totals_non_negative")
        ),
        sa.CheckConstraint("total = subtotal + tax_total", name=op.f("ck_invoice_total_adds_up")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm.customer.id"],
            name=op.f("fk_invoice_customer_id_customer"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["sales_order_id"],
            ["erp.sales_order.id"],
            name=op.f("fk_invoice_sales_order_id_sales_order"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice")),
        sa.UniqueConstraint("number", name=op.f("uq_invoice_number")),
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_invoice_customer_id"), "invoice", ["customer_id"], unique=False, schema="erp"
    )
    op.create_index(
        op.f("ix_erp_invoice_due_on"), "invoice", ["due_on"], unique=False, schema="erp"
    )
    op.create_index(
        op.f("ix_erp_invoice_sales_order_id"),
        "invoice",
        ["sales_order_id"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_invoice_status"), "invoice", ["status"], unique=False, schema="erp"
    )
    op.create_index(
        "ix_invoice_customer_issued",
        "invoice",
        ["customer_id", "issued_on"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        "ix_invoice_number_trgm",
        "invoice",
        ["number"],
        unique=False,
        schema="erp",
        postgresql_using="gin",
        postgresql_ops={"number": "gin_trgm_ops"},
    )
    op.create_table(
        "sales_order_line",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("sales_order_id", sa.BigInteger(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("stock_item_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("list_price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column(
            "discount_percent",
            sa.Numeric(precision=5, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("line_total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column(
            "tax_amount",
            sa.Numeric(precision=14, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "discount_percent BETWEEN 0 AND 100", name=op.f("ck_sales_order_line_discount_range")
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_sales_order_line_quantity_positive")),
        sa.CheckConstraint(
            "unit_price >= 0 AND list_price >= 0",
            name=op.f("ck_sales_order_line_prices_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["sales_order_id"],
            ["erp.sales_order.id"],
            name=op.f("fk_sales_order_line_sales_order_id_sales_order"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stock_item_id"],
            ["erp.stock_item.id"],
            name=op.f("fk_sales_order_line_stock_item_id_stock_item"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_order_line")),
        sa.UniqueConstraint("sales_order_id", "line_no", name="uq_sales_order_line_no"),
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_sales_order_line_sales_order_id"),
        "sales_order_line",
        ["sales_order_id"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_sales_order_line_stock_item_id"),
        "sales_order_line",
        ["stock_item_id"],
        unique=False,
        schema="erp",
    )
    op.create_table(
        "delivery_line",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("delivery_id", sa.BigInteger(), nullable=False),
        sa.Column("sales_order_line_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_delivery_line_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["erp.delivery.id"],
            name=op.f("fk_delivery_line_delivery_id_delivery"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sales_order_line_id"],
            ["erp.sales_order_line.id"],
            name=op.f("fk_delivery_line_sales_order_line_id_sales_order_line"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_line")),
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_delivery_line_delivery_id"),
        "delivery_line",
        ["delivery_id"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_delivery_line_sales_order_line_id"),
        "delivery_line",
        ["sales_order_line_id"],
        unique=False,
        schema="erp",
    )
    op.create_table(
        "invoice_line",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("invoice_id", sa.BigInteger(), nullable=False),
        sa.Column("sales_order_line_id", sa.BigInteger(), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("line_total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("tax_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_invoice_line_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["erp.invoice.id"],
            name=op.f("fk_invoice_line_invoice_id_invoice"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sales_order_line_id"],
            ["erp.sales_order_line.id"],
            name=op.f("fk_invoice_line_sales_order_line_id_sales_order_line"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_line")),
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_invoice_line_invoice_id"),
        "invoice_line",
        ["invoice_id"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_invoice_line_sales_order_line_id"),
        "invoice_line",
        ["sales_order_line_id"],
        unique=False,
        schema="erp",
    )
    op.create_table(
        "payment",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("invoice_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), server_default="EUR", nullable=False),
        sa.Column("method", sa.String(length=20), server_default="bank_transfer", nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "method IN ('bank_transfer', 'card', 'cash', 'cheque', 'direct_debit')",
            name=op.f("ck_payment_method"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_amount_positive")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm.customer.id"],
            name=op.f("fk_payment_customer_id_customer"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["erp.invoice.id"],
            name=op.f("fk_payment_invoice_id_invoice"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
        sa.UniqueConstraint("number", name="uq_payment_number"),
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_payment_customer_id"), "payment", ["customer_id"], unique=False, schema="erp"
    )
    op.create_index(
        op.f("ix_erp_payment_invoice_id"), "payment", ["invoice_id"], unique=False, schema="erp"
    )
    op.create_index(
        op.f("ix_erp_payment_received_at"), "payment", ["received_at"], unique=False, schema="erp"
    )
    op.create_table(
        "stock_movement",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("stock_item_id", sa.BigInteger(), nullable=False),
        sa.Column("warehouse_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("delta_on_hand", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("delta_reserved", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("sales_order_id", sa.BigInteger(), nullable=True),
        sa.Column("delivery_id", sa.BigInteger(), nullable=True),
        sa.Column("purchase_order_id", sa.BigInteger(), nullable=True),
        sa.Column("employee_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('receipt', 'reservation', 'release', 'shipment', 'return', 'adjustment')",
            name=op.f("ck_stock_movement_kind"),
        ),
        sa.CheckConstraint(
            "delta_on_hand <> 0 OR delta_reserved <> 0",
            name=op.f("ck_stock_movement_moves_something"),
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["erp.delivery.id"],
            name=op.f("fk_stock_movement_delivery_id_delivery"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["erp.employee.id"],
            name=op.f("fk_stock_movement_employee_id_employee"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["erp.purchase_order.id"],
            name=op.f("fk_stock_movement_purchase_order_id_purchase_order"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sales_order_id"],
            ["erp.sales_order.id"],
            name=op.f("fk_stock_movement_sales_order_id_sales_order"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["stock_item_id"],
            ["erp.stock_item.id"],
            name=op.f("fk_stock_movement_stock_item_id_stock_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["erp.warehouse.id"],
            name=op.f("fk_stock_movement_warehouse_id_warehouse"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_movement")),
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_stock_movement_delivery_id"),
        "stock_movement",
        ["delivery_id"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_stock_movement_employee_id"),
        "stock_movement",
        ["employee_id"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_stock_movement_purchase_order_id"),
        "stock_movement",
        ["purchase_order_id"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_stock_movement_sales_order_id"),
        "stock_movement",
        ["sales_order_id"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_stock_movement_stock_item_id"),
        "stock_movement",
        ["stock_item_id"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_stock_movement_warehouse_id"),
        "stock_movement",
        ["warehouse_id"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        "ix_stock_movement_item_occurred",
        "stock_movement",
        ["stock_item_id", "occurred_at"],
        unique=False,
        schema="erp",
    )


def downgrade() -> None:
    op.drop_index("ix_stock_movement_item_occurred", table_name="stock_movement", schema="erp")
    op.drop_index(
        op.f("ix_erp_stock_movement_warehouse_id"), table_name="stock_movement", schema="erp"
    )
    op.drop_index(
        op.f("ix_erp_stock_movement_stock_item_id"), table_name="stock_movement", schema="erp"
    )
    op.drop_index(
        op.f("ix_erp_stock_movement_sales_order_id"), table_name="stock_movement", schema="erp"
    )
    op.drop_index(
        op.f("ix_erp_stock_movement_purchase_order_id"), table_name="stock_movement", schema="erp"
    )
    op.drop_index(
        op.f("ix_erp_stock_movement_employee_id"), table_name="stock_movement", schema="erp"
    )
    op.drop_index(
        op.f("ix_erp_stock_movement_delivery_id"), table_name="stock_movement", schema="erp"
    )
    op.drop_table("stock_movement", schema="erp")
    op.drop_index(op.f("ix_erp_payment_received_at"), table_name="payment", schema="erp")
    op.drop_index(op.f("ix_erp_payment_invoice_id"), table_name="payment", schema="erp")
    op.drop_index(op.f("ix_erp_payment_customer_id"), table_name="payment", schema="erp")
    op.drop_table("payment", schema="erp")
    op.drop_index(
        op.f("ix_erp_invoice_line_sales_order_line_id"), table_name="invoice_line", schema="erp"
    )
    op.drop_index(op.f("ix_erp_invoice_line_invoice_id"), table_name="invoice_line", schema="erp")
    op.drop_table("invoice_line", schema="erp")
    op.drop_index(
        op.f("ix_erp_delivery_line_sales_order_line_id"), table_name="delivery_line", schema="erp"
    )
    op.drop_index(
        op.f("ix_erp_delivery_line_delivery_id"), table_name="delivery_line", schema="erp"
    )
    op.drop_table("delivery_line", schema="erp")
    op.drop_index(
        op.f("ix_erp_sales_order_line_stock_item_id"), table_name="sales_order_line", schema="erp"
    )
    op.drop_index(
        op.f("ix_erp_sales_order_line_sales_order_id"), table_name="sales_order_line", schema="erp"
    )
    op.drop_table("sales_order_line", schema="erp")
    op.drop_index(
        "ix_invoice_number_trgm",
        table_name="invoice",
        schema="erp",
        postgresql_using="gin",
        postgresql_ops={"number": "gin_trgm_ops"},
    )
    op.drop_index("ix_invoice_customer_issued", table_name="invoice", schema="erp")
    op.drop_index(op.f("ix_erp_invoice_status"), table_name="invoice", schema="erp")
    op.drop_index(op.f("ix_erp_invoice_sales_order_id"), table_name="invoice", schema="erp")
    op.drop_index(op.f("ix_erp_invoice_due_on"), table_name="invoice", schema="erp")
    op.drop_index(op.f("ix_erp_invoice_customer_id"), table_name="invoice", schema="erp")
    op.drop_table("invoice", schema="erp")
    op.drop_index(op.f("ix_erp_delivery_warehouse_id"), table_name="delivery", schema="erp")
    op.drop_index(op.f("ix_erp_delivery_status"), table_name="delivery", schema="erp")
    op.drop_index(op.f("ix_erp_delivery_shipped_at"), table_name="delivery", schema="erp")
    op.drop_index(op.f("ix_erp_delivery_sales_order_id"), table_name="delivery", schema="erp")
    op.drop_table("delivery", schema="erp")
    op.drop_index(op.f("ix_crm_ticket_status"), table_name="ticket", schema="crm")
    op.drop_index(op.f("ix_crm_ticket_sales_order_id"), table_name="ticket", schema="crm")
    op.drop_index(op.f("ix_crm_ticket_opened_at"), table_name="ticket", schema="crm")
    op.drop_index(op.f("ix_crm_ticket_customer_id"), table_name="ticket", schema="crm")
    op.drop_index(op.f("ix_crm_ticket_contact_id"), table_name="ticket", schema="crm")
    op.drop_index(op.f("ix_crm_ticket_assignee_id"), table_name="ticket", schema="crm")
    op.drop_table("ticket", schema="crm")
    op.drop_index(op.f("ix_crm_opportunity_stage"), table_name="opportunity", schema="crm")
    op.drop_index(
        op.f("ix_crm_opportunity_source_campaign_id"), table_name="opportunity", schema="crm"
    )
    op.drop_index(op.f("ix_crm_opportunity_sales_order_id"), table_name="opportunity", schema="crm")
    op.drop_index(op.f("ix_crm_opportunity_owner_id"), table_name="opportunity", schema="crm")
    op.drop_index(
        op.f("ix_crm_opportunity_expected_close_on"), table_name="opportunity", schema="crm"
    )
    op.drop_index(op.f("ix_crm_opportunity_customer_id"), table_name="opportunity", schema="crm")
    op.drop_table("opportunity", schema="crm")
    op.drop_index("ix_interaction_customer_occurred", table_name="interaction", schema="crm")
    op.drop_index(op.f("ix_crm_interaction_occurred_at"), table_name="interaction", schema="crm")
    op.drop_index(op.f("ix_crm_interaction_employee_id"), table_name="interaction", schema="crm")
    op.drop_index(op.f("ix_crm_interaction_customer_id"), table_name="interaction", schema="crm")
    op.drop_index(op.f("ix_crm_interaction_contact_id"), table_name="interaction", schema="crm")
    op.drop_index(op.f("ix_crm_interaction_campaign_id"), table_name="interaction", schema="crm")
    op.drop_table("interaction", schema="crm")
    op.drop_index(
        "ix_sales_order_number_trgm",
        table_name="sales_order",
        schema="erp",
        postgresql_using="gin",
        postgresql_ops={"number": "gin_trgm_ops"},
    )
    op.drop_index("ix_sales_order_customer_ordered", table_name="sales_order", schema="erp")
    op.drop_index(op.f("ix_erp_sales_order_warehouse_id"), table_name="sales_order", schema="erp")
    op.drop_index(op.f("ix_erp_sales_order_status"), table_name="sales_order", schema="erp")
    op.drop_index(op.f("ix_erp_sales_order_sales_rep_id"), table_name="sales_order", schema="erp")
    op.drop_index(op.f("ix_erp_sales_order_ordered_at"), table_name="sales_order", schema="erp")
    op.drop_index(op.f("ix_erp_sales_order_customer_id"), table_name="sales_order", schema="erp")
    op.drop_table("sales_order", schema="erp")
    op.drop_index(op.f("ix_crm_contact_customer_id"), table_name="contact", schema="crm")
    op.drop_index(
        "ix_contact_email_trgm",
        table_name="contact",
        schema="crm",
        postgresql_using="gin",
        postgresql_ops={"email": "gin_trgm_ops"},
    )
    op.drop_table("contact", schema="crm")
    op.drop_index(
        op.f("ix_crm_campaign_member_customer_id"), table_name="campaign_member", schema="crm"
    )
    op.drop_index(
        op.f("ix_crm_campaign_member_campaign_id"), table_name="campaign_member", schema="crm"
    )
    op.drop_table("campaign_member", schema="crm")
    op.drop_index(
        "ix_customer_metrics_lifetime_revenue", table_name="customer_metrics", schema="analytics"
    )
    op.drop_index(
        op.f("ix_analytics_customer_metrics_rfm_segment"),
        table_name="customer_metrics",
        schema="analytics",
    )
    op.drop_table("customer_metrics", schema="analytics")
    op.drop_table("customer_forecast", schema="analytics")
    op.drop_index(
        op.f("ix_erp_purchase_order_line_stock_item_id"),
        table_name="purchase_order_line",
        schema="erp",
    )
    op.drop_index(
        op.f("ix_erp_purchase_order_line_purchase_order_id"),
        table_name="purchase_order_line",
        schema="erp",
    )
    op.drop_table("purchase_order_line", schema="erp")
    op.drop_index(
        "ix_customer_name_trgm",
        table_name="customer",
        schema="crm",
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.drop_index(
        "ix_customer_email_trgm",
        table_name="customer",
        schema="crm",
        postgresql_using="gin",
        postgresql_ops={"email": "gin_trgm_ops"},
    )
    op.drop_index(op.f("ix_crm_customer_tier"), table_name="customer", schema="crm")
    op.drop_index(op.f("ix_crm_customer_status"), table_name="customer", schema="crm")
    op.drop_index(op.f("ix_crm_customer_created_at"), table_name="customer", schema="crm")
    op.drop_index(
        op.f("ix_crm_customer_acquisition_campaign_id"), table_name="customer", schema="crm"
    )
    op.drop_index(op.f("ix_crm_customer_account_manager_id"), table_name="customer", schema="crm")
    op.drop_table("customer", schema="crm")
    op.drop_table("campaign_metrics", schema="analytics")
    op.drop_index(op.f("ix_erp_stock_level_warehouse_id"), table_name="stock_level", schema="erp")
    op.drop_index(op.f("ix_erp_stock_level_stock_item_id"), table_name="stock_level", schema="erp")
    op.drop_table("stock_level", schema="erp")
    op.drop_index(
        op.f("ix_erp_purchase_order_warehouse_id"), table_name="purchase_order", schema="erp"
    )
    op.drop_index(
        op.f("ix_erp_purchase_order_supplier_id"), table_name="purchase_order", schema="erp"
    )
    op.drop_index(op.f("ix_erp_purchase_order_status"), table_name="purchase_order", schema="erp")
    op.drop_index(
        op.f("ix_erp_purchase_order_ordered_at"), table_name="purchase_order", schema="erp"
    )
    op.drop_index(
        op.f("ix_erp_purchase_order_created_by_id"), table_name="purchase_order", schema="erp"
    )
    op.drop_table("purchase_order", schema="erp")
    op.drop_index(op.f("ix_crm_campaign_status"), table_name="campaign", schema="crm")
    op.drop_index(op.f("ix_crm_campaign_starts_on"), table_name="campaign", schema="crm")
    op.drop_index(op.f("ix_crm_campaign_owner_id"), table_name="campaign", schema="crm")
    op.drop_index(op.f("ix_crm_campaign_name"), table_name="campaign", schema="crm")
    op.drop_table("campaign", schema="crm")
    op.drop_index(
        op.f("ix_analytics_demand_forecast_suggested_reorder_quantity"),
        table_name="demand_forecast",
        schema="analytics",
    )
    op.drop_table("demand_forecast", schema="analytics")
    op.drop_index(
        "ix_stock_item_sku_trgm",
        table_name="stock_item",
        schema="erp",
        postgresql_using="gin",
        postgresql_ops={"sku": "gin_trgm_ops"},
    )
    op.drop_index(
        "ix_stock_item_name_trgm",
        table_name="stock_item",
        schema="erp",
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.drop_index(op.f("ix_erp_stock_item_supplier_id"), table_name="stock_item", schema="erp")
    op.drop_index(op.f("ix_erp_stock_item_category"), table_name="stock_item", schema="erp")
    op.drop_table("stock_item", schema="erp")
    op.drop_index(op.f("ix_erp_price_rule_price_list_id"), table_name="price_rule", schema="erp")
    op.drop_table("price_rule", schema="erp")
    op.drop_index(op.f("ix_erp_employee_status"), table_name="employee", schema="erp")
    op.drop_index(op.f("ix_erp_employee_manager_id"), table_name="employee", schema="erp")
    op.drop_index(op.f("ix_erp_employee_hire_date"), table_name="employee", schema="erp")
    op.drop_index(op.f("ix_erp_employee_department_id"), table_name="employee", schema="erp")
    op.drop_index(
        "ix_employee_name_trgm",
        table_name="employee",
        schema="erp",
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.drop_table("employee", schema="erp")
    op.drop_table("revenue_forecast_point", schema="analytics")
    op.drop_index(
        "ix_outbox_pending",
        table_name="outbox",
        schema="ops",
        postgresql_where=sa.text("processed_at IS NULL"),
    )
    op.drop_index(op.f("ix_ops_outbox_customer_id"), table_name="outbox", schema="ops")
    op.drop_table("outbox", schema="ops")
    op.drop_index("ix_job_run_name_started", table_name="job_run", schema="ops")
    op.drop_table("job_run", schema="ops")
    op.drop_index(
        op.f("ix_ops_idempotency_key_created_at"), table_name="idempotency_key", schema="ops"
    )
    op.drop_table("idempotency_key", schema="ops")
    op.drop_index(op.f("ix_ops_audit_log_occurred_at"), table_name="audit_log", schema="ops")
    op.drop_index(op.f("ix_ops_audit_log_actor_employee_id"), table_name="audit_log", schema="ops")
    op.drop_index("ix_audit_log_entity", table_name="audit_log", schema="ops")
    op.drop_table("audit_log", schema="ops")
    op.drop_table("warehouse", schema="erp")
    op.drop_index(
        "ix_supplier_name_trgm",
        table_name="supplier",
        schema="erp",
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.drop_table("supplier", schema="erp")
    op.drop_table("price_list", schema="erp")
    op.drop_index(op.f("ix_erp_department_parent_id"), table_name="department", schema="erp")
    op.drop_table("department", schema="erp")
    op.drop_index(
        "ix_forecast_run_scope_key_started", table_name="forecast_run", schema="analytics"
    )
    op.drop_table("forecast_run", schema="analytics")
    for schema in reversed(SCHEMAS):
        op.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
