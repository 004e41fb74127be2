"""CRM tables (schema `crm`): customers and everything sales, marketing and support know of them.

ERP tables are referenced by name ("erp.employee.id"), never by class: CRM does not import ERP.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
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
from domain.crm.opportunity_stages import OPPORTUNITY_STAGES
from domain.crm.ticket_states import TICKET_CATEGORIES, TICKET_PRIORITIES, TICKET_STATUSES
from domain.crm.vocabulary import (
    CAMPAIGN_CHANNELS,
    CAMPAIGN_STATUSES,
    CUSTOMER_KINDS,
    CUSTOMER_STATUSES,
    CUSTOMER_TIERS,
    INTERACTION_CHANNELS,
    INTERACTION_DIRECTIONS,
    MEMBER_STATUSES,
)

SCHEMA = "crm"


class Customer(Base):
    __tablename__ = "customer"
    __table_args__ = (
        trigram_index("customer", "code"),
        one_of("kind", "kind", CUSTOMER_KINDS),
        one_of("tier", "tier", CUSTOMER_TIERS),
        one_of("status", "status", CUSTOMER_STATUSES),
        CheckConstraint("char_length(currency) = 3", name="currency_iso"),
        trigram_index("customer", "name"),
        trigram_index("customer", "email"),
        external_key("customer"),
        # Lists show customers not archived, by name: a page walks this index and stops
        # after its rows, and a count reads it alone.
        Index(
            "ix_customer_live_by_name", "name", "id", postgresql_where=text("archived_at IS NULL")
        ),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="company", server_default="company")
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    country: Mapped[str | None] = mapped_column(String(2))
    industry: Mapped[str | None] = mapped_column(String(80))
    tier: Mapped[str] = mapped_column(
        String(20), default="bronze", server_default="bronze", index=True
    )
    status: Mapped[str] = mapped_column(
        String(20), default="lead", server_default="lead", index=True
    )
    currency: Mapped[str] = mapped_column(String(3), default="EUR", server_default="EUR")
    credit_limit: Mapped[Decimal | None] = mapped_column()
    account_manager_id: Mapped[int | None] = fk("erp.employee.id", ondelete="SET NULL")
    acquisition_campaign_id: Mapped[int | None] = fk("crm.campaign.id", ondelete="SET NULL")
    created_at: Mapped[CreatedAt] = mapped_column(index=True)
    updated_at: Mapped[CreatedAt]
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    archived_at: Mapped[ArchivedAt]
    external_source: Mapped[ExternalSource]
    external_id: Mapped[ExternalId]


class Contact(Base):
    __tablename__ = "contact"
    __table_args__ = (
        trigram_index("contact", "email"),
        external_key("contact"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    customer_id: Mapped[int] = fk("crm.customer.id", ondelete="CASCADE")
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str | None] = mapped_column(String(100))
    is_primary: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    created_at: Mapped[CreatedAt]
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    archived_at: Mapped[ArchivedAt]
    external_source: Mapped[ExternalSource]
    external_id: Mapped[ExternalId]


class Campaign(Base):
    __tablename__ = "campaign"
    __table_args__ = (
        trigram_index("campaign", "name"),
        one_of("channel", "channel", CAMPAIGN_CHANNELS),
        one_of("status", "status", CAMPAIGN_STATUSES),
        CheckConstraint("budget >= 0", name="budget_non_negative"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates_ordered"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    name: Mapped[str] = mapped_column(String(200), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(
        String(20), default="planned", server_default="planned", index=True
    )
    budget: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3), default="EUR", server_default="EUR")
    starts_on: Mapped[date] = mapped_column(Date, index=True)
    ends_on: Mapped[date | None] = mapped_column(Date)
    owner_id: Mapped[int | None] = fk("erp.employee.id", ondelete="SET NULL")
    created_at: Mapped[CreatedAt]
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    archived_at: Mapped[ArchivedAt]


class CampaignMember(Base):
    __tablename__ = "campaign_member"
    __table_args__ = (
        UniqueConstraint("campaign_id", "customer_id", name="uq_campaign_member_customer"),
        one_of("status", "status", MEMBER_STATUSES),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    campaign_id: Mapped[int] = fk("crm.campaign.id", ondelete="CASCADE")
    customer_id: Mapped[int] = fk("crm.customer.id", ondelete="CASCADE")
    status: Mapped[str] = mapped_column(String(20), default="targeted", server_default="targeted")
    # Held back as the control group: in the audience, never contacted, so that what the
    # campaign adds can be measured against them (`domain.analytics.campaigns`).
    held_out: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    added_at: Mapped[CreatedAt]
    responded_at: Mapped[datetime | None] = mapped_column()
    converted_at: Mapped[datetime | None] = mapped_column()


class Interaction(Base):
    __tablename__ = "interaction"
    __table_args__ = (
        trigram_index("interaction", "subject"),
        one_of("channel", "channel", INTERACTION_CHANNELS),
        one_of("direction", "direction", INTERACTION_DIRECTIONS),
        Index("ix_interaction_customer_occurred", "customer_id", "occurred_at"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    customer_id: Mapped[int] = fk("crm.customer.id", ondelete="CASCADE")
    contact_id: Mapped[int | None] = fk("crm.contact.id", ondelete="SET NULL")
    employee_id: Mapped[int | None] = fk("erp.employee.id", ondelete="SET NULL")
    campaign_id: Mapped[int | None] = fk("crm.campaign.id", ondelete="SET NULL")
    channel: Mapped[str] = mapped_column(String(20))
    direction: Mapped[str] = mapped_column(
        String(20), default="outbound", server_default="outbound"
    )
    subject: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(index=True)


class Opportunity(Base):
    __tablename__ = "opportunity"
    __table_args__ = (
        trigram_index("opportunity", "name"),
        one_of("stage", "stage", OPPORTUNITY_STAGES),
        CheckConstraint("amount >= 0", name="amount_non_negative"),
        CheckConstraint("probability BETWEEN 0 AND 100", name="probability_range"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    customer_id: Mapped[int] = fk("crm.customer.id", ondelete="CASCADE")
    owner_id: Mapped[int | None] = fk("erp.employee.id", ondelete="SET NULL")
    source_campaign_id: Mapped[int | None] = fk("crm.campaign.id", ondelete="SET NULL")
    sales_order_id: Mapped[int | None] = fk("erp.sales_order.id", ondelete="SET NULL")
    name: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(
        String(20), default="prospecting", server_default="prospecting", index=True
    )
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3), default="EUR", server_default="EUR")
    probability: Mapped[int] = mapped_column(SmallInteger, default=10, server_default=text("10"))
    expected_close_on: Mapped[date | None] = mapped_column(Date, index=True)
    closed_at: Mapped[datetime | None] = mapped_column()
    lost_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[CreatedAt]
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))


class OpportunityLine(Base):
    """A product an open deal would sell, and how many: with the deal's probability, what
    the material plan expects customers to order."""

    __tablename__ = "opportunity_line"
    __table_args__ = (
        UniqueConstraint("opportunity_id", "stock_item_id", name="uq_opportunity_line_item"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    opportunity_id: Mapped[int] = fk("crm.opportunity.id", ondelete="CASCADE")
    stock_item_id: Mapped[int] = fk("erp.stock_item.id", ondelete="RESTRICT")
    quantity: Mapped[int]


class Ticket(Base):
    __tablename__ = "ticket"
    __table_args__ = (
        trigram_index("ticket", "number"),
        trigram_index("ticket", "subject"),
        one_of("category", "category", TICKET_CATEGORIES),
        one_of("priority", "priority", TICKET_PRIORITIES),
        one_of("status", "status", TICKET_STATUSES),
        CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction_range"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = fk("crm.customer.id", ondelete="CASCADE")
    contact_id: Mapped[int | None] = fk("crm.contact.id", ondelete="SET NULL")
    sales_order_id: Mapped[int | None] = fk("erp.sales_order.id", ondelete="SET NULL")
    assignee_id: Mapped[int | None] = fk("erp.employee.id", ondelete="SET NULL")
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(20), default="normal", server_default="normal")
    status: Mapped[str] = mapped_column(
        String(20), default="open", server_default="open", index=True
    )
    satisfaction: Mapped[int | None] = mapped_column(SmallInteger)
    resolution: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(index=True)
    resolved_at: Mapped[datetime | None] = mapped_column()


class Segment(Base):
    """A saved group of customers: the conditions of a `where` on customers, as the API
    took them (`definition`, keyed by GraphQL names), evaluated live whenever it is read."""

    __tablename__ = "segment"
    __table_args__ = ({"schema": SCHEMA},)

    id: Mapped[BigId]
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_by_id: Mapped[int | None] = fk("erp.employee.id", ondelete="SET NULL")
    created_at: Mapped[CreatedAt]
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
