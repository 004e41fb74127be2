"""ERP node types: stock, sales orders, deliveries, invoices, payments, purchasing."""

from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter, itemgetter
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import Private, relay
from strawberry.types import Info

from schema import analytics, derived
from schema import enums as e
from schema import relations as r
from schema import tables as t
from schema.base import FromRow, TableNode, desc
from schema.loaders import newest_first
from schema.pagination import Connection

if TYPE_CHECKING:
    from schema.nodes import Customer, Employee

CustomerRef = Annotated["Customer", strawberry.lazy("schema.nodes")]
EmployeeRef = Annotated["Employee", strawberry.lazy("schema.nodes")]

First = Annotated[
    int | None, strawberry.argument(description="Page size (at most 100; default 20).")
]
After = Annotated[
    str | None, strawberry.argument(description="Rows after this cursor (`endCursor`).")
]


def _crm() -> ModuleType:
    # CRM node types import this module; resolving them at call time avoids the import cycle.
    import schema.nodes

    return schema.nodes


def _customer() -> Any:
    return _crm().Customer


def _employee() -> Any:
    return _crm().Employee


@strawberry.type(description="A warehouse holding stock.")
class Warehouse(TableNode):
    TABLE = t.warehouse
    id: relay.NodeID[int]
    code: str = desc("Short code.")
    name: str = desc("Name.")
    city: str | None = desc("City.")
    country: str | None = desc("ISO country code.")


SUPPLIER_ITEMS = r.children(
    "Supplier.stockItems",
    lambda: StockItem,
    t.stock_item,
    "supplier_id",
    [t.stock_item.c.sku],
    estimated_items=50,
)
SUPPLIER_ORDERS = r.page(
    "Supplier.purchaseOrders",
    lambda: PurchaseOrder,
    "supplier_id",
    newest_first(t.purchase_order, "ordered_at"),
)


@strawberry.type(description="A supplier of stock items.")
class Supplier(TableNode):
    TABLE = t.supplier
    RELATIONS = {"stockItems": SUPPLIER_ITEMS, "purchaseOrders": SUPPLIER_ORDERS}
    id: relay.NodeID[int]
    code: str = desc("Supplier number.")
    name: str = desc("Name.")
    email: str | None = desc("Ordering email.")
    country: str | None = desc("ISO country code.")
    lead_time_days: int = desc("Typical days from order to receipt.")

    @strawberry.field(description="Items this supplier is the preferred source of, by SKU.")
    def stock_items(self, info: Info) -> list["StockItem"]:
        return r.related(self, info, SUPPLIER_ITEMS)

    @strawberry.field(description="Purchase orders sent to this supplier, newest first.")
    def purchase_orders(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection["PurchaseOrder"]:
        return r.related(self, info, SUPPLIER_ORDERS, first=first, after=after)


LEVEL_WAREHOUSE = r.to_one("StockLevel.warehouse", lambda: Warehouse, "warehouse_id")
LEVEL_ITEM = r.to_one("StockLevel.stockItem", lambda: StockItem, "stock_item_id")


@strawberry.type(description="Stock of one item in one warehouse.")
class StockLevel(FromRow):
    RELATIONS = {"warehouse": LEVEL_WAREHOUSE, "stockItem": LEVEL_ITEM}
    on_hand: int = desc("Units physically in the warehouse.")
    reserved: int = desc("Units reserved for open orders.")
    warehouse_id: Private[int]
    stock_item_id: Private[int]

    @strawberry.field(description="Units that can still be sold (on hand minus reserved).")
    def available(self) -> int:
        return self.on_hand - self.reserved

    @strawberry.field(description="The warehouse.")
    def warehouse(self, info: Info) -> Warehouse | None:
        return r.related(self, info, LEVEL_WAREHOUSE)

    @strawberry.field(description="The stock item.")
    def stock_item(self, info: Info) -> "StockItem | None":
        return r.related(self, info, LEVEL_ITEM)


ITEM_TOTALS = r.derived("StockItem.totals", derived.stock_totals)
ITEM_ON_HAND = ITEM_TOTALS.picking(itemgetter(0))
ITEM_RESERVED = ITEM_TOTALS.picking(itemgetter(1))
ITEM_LEVELS = r.children(
    "StockItem.stockLevels",
    lambda: StockLevel,
    t.stock_level,
    "stock_item_id",
    [t.stock_level.c.warehouse_id],
    estimated_items=5,
)
ITEM_SUPPLIER = r.to_one("StockItem.supplier", lambda: Supplier, "supplier_id")
ITEM_OPEN_ORDERS = r.derived(
    "StockItem.openPurchaseOrders",
    derived.open_purchase_orders(lambda: PurchaseOrder),
    nodes=lambda orders: orders,
    estimated_items=5,
)


def _available(totals: tuple[int, int]) -> int:
    return totals[0] - totals[1]


ITEM_AVAILABLE = ITEM_TOTALS.picking(_available)


@strawberry.type(description="A product or service the company sells.")
class StockItem(TableNode):
    TABLE = t.stock_item
    RELATIONS = {
        "onHand": ITEM_ON_HAND,
        "reserved": ITEM_RESERVED,
        "available": ITEM_AVAILABLE,
        "stockLevels": ITEM_LEVELS,
        "supplier": ITEM_SUPPLIER,
        "openPurchaseOrders": ITEM_OPEN_ORDERS,
    }
    id: relay.NodeID[int]
    sku: str = desc("Stock keeping unit.")
    name: str = desc("Name.")
    category: e.StockCategory = desc("Category (price rules may depend on it).")
    description: str | None = desc("Description.")
    unit_price: Decimal = desc("List price before tier discounts.")
    unit_cost: Decimal | None = desc("Purchase cost (restricted to warehouse, finance, admins).")
    currency: str = desc("Currency of prices.")
    reorder_point: int = desc(
        "Reorder when available stock plus what is on order is at or below this."
    )
    pack_size: int = desc("Units per pack when reordering.")
    is_active: bool = desc("Still sold.")
    version: int = desc("Version for optimistic concurrency.")
    supplier_id: Private[int | None]

    @strawberry.field(description="Units on hand over all warehouses.")
    def on_hand(self, info: Info) -> int:
        return r.related(self, info, ITEM_ON_HAND)

    @strawberry.field(description="Units reserved for open orders over all warehouses.")
    def reserved(self, info: Info) -> int:
        return r.related(self, info, ITEM_RESERVED)

    @strawberry.field(description="Units available to sell over all warehouses.")
    def available(self, info: Info) -> int:
        return r.related(self, info, ITEM_AVAILABLE)

    @strawberry.field(description="Stock per warehouse.")
    def stock_levels(self, info: Info) -> list[StockLevel]:
        return r.related(self, info, ITEM_LEVELS)

    @strawberry.field(description="The preferred supplier.")
    def supplier(self, info: Info) -> Supplier | None:
        return r.related(self, info, ITEM_SUPPLIER)

    @strawberry.field(description="Demand forecast and reorder suggestion; null until computed.")
    async def replenishment(self, info: Info) -> analytics.Replenishment | None:
        return await analytics.replenishment(info, self.id)

    @strawberry.field(description="Purchase orders still expecting this item.")
    def open_purchase_orders(self, info: Info) -> list["PurchaseOrder"] | None:
        return r.related(self, info, ITEM_OPEN_ORDERS)


LINE_ITEM = r.to_one("SalesOrderLine.stockItem", lambda: StockItem, "stock_item_id")
LINE_ORDER = r.to_one("SalesOrderLine.salesOrder", lambda: SalesOrder, "sales_order_id")


@strawberry.type(description="One line of a sales order, priced by the server.")
class SalesOrderLine(TableNode):
    TABLE = t.sales_order_line
    RELATIONS = {"stockItem": LINE_ITEM, "salesOrder": LINE_ORDER}
    id: relay.NodeID[int]
    line_no: int = desc("Position in the order.")
    quantity: int = desc("Units ordered.")
    list_price: Decimal = desc("List price when ordered.")
    discount_percent: Decimal = desc("Tier/quantity discount applied, in percent.")
    unit_price: Decimal = desc("Price per unit after discount.")
    line_total: Decimal = desc("Unit price × quantity (net of tax).")
    tax_amount: Decimal = desc("Tax on this line.")
    stock_item_id: Private[int]
    sales_order_id: Private[int]

    @strawberry.field(description="The item ordered.")
    def stock_item(self, info: Info) -> StockItem | None:
        return r.related(self, info, LINE_ITEM)

    @strawberry.field(description="The order this line belongs to.")
    def sales_order(self, info: Info) -> "SalesOrder | None":
        return r.related(self, info, LINE_ORDER)


ORDER_CUSTOMER = r.to_one("SalesOrder.customer", _customer, "customer_id")
ORDER_REP = r.to_one("SalesOrder.salesRep", _employee, "sales_rep_id")
ORDER_WAREHOUSE = r.to_one("SalesOrder.warehouse", lambda: Warehouse, "warehouse_id")
ORDER_LINES = r.children(
    "SalesOrder.lines",
    lambda: SalesOrderLine,
    t.sales_order_line,
    "sales_order_id",
    [t.sales_order_line.c.line_no],
    estimated_items=5,
)
ORDER_DELIVERIES = r.children(
    "SalesOrder.deliveries",
    lambda: Delivery,
    t.delivery,
    "sales_order_id",
    [t.delivery.c.shipped_at, t.delivery.c.id],
    estimated_items=2,
)
ORDER_INVOICES = r.children(
    "SalesOrder.invoices",
    lambda: Invoice,
    t.invoice,
    "sales_order_id",
    [t.invoice.c.issued_on, t.invoice.c.id],
    estimated_items=2,
)
ORDER_STATUSES = r.derived("SalesOrder.statuses", derived.order_statuses)
ORDER_DELIVERY_STATUS = ORDER_STATUSES.picking(itemgetter(0))
ORDER_PAYMENT_STATUS = ORDER_STATUSES.picking(itemgetter(1))


@strawberry.type(description="A sale to a customer.")
class SalesOrder(TableNode):
    TABLE = t.sales_order
    RELATIONS = {
        "customer": ORDER_CUSTOMER,
        "salesRep": ORDER_REP,
        "warehouse": ORDER_WAREHOUSE,
        "lines": ORDER_LINES,
        "deliveries": ORDER_DELIVERIES,
        "invoices": ORDER_INVOICES,
        "deliveryStatus": ORDER_DELIVERY_STATUS,
        "paymentStatus": ORDER_PAYMENT_STATUS,
    }
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
    def customer(self, info: Info) -> CustomerRef | None:
        return r.related(self, info, ORDER_CUSTOMER)

    @strawberry.field(description="The responsible sales employee.")
    def sales_rep(self, info: Info) -> EmployeeRef | None:
        return r.related(self, info, ORDER_REP)

    @strawberry.field(description="The warehouse fulfilling the order.")
    def warehouse(self, info: Info) -> Warehouse | None:
        return r.related(self, info, ORDER_WAREHOUSE)

    @strawberry.field(description="Order lines.")
    def lines(self, info: Info) -> list[SalesOrderLine]:
        return r.related(self, info, ORDER_LINES)

    @strawberry.field(description="Shipments of this order.")
    def deliveries(self, info: Info) -> list["Delivery"]:
        return r.related(self, info, ORDER_DELIVERIES)

    @strawberry.field(description="Invoices for this order.")
    def invoices(self, info: Info) -> list["Invoice"] | None:
        return r.related(self, info, ORDER_INVOICES)

    @strawberry.field(
        description="NOT_SHIPPED: nothing shipped (FAILED if only failed attempts); "
        "PARTIALLY_SHIPPED: some units shipped; IN_TRANSIT: all units shipped, some still on the "
        "way; DELIVERED: all units delivered. Failed deliveries do not count as shipped."
    )
    def delivery_status(self, info: Info) -> e.OrderDeliveryStatus:
        return r.related(self, info, ORDER_DELIVERY_STATUS)

    @strawberry.field(
        description="NOT_INVOICED: no valid invoice; PAID: nothing left due; OVERDUE: an "
        "invoice is past its due date; PARTIALLY_PAID: something paid, something due; "
        "UNPAID: nothing paid. Null for roles that may not read receivables (invoices and "
        "payments)."
    )
    def payment_status(self, info: Info) -> e.OrderPaymentStatus | None:
        return r.related(self, info, ORDER_PAYMENT_STATUS)


DELIVERY_LINE_ORDER_LINE = r.to_one(
    "DeliveryLine.orderLine", lambda: SalesOrderLine, "sales_order_line_id"
)
DELIVERY_LINE_DELIVERY = r.to_one("DeliveryLine.delivery", lambda: Delivery, "delivery_id")


@strawberry.type(description="Units of an order line in a delivery.")
class DeliveryLine(TableNode):
    TABLE = t.delivery_line
    RELATIONS = {"orderLine": DELIVERY_LINE_ORDER_LINE, "delivery": DELIVERY_LINE_DELIVERY}
    id: relay.NodeID[int]
    quantity: int = desc("Units shipped.")
    sales_order_line_id: Private[int]
    delivery_id: Private[int]

    @strawberry.field(description="The order line shipped.")
    def order_line(self, info: Info) -> SalesOrderLine | None:
        return r.related(self, info, DELIVERY_LINE_ORDER_LINE)

    @strawberry.field(description="The delivery this line belongs to.")
    def delivery(self, info: Info) -> "Delivery | None":
        return r.related(self, info, DELIVERY_LINE_DELIVERY)


DELIVERY_ORDER = r.to_one("Delivery.salesOrder", lambda: SalesOrder, "sales_order_id")
DELIVERY_LINES = r.children(
    "Delivery.lines",
    lambda: DeliveryLine,
    t.delivery_line,
    "delivery_id",
    [t.delivery_line.c.id],
    estimated_items=5,
)


@strawberry.type(description="A shipment of (part of) a sales order.")
class Delivery(TableNode):
    TABLE = t.delivery
    RELATIONS = {"salesOrder": DELIVERY_ORDER, "lines": DELIVERY_LINES}
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
    def sales_order(self, info: Info) -> SalesOrder | None:
        return r.related(self, info, DELIVERY_ORDER)

    @strawberry.field(description="What was shipped.")
    def lines(self, info: Info) -> list[DeliveryLine]:
        return r.related(self, info, DELIVERY_LINES)


PAYMENT_INVOICE = r.to_one("Payment.invoice", lambda: Invoice, "invoice_id")
PAYMENT_CUSTOMER = r.to_one("Payment.customer", _customer, "customer_id")


@strawberry.type(description="A payment received against an invoice.")
class Payment(TableNode):
    TABLE = t.payment
    RELATIONS = {"invoice": PAYMENT_INVOICE, "customer": PAYMENT_CUSTOMER}
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
    def invoice(self, info: Info) -> "Invoice | None":
        return r.related(self, info, PAYMENT_INVOICE)

    @strawberry.field(description="The paying customer.")
    def customer(self, info: Info) -> CustomerRef | None:
        return r.related(self, info, PAYMENT_CUSTOMER)


INVOICE_AMOUNTS = r.derived("Invoice.amounts", derived.invoice_amounts)
INVOICE_CUSTOMER = r.to_one("Invoice.customer", _customer, "customer_id")
INVOICE_ORDER = r.to_one("Invoice.salesOrder", lambda: SalesOrder, "sales_order_id")
INVOICE_PAYMENTS = r.children(
    "Invoice.payments",
    lambda: Payment,
    t.payment,
    "invoice_id",
    [t.payment.c.received_at, t.payment.c.id],
    estimated_items=3,
)


def _is_overdue(amounts: derived.InvoiceAmounts) -> bool:
    return amounts.days_overdue > 0


AMOUNT_PAID = INVOICE_AMOUNTS.picking(attrgetter("paid"))
AMOUNT_DUE = INVOICE_AMOUNTS.picking(attrgetter("due"))
IS_OVERDUE = INVOICE_AMOUNTS.picking(_is_overdue)
DAYS_OVERDUE = INVOICE_AMOUNTS.picking(attrgetter("days_overdue"))


@strawberry.type(description="A bill to a customer.")
class Invoice(TableNode):
    TABLE = t.invoice
    RELATIONS = {
        "amountPaid": AMOUNT_PAID,
        "amountDue": AMOUNT_DUE,
        "isOverdue": IS_OVERDUE,
        "daysOverdue": DAYS_OVERDUE,
        "customer": INVOICE_CUSTOMER,
        "salesOrder": INVOICE_ORDER,
        "payments": INVOICE_PAYMENTS,
    }
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
    def amount_paid(self, info: Info) -> Decimal:
        return r.related(self, info, AMOUNT_PAID)

    @strawberry.field(description="Total minus payments (zero for void invoices).")
    def amount_due(self, info: Info) -> Decimal:
        return r.related(self, info, AMOUNT_DUE)

    @strawberry.field(description="Something is due and the due date has passed.")
    def is_overdue(self, info: Info) -> bool:
        return r.related(self, info, IS_OVERDUE)

    @strawberry.field(description="Days past the due date while something is due (0 otherwise).")
    def days_overdue(self, info: Info) -> int:
        return r.related(self, info, DAYS_OVERDUE)

    @strawberry.field(description="The customer billed.")
    def customer(self, info: Info) -> CustomerRef | None:
        return r.related(self, info, INVOICE_CUSTOMER)

    @strawberry.field(description="The order invoiced.")
    def sales_order(self, info: Info) -> SalesOrder | None:
        return r.related(self, info, INVOICE_ORDER)

    @strawberry.field(description="Payments against this invoice, oldest first.")
    def payments(self, info: Info) -> list[Payment]:
        return r.related(self, info, INVOICE_PAYMENTS)


PO_LINE_ITEM = r.to_one("PurchaseOrderLine.stockItem", lambda: StockItem, "stock_item_id")


@strawberry.type(description="One line of a purchase order.")
class PurchaseOrderLine(FromRow):
    RELATIONS = {"stockItem": PO_LINE_ITEM}
    quantity: int = desc("Units ordered.")
    quantity_received: int = desc("Units received so far.")
    unit_cost: Decimal = desc("Cost per unit.")
    stock_item_id: Private[int]

    @strawberry.field(description="The item.")
    def stock_item(self, info: Info) -> StockItem | None:
        return r.related(self, info, PO_LINE_ITEM)


PO_SUPPLIER = r.to_one("PurchaseOrder.supplier", lambda: Supplier, "supplier_id")
PO_WAREHOUSE = r.to_one("PurchaseOrder.warehouse", lambda: Warehouse, "warehouse_id")
PO_LINES = r.children(
    "PurchaseOrder.lines",
    lambda: PurchaseOrderLine,
    t.purchase_order_line,
    "purchase_order_id",
    [t.purchase_order_line.c.id],
    estimated_items=10,
)


@strawberry.type(description="An order to a supplier.")
class PurchaseOrder(TableNode):
    TABLE = t.purchase_order
    RELATIONS = {"supplier": PO_SUPPLIER, "warehouse": PO_WAREHOUSE, "lines": PO_LINES}
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
    def supplier(self, info: Info) -> Supplier | None:
        return r.related(self, info, PO_SUPPLIER)

    @strawberry.field(description="The receiving warehouse.")
    def warehouse(self, info: Info) -> Warehouse | None:
        return r.related(self, info, PO_WAREHOUSE)

    @strawberry.field(description="Lines.")
    def lines(self, info: Info) -> list[PurchaseOrderLine]:
        return r.related(self, info, PO_LINES)
