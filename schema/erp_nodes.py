"""ERP node types: stock, sales orders, deliveries, invoices, payments, purchasing."""

from datetime import date, datetime
from decimal import Decimal
from types import ModuleType
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import Private, relay
from strawberry.types import Info

from schema import analytics, derived
from schema import enums as e
from schema import tables as t
from schema.base import TableNode, desc, loaders

if TYPE_CHECKING:
    from schema.nodes import Customer, Employee

CustomerRef = Annotated["Customer", strawberry.lazy("schema.nodes")]
EmployeeRef = Annotated["Employee", strawberry.lazy("schema.nodes")]


def _crm() -> ModuleType:
    # CRM node types import this module; resolving them at call time avoids the import cycle.
    import schema.nodes

    return schema.nodes


@strawberry.type(description="A warehouse holding stock.")
class Warehouse(TableNode):
    TABLE = t.warehouse
    id: relay.NodeID[int]
    code: str = desc("Short code.")
    name: str = desc("Name.")
    city: str | None = desc("City.")
    country: str | None = desc("ISO country code.")


@strawberry.type(description="A supplier of stock items.")
class Supplier(TableNode):
    TABLE = t.supplier
    id: relay.NodeID[int]
    code: str = desc("Supplier number.")
    name: str = desc("Name.")
    email: str | None = desc("Ordering email.")
    country: str | None = desc("ISO country code.")
    lead_time_days: int = desc("Typical days from order to receipt.")


@strawberry.type(description="Stock of one item in one warehouse.")
class StockLevel:
    on_hand: int = desc("Units physically in the warehouse.")
    reserved: int = desc("Units reserved for open orders.")
    warehouse_id: Private[int]

    @strawberry.field(description="Units that can still be sold (on hand minus reserved).")
    def available(self) -> int:
        return self.on_hand - self.reserved

    @strawberry.field(description="The warehouse.")
    async def warehouse(self, info: Info) -> Warehouse | None:
        return await Warehouse.load(info, self.warehouse_id)


@strawberry.type(description="A product or service the company sells.")
class StockItem(TableNode):
    TABLE = t.stock_item
    ENUMS = {"category": e.StockCategory}
    id: relay.NodeID[int]
    sku: str = desc("Stock keeping unit.")
    name: str = desc("Name.")
    category: e.StockCategory = desc("Category (price rules may depend on it).")
    description: str | None = desc("Description.")
    unit_price: Decimal = desc("List price before tier discounts.")
    unit_cost: Decimal | None = desc("Purchase cost (restricted to warehouse, finance, admins).")
    currency: str = desc("Currency of prices.")
    reorder_point: int = desc("Reorder when available stock falls below this.")
    pack_size: int = desc("Units per pack when reordering.")
    is_active: bool = desc("Still sold.")
    version: int = desc("Version for optimistic concurrency.")
    supplier_id: Private[int | None]

    @strawberry.field(description="Units on hand over all warehouses.")
    async def on_hand(self, info: Info) -> int:
        return (await derived.stock_totals(info, self.id))[0]

    @strawberry.field(description="Units reserved for open orders over all warehouses.")
    async def reserved(self, info: Info) -> int:
        return (await derived.stock_totals(info, self.id))[1]

    @strawberry.field(description="Units available to sell over all warehouses.")
    async def available(self, info: Info) -> int:
        on_hand, reserved = await derived.stock_totals(info, self.id)
        return on_hand - reserved

    @strawberry.field(description="Stock per warehouse.")
    async def stock_levels(self, info: Info) -> list[StockLevel]:
        rows = (
            await loaders(info)
            .children(t.stock_level, "stock_item_id", [t.stock_level.c.warehouse_id])
            .load(self.id)
        )
        return [
            StockLevel(on_hand=r["on_hand"], reserved=r["reserved"], warehouse_id=r["warehouse_id"])
            for r in rows
        ]

    @strawberry.field(description="The preferred supplier.")
    async def supplier(self, info: Info) -> Supplier | None:
        return await Supplier.load(info, self.supplier_id)

    @strawberry.field(description="Demand forecast and reorder suggestion; null until computed.")
    async def replenishment(self, info: Info) -> analytics.Replenishment | None:
        return await analytics.replenishment(info, self.id)

    @strawberry.field(description="Purchase orders still expecting this item.")
    async def open_purchase_orders(self, info: Info) -> list["PurchaseOrder"]:
        rows = await derived.open_purchase_orders(info, self.id)
        return PurchaseOrder.from_rows(rows)


@strawberry.type(description="One line of a sales order, priced by the server.")
class SalesOrderLine(TableNode):
    TABLE = t.sales_order_line
    id: relay.NodeID[int]
    line_no: int = desc("Position in the order.")
    quantity: int = desc("Units ordered.")
    list_price: Decimal = desc("List price when ordered.")
    discount_percent: Decimal = desc("Tier/quantity discount applied, in percent.")
    unit_price: Decimal = desc("Price per unit after discount.")
    line_total: Decimal = desc("Unit price × quantity (net of tax).")
    tax_amount: Decimal = desc("Tax on this line.")
    stock_item_id: Private[int]

    @strawberry.field(description="The item ordered.")
    async def stock_item(self, info: Info) -> StockItem | None:
        return await StockItem.load(info, self.stock_item_id)


@strawberry.type(description="A sale to a customer.")
class SalesOrder(TableNode):
    TABLE = t.sales_order
    ENUMS = {"status": e.OrderStatus}
    id: relay.NodeID[int]
    number: str = desc("Order number.")
    status: e.OrderStatus = desc("Lifecycle status.")
    currency: str = desc("Currency.")
    tax_rate: Decimal = desc("Tax rate applied (from the customer's country).")
    subtotal: Decimal = desc("Sum of line totals, net of tax.")
    discount_total: Decimal = desc("Discount granted against list prices.")
    tax_total: Decimal = desc("Tax.")
    total: Decimal = desc("Subtotal plus tax.")
    notes: str | None = desc("Notes.")
    ordered_at: datetime = desc("When the order was created.")
    version: int = desc("Version for optimistic concurrency.")
    customer_id: Private[int]
    sales_rep_id: Private[int | None]
    warehouse_id: Private[int]

    @strawberry.field(description="The customer.")
    async def customer(self, info: Info) -> CustomerRef | None:
        return await _crm().Customer.load(info, self.customer_id)

    @strawberry.field(description="The responsible sales employee.")
    async def sales_rep(self, info: Info) -> EmployeeRef | None:
        return await _crm().Employee.load(info, self.sales_rep_id)

    @strawberry.field(description="The warehouse fulfilling the order.")
    async def warehouse(self, info: Info) -> Warehouse | None:
        return await Warehouse.load(info, self.warehouse_id)

    @strawberry.field(description="Order lines.")
    async def lines(self, info: Info) -> list[SalesOrderLine]:
        rows = (
            await loaders(info)
            .children(t.sales_order_line, "sales_order_id", [t.sales_order_line.c.line_no])
            .load(self.id)
        )
        return SalesOrderLine.from_rows(rows)

    @strawberry.field(description="Shipments of this order.")
    async def deliveries(self, info: Info) -> list["Delivery"]:
        rows = (
            await loaders(info)
            .children(t.delivery, "sales_order_id", [t.delivery.c.shipped_at, t.delivery.c.id])
            .load(self.id)
        )
        return Delivery.from_rows(rows)

    @strawberry.field(description="Invoices for this order.")
    async def invoices(self, info: Info) -> list["Invoice"]:
        rows = (
            await loaders(info)
            .children(t.invoice, "sales_order_id", [t.invoice.c.issued_on, t.invoice.c.id])
            .load(self.id)
        )
        return Invoice.from_rows(rows)

    @strawberry.field(
        description="NOT_SHIPPED: nothing shipped (FAILED if only failed attempts); "
        "PARTIALLY_SHIPPED: some units shipped; IN_TRANSIT: all units shipped, some still on the "
        "way; DELIVERED: all units delivered. Failed deliveries do not count as shipped."
    )
    async def delivery_status(self, info: Info) -> e.OrderDeliveryStatus:
        return await derived.delivery_status(info, self.id)

    @strawberry.field(
        description="NOT_INVOICED: no valid invoice; PAID: nothing left due; OVERDUE: an "
        "invoice is past its due date; PARTIALLY_PAID: something paid, something due; "
        "UNPAID: nothing paid."
    )
    async def payment_status(self, info: Info) -> e.OrderPaymentStatus:
        return await derived.payment_status(info, self.id)


@strawberry.type(description="Units of an order line in a delivery.")
class DeliveryLine(TableNode):
    TABLE = t.delivery_line
    id: relay.NodeID[int]
    quantity: int = desc("Units shipped.")
    sales_order_line_id: Private[int]

    @strawberry.field(description="The order line shipped.")
    async def order_line(self, info: Info) -> SalesOrderLine | None:
        return await SalesOrderLine.load(info, self.sales_order_line_id)


@strawberry.type(description="A shipment of (part of) a sales order.")
class Delivery(TableNode):
    TABLE = t.delivery
    ENUMS = {"status": e.DeliveryStatus}
    id: relay.NodeID[int]
    number: str = desc("Delivery number.")
    status: e.DeliveryStatus = desc("In transit, delivered or failed.")
    carrier: str | None = desc("Carrier.")
    tracking_number: str | None = desc("Carrier's tracking number.")
    shipped_at: datetime = desc("When it left the warehouse.")
    expected_at: datetime | None = desc("Promised arrival.")
    delivered_at: datetime | None = desc("Actual arrival.")
    failed_at: datetime | None = desc("When delivery failed.")
    failure_reason: str | None = desc("Why it failed.")
    sales_order_id: Private[int]

    @strawberry.field(description="True when delivered after the promised time.")
    def is_late(self) -> bool:
        return bool(self.delivered_at and self.expected_at and self.delivered_at > self.expected_at)

    @strawberry.field(description="The order.")
    async def sales_order(self, info: Info) -> SalesOrder | None:
        return await SalesOrder.load(info, self.sales_order_id)

    @strawberry.field(description="What was shipped.")
    async def lines(self, info: Info) -> list[DeliveryLine]:
        rows = (
            await loaders(info)
            .children(t.delivery_line, "delivery_id", [t.delivery_line.c.id])
            .load(self.id)
        )
        return DeliveryLine.from_rows(rows)


@strawberry.type(description="A payment received against an invoice.")
class Payment(TableNode):
    TABLE = t.payment
    ENUMS = {"method": e.PaymentMethod}
    id: relay.NodeID[int]
    number: str = desc("Payment number.")
    amount: Decimal = desc("Amount received.")
    currency: str = desc("Currency.")
    method: e.PaymentMethod = desc("How it was paid.")
    reference: str | None = desc("Bank or card reference.")
    received_at: datetime = desc("When it was received.")
    invoice_id: Private[int]
    customer_id: Private[int]

    @strawberry.field(description="The invoice paid.")
    async def invoice(self, info: Info) -> "Invoice | None":
        return await Invoice.load(info, self.invoice_id)

    @strawberry.field(description="The paying customer.")
    async def customer(self, info: Info) -> CustomerRef | None:
        return await _crm().Customer.load(info, self.customer_id)


@strawberry.type(description="A bill to a customer.")
class Invoice(TableNode):
    TABLE = t.invoice
    ENUMS = {"status": e.InvoiceStatus}
    id: relay.NodeID[int]
    number: str = desc("Invoice number.")
    status: e.InvoiceStatus = desc("Issued, partially paid, paid or void.")
    currency: str = desc("Currency.")
    issued_on: date = desc("Issue date.")
    due_on: date = desc("Payment due date.")
    subtotal: Decimal = desc("Net amount.")
    tax_total: Decimal = desc("Tax.")
    total: Decimal = desc("Gross amount.")
    void_reason: str | None = desc("Why it was voided.")
    customer_id: Private[int]
    sales_order_id: Private[int | None]

    @strawberry.field(description="Issue date, as an alias of `issuedOn` for clients expecting it.")
    def issued_at(self) -> date:
        return self.issued_on

    @strawberry.field(description="Due date (same as `dueOn`).")
    def due_at(self) -> date:
        return self.due_on

    @strawberry.field(description="Sum of payments received.")
    async def amount_paid(self, info: Info) -> Decimal:
        return (await derived.invoice_amounts(info, self.id)).paid

    @strawberry.field(description="Total minus payments (zero for void invoices).")
    async def amount_due(self, info: Info) -> Decimal:
        return (await derived.invoice_amounts(info, self.id)).due

    @strawberry.field(description="Something is due and the due date has passed.")
    async def is_overdue(self, info: Info) -> bool:
        return (await derived.invoice_amounts(info, self.id)).days_overdue > 0

    @strawberry.field(description="Days past the due date while something is due (0 otherwise).")
    async def days_overdue(self, info: Info) -> int:
        return (await derived.invoice_amounts(info, self.id)).days_overdue

    @strawberry.field(description="The customer billed.")
    async def customer(self, info: Info) -> CustomerRef | None:
        return await _crm().Customer.load(info, self.customer_id)

    @strawberry.field(description="The order invoiced.")
    async def sales_order(self, info: Info) -> SalesOrder | None:
        return await SalesOrder.load(info, self.sales_order_id)

    @strawberry.field(description="Payments against this invoice.")
    async def payments(self, info: Info) -> list[Payment]:
        rows = (
            await loaders(info)
            .children(t.payment, "invoice_id", [t.payment.c.received_at, t.payment.c.id])
            .load(self.id)
        )
        return Payment.from_rows(rows)


@strawberry.type(description="One line of a purchase order.")
class PurchaseOrderLine:
    quantity: int = desc("Units ordered.")
    quantity_received: int = desc("Units received so far.")
    unit_cost: Decimal = desc("Cost per unit.")
    stock_item_id: Private[int]

    @strawberry.field(description="The item.")
    async def stock_item(self, info: Info) -> StockItem | None:
        return await StockItem.load(info, self.stock_item_id)


@strawberry.type(description="An order to a supplier.")
class PurchaseOrder(TableNode):
    TABLE = t.purchase_order
    ENUMS = {"status": e.PurchaseOrderStatus}
    id: relay.NodeID[int]
    number: str = desc("Purchase order number.")
    status: e.PurchaseOrderStatus = desc("Lifecycle status.")
    currency: str = desc("Currency.")
    total: Decimal = desc("Total cost.")
    ordered_at: datetime = desc("When it was ordered.")
    expected_on: date | None = desc("Expected arrival.")
    supplier_id: Private[int]
    warehouse_id: Private[int]

    @strawberry.field(description="The supplier.")
    async def supplier(self, info: Info) -> Supplier | None:
        return await Supplier.load(info, self.supplier_id)

    @strawberry.field(description="The receiving warehouse.")
    async def warehouse(self, info: Info) -> Warehouse | None:
        return await Warehouse.load(info, self.warehouse_id)

    @strawberry.field(description="Lines.")
    async def lines(self, info: Info) -> list[PurchaseOrderLine]:
        rows = (
            await loaders(info)
            .children(t.purchase_order_line, "purchase_order_id", [t.purchase_order_line.c.id])
            .load(self.id)
        )
        return [
            PurchaseOrderLine(
                quantity=r["quantity"],
                quantity_received=r["quantity_received"],
                unit_cost=r["unit_cost"],
                stock_item_id=r["stock_item_id"],
            )
            for r in rows
        ]
