"""GraphQL enums: UPPER_CASE names over the lowercase values stored in the database."""

from enum import Enum
from typing import Any

import strawberry

from domain.analytics.rfm import RFM_SEGMENTS
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
from domain.erp.delivery_states import DELIVERY_STATUSES
from domain.erp.invoice_states import INVOICE_STATUSES
from domain.erp.models.employees import EMPLOYEE_STATUSES
from domain.erp.models.invoices import PAYMENT_METHODS
from domain.erp.models.stock import STOCK_CATEGORIES
from domain.erp.order_states import ORDER_STATUSES
from domain.erp.purchase_order_states import PURCHASE_ORDER_STATUSES


def _enum(name: str, values: tuple[str, ...], description: str) -> Any:
    # Any, not type[Enum]: members are generated from the vocabularies, which mypy cannot see.
    members = {value.upper().replace("'", "").replace(" ", "_"): value for value in values}
    enum_class = Enum(name, members)  # type: ignore[misc]
    return strawberry.enum(enum_class, description=description)


vocabulary_enum = _enum


CustomerKind = _enum("CustomerKind", CUSTOMER_KINDS, "Company or private person.")
CustomerTier = _enum(
    "CustomerTier", CUSTOMER_TIERS, "Commercial tier; sets the prices a customer pays."
)
CustomerStatus = _enum("CustomerStatus", CUSTOMER_STATUSES, "Where a customer is in its lifecycle.")
InteractionChannel = _enum("InteractionChannel", INTERACTION_CHANNELS, "How a contact happened.")
InteractionDirection = _enum("InteractionDirection", INTERACTION_DIRECTIONS, "Who initiated it.")
CampaignChannel = _enum("CampaignChannel", CAMPAIGN_CHANNELS, "Marketing channel of a campaign.")
CampaignStatus = _enum("CampaignStatus", CAMPAIGN_STATUSES, "Lifecycle of a campaign.")
MemberStatus = _enum("CampaignMemberStatus", MEMBER_STATUSES, "How far a campaign member went.")
OpportunityStage = _enum("OpportunityStage", OPPORTUNITY_STAGES, "Sales pipeline stage.")
TicketStatus = _enum("TicketStatus", TICKET_STATUSES, "Lifecycle of a support ticket.")
TicketCategory = _enum("TicketCategory", TICKET_CATEGORIES, "What a ticket is about.")
TicketPriority = _enum("TicketPriority", TICKET_PRIORITIES, "How urgent a ticket is.")
EmployeeStatus = _enum("EmployeeStatus", EMPLOYEE_STATUSES, "Employment status.")
StockCategory = _enum("StockCategory", STOCK_CATEGORIES, "Product category.")
OrderStatus = _enum("SalesOrderStatus", ORDER_STATUSES, "Lifecycle of a sales order.")
DeliveryStatus = _enum("DeliveryStatus", DELIVERY_STATUSES, "Where a shipment is.")
InvoiceStatus = _enum("InvoiceStatus", INVOICE_STATUSES, "Lifecycle of an invoice.")
PaymentMethod = _enum("PaymentMethod", PAYMENT_METHODS, "How a payment was made.")
PurchaseOrderStatus = _enum(
    "PurchaseOrderStatus", PURCHASE_ORDER_STATUSES, "Lifecycle of a purchase order."
)
RfmSegment = _enum("RfmSegment", RFM_SEGMENTS, "Named RFM segment.")


@strawberry.enum(description="Shipping progress of a sales order, from its deliveries.")
class OrderDeliveryStatus(Enum):
    NOT_SHIPPED = "not_shipped"
    PARTIALLY_SHIPPED = "partially_shipped"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    FAILED = "failed"


@strawberry.enum(description="Payment progress of a sales order, from its invoices.")
class OrderPaymentStatus(Enum):
    NOT_INVOICED = "not_invoiced"
    UNPAID = "unpaid"
    PARTIALLY_PAID = "partially_paid"
    OVERDUE = "overdue"
    PAID = "paid"


@strawberry.enum(description="Sort direction.")
class Direction(Enum):
    ASC = "asc"
    DESC = "desc"
