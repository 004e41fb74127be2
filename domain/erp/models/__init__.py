"""All ERP tables, importable from one place."""

from domain.erp.models.employees import Department, Employee
from domain.erp.models.invoices import Invoice, InvoiceLine, Payment
from domain.erp.models.purchase_orders import PurchaseOrder, PurchaseOrderLine
from domain.erp.models.sales_orders import (
    Delivery,
    DeliveryLine,
    PriceList,
    PriceRule,
    SalesOrder,
    SalesOrderLine,
)
from domain.erp.models.stock import StockItem, StockLevel, StockMovement, Supplier, Warehouse

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
