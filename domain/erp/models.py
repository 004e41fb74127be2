"""All ERP tables, importable from one place."""

from domain.erp.billing import Invoice, InvoiceLine, Payment
from domain.erp.inventory import StockItem, StockLevel, StockMovement, Supplier, Warehouse
from domain.erp.people import Department, Employee
from domain.erp.purchasing import PurchaseOrder, PurchaseOrderLine
from domain.erp.sales import (
    Delivery,
    DeliveryLine,
    PriceList,
    PriceRule,
    SalesOrder,
    SalesOrderLine,
)

__all__ = [
    "Delivery",
    "DeliveryLine",
    "Department",
    "Employee",
    "Invoice",
    "InvoiceLine",
    "Payment",
    "PriceList",
    "PriceRule",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "SalesOrder",
    "SalesOrderLine",
    "StockItem",
    "StockLevel",
    "StockMovement",
    "Supplier",
    "Warehouse",
]
