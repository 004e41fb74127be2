"""Sales orders and their lines: the types, the root list, placing and changing orders."""

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from domain.erp import fulfilment_status, order_edits, sales_orders
from domain.erp.models import SalesOrder as SalesOrderModel
from domain.erp.models import SalesOrderLine as SalesOrderLineModel
from domain.erp.order_states import ORDER_STATUSES
from domain.flows import ordering
from domain.production import reads as production
from schema.core import filters, sql
from schema.core.aggregates import aggregate_field
from schema.core.connections import by_date, root_connection
from schema.core.enums import vocabulary_enum
from schema.core.ids import decode, decode_optional
from schema.core.mutations import given, mutation, retry_key
from schema.core.nodes import TableNode, desc, row_value
from schema.core.relations import Children, Computed, ToOne
from schema.crm.customers import Customer, CustomerTier
from schema.erp.employees import Employee
from schema.erp.stock_items import StockItem
from schema.erp.warehouses import Warehouse

if TYPE_CHECKING:
    from schema.erp.deliveries import Delivery
    from schema.erp.invoices import Invoice

DeliveryRef = Annotated["Delivery", strawberry.lazy("schema.erp.deliveries")]
InvoiceRef = Annotated["Invoice", strawberry.lazy("schema.erp.invoices")]

OrderStatus = vocabulary_enum("SalesOrderStatus", ORDER_STATUSES, "Lifecycle of a sales order.")


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


# Delivery and payment status of an order come from one statement; both are stored values
# of the enums below, which GraphQL serialises by value.
STATUSES = sql.row_per_key("order_statuses", fulfilment_status.order_statuses, key="id")
NOT_SHIPPED: Any = OrderDeliveryStatus.NOT_SHIPPED.value
NOT_INVOICED: Any = OrderPaymentStatus.NOT_INVOICED.value


@strawberry.type(description="One line of a sales order, priced by the server.")
class SalesOrderLine(TableNode):
    MODEL = SalesOrderLineModel
    id: relay.NodeID[int]
    line_no: int = desc("Position in the order.")
    quantity: int = desc("Units ordered.")
    list_price: Decimal = desc("List price when ordered.")
    discount_percent: Decimal = desc("Tier/quantity discount applied, in percent.")
    unit_price: Decimal = desc("Price per unit after discount.")
    line_total: Decimal = desc("Unit price × quantity (net of tax).")
    tax_amount: Decimal = desc("Tax on this line.")

    promised_on: date | None = row_value(
        production.promised_on,
        "For a manufactured item: the day its units are promised, the due day of the work "
        "order made for this line; null while none is under way.",
    )

    stock_item: StockItem | None = ToOne[StockItem]("stock_item_id").field("The item ordered.")
    sales_order: "SalesOrder | None" = ToOne["SalesOrder"]("sales_order_id").field(
        "The order this line belongs to."
    )


@strawberry.type(description="A sale to a customer.")
class SalesOrder(TableNode):
    MODEL = SalesOrderModel
    id: relay.NodeID[int]
    number: str = desc("Order number.")
    status: OrderStatus = desc("Lifecycle status.")
    customer_tier: CustomerTier = desc(
        "The customer's tier when the order was placed (its prices followed it); the "
        "customer's tier today is `customer.tier`."
    )
    currency: str = desc("Currency.")
    tax_rate: Decimal = desc("Tax rate applied (from the customer's country).")
    subtotal: Decimal = desc("Sum of line totals, net of tax.")
    discount_total: Decimal = desc("Discount granted against list prices.")
    tax_total: Decimal = desc("Tax.")
    total: Decimal = desc("Subtotal plus tax.")
    notes: str | None = desc("Notes.")
    ordered_at: datetime = desc("When the order was created.")
    version: int = desc("Version for optimistic concurrency.")
    waits_on_production: bool = row_value(
        production.waits_on_production,
        "A work order made for one of its lines is still open: the order waits on production.",
    )

    customer: Customer | None = ToOne[Customer]("customer_id").field("The customer.")
    sales_rep: Employee | None = ToOne[Employee]("sales_rep_id").field(
        "The responsible sales employee."
    )
    warehouse: Warehouse | None = ToOne[Warehouse]("warehouse_id").field(
        "The warehouse fulfilling the order."
    )
    lines: list[SalesOrderLine] = Children[SalesOrderLine](
        "sales_order_id", order=("line_no",), estimated_items=5
    ).field("Order lines.")
    deliveries: list[DeliveryRef] = Children["Delivery"](
        "sales_order_id", order=("shipped_at", "id"), estimated_items=2
    ).field("Shipments of this order.")
    invoices: list[InvoiceRef] | None = Children["Invoice"](
        "sales_order_id", order=("issued_on", "id"), estimated_items=2
    ).field("Invoices for this order.")
    delivery_status: OrderDeliveryStatus = Computed(STATUSES, "delivery_status", NOT_SHIPPED).field(
        "NOT_SHIPPED: nothing shipped (FAILED if only failed attempts); "
        "PARTIALLY_SHIPPED: some units shipped; IN_TRANSIT: all units shipped, some still on the "
        "way; DELIVERED: all units delivered. Failed deliveries do not count as shipped."
    )
    payment_status: OrderPaymentStatus | None = Computed(
        STATUSES, "payment_status", NOT_INVOICED
    ).field(
        "NOT_INVOICED: no valid invoice; PAID: nothing left due; OVERDUE: an "
        "invoice is past its due date; PARTIALLY_PAID: something paid, something due; "
        "UNPAID: nothing paid. Null for roles that may not read receivables (invoices and "
        "payments)."
    )


@strawberry.input(description="Filters for sales orders.")
class SalesOrderFilter:
    status: list[OrderStatus] | None = filters.any_of("status", "Any of these statuses.")
    customer: relay.GlobalID | None = filters.node("customer_id", "Customer", "Of this customer.")
    sales_rep: relay.GlobalID | None = filters.node(
        "sales_rep_id", "Employee", "Owned by this employee."
    )
    search: str | None = filters.search("number", description="Text in the order number.")
    ordered_from: datetime | None = filters.at_least("ordered_at", "Ordered at or after.")
    ordered_to: datetime | None = filters.at_most("ordered_at", "Ordered at or before.")


@strawberry.type
class SalesOrderQueries:
    sales_orders = root_connection(
        SalesOrder,
        description="Sales orders by order date.",
        sort=by_date("ordered_at"),
        filter=SalesOrderFilter,
    )
    sales_orders_aggregate = aggregate_field(
        SalesOrder, "Sales orders grouped, with counts and sums per group (one statement)."
    )


@strawberry.input(description="An item and quantity.")
class OrderLineInput:
    stock_item: strawberry.ID = strawberry.field(description="The stock item.")
    quantity: int = strawberry.field(description="Units (1 to 1,000,000).")


def order_lines(lines: list[OrderLineInput]) -> list[sales_orders.LineRequest]:
    """The domain's order lines of an input's lines (IDs decoded, errors naming the line)."""
    return [
        sales_orders.LineRequest(
            decode(line.stock_item, "StockItem", f"lines.{i}.stockItem"), line.quantity
        )
        for i, line in enumerate(lines)
    ]


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
    idempotency_key: str | None = retry_key("placing a second order")


@strawberry.input(description="Confirm a draft or placed order.")
class SalesOrderConfirmInput:
    id: strawberry.ID = strawberry.field(description="The order.")
    version: int | None = strawberry.field(default=None, description="Version you read, if any.")
    idempotency_key: str | None = retry_key("confirming it twice")


@strawberry.input(description="Cancel an order none of which has shipped.")
class SalesOrderCancelInput:
    id: strawberry.ID = strawberry.field(description="The order.")
    reason: str | None = strawberry.field(default=None, description="Why (kept in the audit log).")
    version: int | None = strawberry.field(default=None, description="Version you read, if any.")
    idempotency_key: str | None = retry_key("cancelling it twice")


@strawberry.input(description="Changes to an open order; fields left out keep their value.")
class SalesOrderUpdateInput:
    id: strawberry.ID = strawberry.field(description="The order.")
    version: int = strawberry.field(description="The version you read; a newer one is a CONFLICT.")
    notes: str | None = strawberry.field(default=strawberry.UNSET, description="Notes.")
    sales_rep: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Responsible employee; a sales rep may name only themselves.",
    )


@strawberry.input(
    description="Add a line to an order nothing of which has shipped; it is priced today."
)
class SalesOrderLineAddInput:
    order: strawberry.ID = strawberry.field(description="The order.")
    version: int = strawberry.field(
        description="The order's version you read; a newer one is a CONFLICT."
    )
    stock_item: strawberry.ID = strawberry.field(description="The stock item.")
    quantity: int = strawberry.field(description="Units (1 to 1,000,000).")
    idempotency_key: str | None = retry_key("adding the line twice")


@strawberry.input(description="Change a line's quantity; the line is priced again today.")
class SalesOrderLineChangeInput:
    line: strawberry.ID = strawberry.field(description="The order line.")
    version: int = strawberry.field(
        description="The order's version you read; a newer one is a CONFLICT."
    )
    quantity: int = strawberry.field(description="Units (1 to 1,000,000).")
    idempotency_key: str | None = retry_key("changing it twice")


@strawberry.input(description="Remove a line from an order (not its last: cancel the order).")
class SalesOrderLineRemoveInput:
    line: strawberry.ID = strawberry.field(description="The order line.")
    version: int = strawberry.field(
        description="The order's version you read; a newer one is a CONFLICT."
    )
    idempotency_key: str | None = retry_key("removing it twice")


def _order(input: SalesOrderPlaceInput) -> sales_orders.OrderRequest:
    return sales_orders.OrderRequest(
        customer_id=decode(input.customer, "Customer", "customer"),
        lines=order_lines(input.lines),
        warehouse_id=decode_optional(input.warehouse, "Warehouse", "warehouse"),
        sales_rep_id=decode_optional(input.sales_rep, "Employee", "salesRep"),
        notes=input.notes,
    )


def _changes(input: SalesOrderUpdateInput) -> dict[str, object]:
    changes = given(input, "notes")
    if input.sales_rep is not strawberry.UNSET:
        changes["sales_rep_id"] = decode_optional(input.sales_rep, "Employee", "salesRep")
    return changes


@strawberry.type
class SalesOrderMutations:
    sales_order_place = mutation(
        SalesOrderPlaceInput,
        SalesOrder,
        "Place an order: priced by the customer's tier rules, stock reserved in the same "
        "transaction (INSUFFICIENT_STOCK names the SKU and what is available).",
        lambda input, session, journal: ordering.place(
            session=session, journal=journal, request=_order(input)
        ),
    )
    sales_order_confirm = mutation(
        SalesOrderConfirmInput,
        SalesOrder,
        "Confirm an order; a draft reserves its stock now.",
        lambda input, session, journal: sales_orders.confirm(
            session=session,
            journal=journal,
            order_id=decode(input.id, "SalesOrder", "id"),
            version=input.version,
        ),
    )
    sales_order_cancel = mutation(
        SalesOrderCancelInput,
        SalesOrder,
        "Cancel an order and release its reservations.",
        lambda input, session, journal: sales_orders.cancel(
            session=session,
            journal=journal,
            order_id=decode(input.id, "SalesOrder", "id"),
            version=input.version,
            reason=input.reason,
        ),
    )
    sales_order_update = mutation(
        SalesOrderUpdateInput,
        SalesOrder,
        "Change an open order's notes or sales rep.",
        lambda input, session, journal: sales_orders.update(
            session=session,
            journal=journal,
            order_id=decode(input.id, "SalesOrder", "id"),
            version=input.version,
            given=_changes(input),
        ),
    )
    sales_order_line_add = mutation(
        SalesOrderLineAddInput,
        SalesOrder,
        "Add a line to an order nothing of which has shipped: priced for the customer today, "
        "its stock reserved if the order holds stock, the credit limit checked again.",
        lambda input, session, journal: order_edits.add(
            session=session,
            journal=journal,
            order_id=decode(input.order, "SalesOrder", "order"),
            version=input.version,
            line=sales_orders.LineRequest(
                decode(input.stock_item, "StockItem", "stockItem"), input.quantity
            ),
        ),
    )
    sales_order_line_change = mutation(
        SalesOrderLineChangeInput,
        SalesOrder,
        "Change the quantity of a line of an order nothing of which has shipped: the line "
        "priced again today, the difference reserved or released.",
        lambda input, session, journal: order_edits.change(
            session=session,
            journal=journal,
            line_id=decode(input.line, "SalesOrderLine", "line"),
            version=input.version,
            quantity=input.quantity,
        ),
    )
    sales_order_line_remove = mutation(
        SalesOrderLineRemoveInput,
        SalesOrder,
        "Remove a line from an order nothing of which has shipped; its reservation is released.",
        lambda input, session, journal: order_edits.remove(
            session=session,
            journal=journal,
            line_id=decode(input.line, "SalesOrderLine", "line"),
            version=input.version,
        ),
    )
