"""ERP mutations of the order-to-delivery flow: sales orders and deliveries."""

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from domain.erp import deliveries, sales_orders
from domain.flows import ordering
from schema.erp_nodes import Delivery, SalesOrder
from schema.mutations.base import INPUT, decode, decode_optional, given, payload, run
from schema.mutations.pipeline import OrderLineInput, order_lines


@strawberry.input(
    description="A new order. Prices, discounts, tax and totals come from the server."
)
class SalesOrderPlaceInput:
    customer: strawberry.ID = strawberry.field(
        description="The customer; its tier sets the prices."
    )
    lines: list[OrderLineInput] = strawberry.field(description="1 to 500 lines.")
    warehouse: strawberry.ID | None = strawberry.field(
        default=None, description="Shipping warehouse (default: the one that can serve most lines)."
    )
    sales_rep: strawberry.ID | None = strawberry.field(
        default=None,
        description="Responsible employee (default: the account manager); a sales rep may "
        "name only themselves, a sales manager anyone in sales.",
    )
    notes: str | None = strawberry.field(default=None, description="Notes.")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Retry key, yours alone: the same key with the same input returns the "
        "first result without placing a second order.",
    )


@strawberry.input(description="Confirm a draft or placed order.")
class SalesOrderConfirmInput:
    id: strawberry.ID = strawberry.field(description="The order.")
    version: int | None = strawberry.field(default=None, description="Version you read, if any.")


@strawberry.input(description="Cancel an order none of which has shipped.")
class SalesOrderCancelInput:
    id: strawberry.ID = strawberry.field(description="The order.")
    reason: str | None = strawberry.field(default=None, description="Why (kept in the audit log).")
    version: int | None = strawberry.field(default=None, description="Version you read, if any.")


@strawberry.input(description="Changes to an open order; fields left out keep their value.")
class SalesOrderUpdateInput:
    id: strawberry.ID = strawberry.field(description="The order.")
    version: int = strawberry.field(description="The version you read; a newer one is a CONFLICT.")
    notes: str | None = strawberry.field(default=strawberry.UNSET, description="Notes.")
    sales_rep: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Responsible employee; a sales rep may name only themselves.",
    )


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


@strawberry.input(description="A delivery arrived.")
class DeliveryMarkDeliveredInput:
    id: strawberry.ID = strawberry.field(description="The delivery.")
    delivered_at: datetime | None = strawberry.field(
        default=None, description="When (default now)."
    )


@strawberry.input(description="A delivery failed; its goods return to stock for the order.")
class DeliveryMarkFailedInput:
    id: strawberry.ID = strawberry.field(description="The delivery.")
    reason: str = strawberry.field(description="What went wrong (required).")


SalesOrderPlacePayload = payload(
    "SalesOrderPlacePayload", "salesOrder", SalesOrder, "Result of salesOrderPlace."
)
SalesOrderConfirmPayload = payload(
    "SalesOrderConfirmPayload", "salesOrder", SalesOrder, "Result of salesOrderConfirm."
)
SalesOrderCancelPayload = payload(
    "SalesOrderCancelPayload", "salesOrder", SalesOrder, "Result of salesOrderCancel."
)
SalesOrderUpdatePayload = payload(
    "SalesOrderUpdatePayload", "salesOrder", SalesOrder, "Result of salesOrderUpdate."
)
DeliveryCreatePayload = payload(
    "DeliveryCreatePayload", "delivery", Delivery, "Result of deliveryCreate."
)
DeliveryMarkDeliveredPayload = payload(
    "DeliveryMarkDeliveredPayload", "delivery", Delivery, "Result of deliveryMarkDelivered."
)
DeliveryMarkFailedPayload = payload(
    "DeliveryMarkFailedPayload", "delivery", Delivery, "Result of deliveryMarkFailed."
)


@strawberry.type
class OrderMutations:
    @strawberry.mutation(
        description="Place an order: priced by the customer's tier rules, stock reserved in the "
        "same transaction (INSUFFICIENT_STOCK names the SKU and what is available)."
    )
    async def sales_order_place(
        self, info: Info, input: Annotated[SalesOrderPlaceInput, INPUT]
    ) -> SalesOrderPlacePayload:
        return await run(
            info,
            SalesOrderPlacePayload,
            lambda session, journal: ordering.place(
                session=session,
                journal=journal,
                request=sales_orders.OrderRequest(
                    customer_id=decode(input.customer, "Customer", "customer"),
                    lines=order_lines(input.lines),
                    warehouse_id=decode_optional(input.warehouse, "Warehouse", "warehouse"),
                    sales_rep_id=decode_optional(input.sales_rep, "Employee", "salesRep"),
                    notes=input.notes,
                ),
            ),
            idempotency_key=input.idempotency_key,
            input=input,
        )

    @strawberry.mutation(description="Confirm an order; a draft reserves its stock now.")
    async def sales_order_confirm(
        self, info: Info, input: Annotated[SalesOrderConfirmInput, INPUT]
    ) -> SalesOrderConfirmPayload:
        return await run(
            info,
            SalesOrderConfirmPayload,
            lambda session, journal: sales_orders.confirm(
                session=session,
                journal=journal,
                order_id=decode(input.id, "SalesOrder", "id"),
                version=input.version,
            ),
            input=input,
        )

    @strawberry.mutation(description="Cancel an order and release its reservations.")
    async def sales_order_cancel(
        self, info: Info, input: Annotated[SalesOrderCancelInput, INPUT]
    ) -> SalesOrderCancelPayload:
        return await run(
            info,
            SalesOrderCancelPayload,
            lambda session, journal: sales_orders.cancel(
                session=session,
                journal=journal,
                order_id=decode(input.id, "SalesOrder", "id"),
                version=input.version,
                reason=input.reason,
            ),
            input=input,
        )

    @strawberry.mutation(description="Change an open order's notes or sales rep.")
    async def sales_order_update(
        self, info: Info, input: Annotated[SalesOrderUpdateInput, INPUT]
    ) -> SalesOrderUpdatePayload:
        def values() -> dict[str, object]:
            changes = given(input, "notes")
            if input.sales_rep is not strawberry.UNSET:
                changes["sales_rep_id"] = decode_optional(input.sales_rep, "Employee", "salesRep")
            return changes

        return await run(
            info,
            SalesOrderUpdatePayload,
            lambda session, journal: sales_orders.update(
                session=session,
                journal=journal,
                order_id=decode(input.id, "SalesOrder", "id"),
                version=input.version,
                given=values(),
            ),
            input=input,
        )

    @strawberry.mutation(
        description="Ship some or all open quantities of an order (stock leaves the warehouse)."
    )
    async def delivery_create(
        self, info: Info, input: Annotated[DeliveryCreateInput, INPUT]
    ) -> DeliveryCreatePayload:
        def shipment() -> deliveries.Shipment:
            lines = None
            if input.lines is not None:
                lines = [
                    deliveries.ShipLine(
                        decode(line.order_line, "SalesOrderLine", f"lines.{i}.orderLine"),
                        line.quantity,
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

        return await run(
            info,
            DeliveryCreatePayload,
            lambda session, journal: deliveries.create(
                session=session, journal=journal, shipment=shipment()
            ),
            input=input,
        )

    @strawberry.mutation(description="Record that a delivery arrived.")
    async def delivery_mark_delivered(
        self, info: Info, input: Annotated[DeliveryMarkDeliveredInput, INPUT]
    ) -> DeliveryMarkDeliveredPayload:
        return await run(
            info,
            DeliveryMarkDeliveredPayload,
            lambda session, journal: deliveries.mark_delivered(
                session=session,
                journal=journal,
                delivery_id=decode(input.id, "Delivery", "id"),
                delivered_at=input.delivered_at,
            ),
            input=input,
        )

    @strawberry.mutation(description="Record that a delivery failed.")
    async def delivery_mark_failed(
        self, info: Info, input: Annotated[DeliveryMarkFailedInput, INPUT]
    ) -> DeliveryMarkFailedPayload:
        return await run(
            info,
            DeliveryMarkFailedPayload,
            lambda session, journal: deliveries.mark_failed(
                session=session,
                journal=journal,
                delivery_id=decode(input.id, "Delivery", "id"),
                reason=input.reason,
            ),
            input=input,
        )
