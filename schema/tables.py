"""Table handles for the read side: Core `Table` objects of the domain models."""

from sqlalchemy import Table

from domain.analytics.models import CustomerForecast, CustomerMetrics
from domain.crm.models import (
    Campaign,
    CampaignMember,
    Contact,
    Customer,
    Interaction,
    Opportunity,
    Ticket,
)
from domain.erp.models import (
    Delivery,
    DeliveryLine,
    Department,
    Employee,
    Invoice,
    InvoiceLine,
    Payment,
    PurchaseOrder,
    PurchaseOrderLine,
    SalesOrder,
    SalesOrderLine,
    StockItem,
    StockLevel,
    Supplier,
    Warehouse,
)


def _t(model: type) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


customer = _t(Customer)
contact = _t(Contact)
interaction = _t(Interaction)
campaign = _t(Campaign)
campaign_member = _t(CampaignMember)
opportunity = _t(Opportunity)
ticket = _t(Ticket)
employee = _t(Employee)
department = _t(Department)
warehouse = _t(Warehouse)
supplier = _t(Supplier)
stock_item = _t(StockItem)
stock_level = _t(StockLevel)
sales_order = _t(SalesOrder)
sales_order_line = _t(SalesOrderLine)
delivery = _t(Delivery)
delivery_line = _t(DeliveryLine)
invoice = _t(Invoice)
invoice_line = _t(InvoiceLine)
payment = _t(Payment)
purchase_order = _t(PurchaseOrder)
purchase_order_line = _t(PurchaseOrderLine)
customer_metrics = _t(CustomerMetrics)
customer_forecast = _t(CustomerForecast)
