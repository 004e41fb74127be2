"""Deliveries: shipping orders, in full or in part, and recording arrival or failure."""

from datetime import datetime

import strawberry
from strawberry import relay

from domain.erp import deliveries, fulfilment_status
from domain.erp.delivery_states import DELIVERY_STATUSES
from domain.erp.models import Delivery as DeliveryModel
from domain.erp.models import DeliveryLine as DeliveryLineModel
from schema.core.enums import vocabulary_enum
from schema.core.ids import decode
from schema.core.mutations import mutation, retry_key
from schema.core.nodes import TableNode, desc, row_value
from schema.core.relations import Children, ToOne
from schema.erp.sales_orders import SalesOrder, SalesOrderLine

DeliveryStatus = vocabulary_enum("DeliveryStatus", DELIVERY_STATUSES, "Where a shipment is.")


@strawberry.type(description="Units of an order line in a delivery.")
class DeliveryLine(TableNode):
    MODEL = DeliveryLineModel
    id: relay.NodeID[int]
    quantity: int = desc("Units shipped.")

    order_line: SalesOrderLine | None = ToOne[SalesOrderLine]("sales_order_line_id").field(
        "The order line shipped."
    )
    delivery: "Delivery | None" = ToOne["Delivery"]("delivery_id").field(
        "The delivery this line belongs to."
    )


@strawberry.type(description="A shipment of (part of) a sales order.")
class Delivery(TableNode):
    MODEL = DeliveryModel
    id: relay.NodeID[int]
    number: str = desc("Delivery number.")
    status: DeliveryStatus = desc("In transit, delivered or failed.")
    carrier: str | None = desc("Carrier.")
    tracking_number: str | None = desc("Carrier's tracking number.")
    shipped_at: datetime = desc("When it left the warehouse.")
    expected_at: datetime | None = desc("Promised arrival.")
    delivered_at: datetime | None = desc("Actual arrival.")
    failed_at: datetime | None = desc("When delivery failed.")
    failure_reason: str | None = desc("Why it failed.")

    is_late: bool = row_value(
        fulfilment_status.is_late, "True when delivered after the promised time."
    )

    sales_order: SalesOrder | None = ToOne[SalesOrder]("sales_order_id").field("The order.")
    lines: list[DeliveryLine] = Children[DeliveryLine](
        "delivery_id", order=("id",), estimated_items=5
    ).field("What was shipped.")


@strawberry.input(description="Units of one order line to ship.")
class DeliveryLineInput:
    order_line: strawberry.ID = strawberry.field(description="The sales order line.")
    quantity: int = strawberry.field(description="Units to ship (at most those still open).")


@strawberry.input(description="Ship an order, in full or in part.")
class DeliveryCreateInput:
    sales_order: strawberry.ID = strawberry.field(description="The order.")
    lines: list[DeliveryLineInput] | None = strawberry.field(
        default=None, description="What to ship; null ships everything still open."
    )
    carrier: str | None = strawberry.field(default=None, description="Carrier.")
    tracking_number: str | None = strawberry.field(default=None, description="Tracking number.")
    expected_at: datetime | None = strawberry.field(default=None, description="Promised arrival.")
    idempotency_key: str | None = retry_key("creating a second delivery")


@strawberry.input(description="A delivery arrived.")
class DeliveryMarkDeliveredInput:
    id: strawberry.ID = strawberry.field(description="The delivery.")
    delivered_at: datetime | None = strawberry.field(
        default=None, description="When (default now)."
    )
    idempotency_key: str | None = retry_key("recording the delivery twice")


@strawberry.input(description="A delivery failed; its goods return to stock for the order.")
class DeliveryMarkFailedInput:
    id: strawberry.ID = strawberry.field(description="The delivery.")
    reason: str = strawberry.field(description="What went wrong (required).")
    idempotency_key: str | None = retry_key("returning the goods twice")


def _shipment(input: DeliveryCreateInput) -> deliveries.Shipment:
    lines = None
    if input.lines is not None:
        lines = [
            deliveries.ShipLine(
                decode(line.order_line, "SalesOrderLine", f"lines.{i}.orderLine"), line.quantity
            )
            for i, line in enumerate(input.lines)
        ]
    return deliveries.Shipment(
        sales_order_id=decode(input.sales_order, "SalesOrder", "salesOrder"),
        lines=lines,
        carrier=input.carrier,
        tracking_number=input.tracking_number,
        expected_at=input.expected_at,
    )


@strawberry.type
class DeliveryMutations:
    delivery_create = mutation(
        DeliveryCreateInput,
        Delivery,
        "Ship some or all open quantities of an order (stock leaves the warehouse).",
        lambda input, session, journal: deliveries.create(
            session=session, journal=journal, shipment=_shipment(input)
        ),
    )
    delivery_mark_delivered = mutation(
        DeliveryMarkDeliveredInput,
        Delivery,
        "Record that a delivery arrived.",
        lambda input, session, journal: deliveries.mark_delivered(
            session=session,
            journal=journal,
            delivery_id=decode(input.id, "Delivery", "id"),
            delivered_at=input.delivered_at,
        ),
    )
    delivery_mark_failed = mutation(
        DeliveryMarkFailedInput,
        Delivery,
        "Record that a delivery failed.",
        lambda input, session, journal: deliveries.mark_failed(
            session=session,
            journal=journal,
            delivery_id=decode(input.id, "Delivery", "id"),
            reason=input.reason,
        ),
    )
