"""All ERP tables, importable from one place."""

from domain.erp.models.credit_notes import (
    CreditNote,
    CreditNoteLine,
    Refund,
    SalesReturn,
    SalesReturnLine,
)
from domain.erp.models.employees import Department, Employee
from domain.erp.models.invoices import Invoice, InvoiceLine, Payment
from domain.erp.models.purchase_orders import PurchaseOrder, PurchaseOrderLine
from domain.erp.models.quotes import Quote, QuoteLine
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
    "CreditNote",
    "CreditNoteLine",
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
    "Quote",
    "QuoteLine",
    "Refund",
    "SalesOrder",
    "SalesOrderLine",
    "SalesReturn",
    "SalesReturnLine",
    "StockItem",
    "StockLevel",
    "StockMovement",
    "Supplier",
    "Warehouse",
]
