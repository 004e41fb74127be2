"""Suppliers: who the company buys from, with their items and purchase orders."""

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from domain.erp.models import Supplier as SupplierModel
from schema.core import filters, sql
from schema.core.connections import fixed, root_connection
from schema.core.nodes import TableNode, desc
from schema.core.pagination import Connection
from schema.core.relations import Children, Page
from schema.erp.stock_items import StockItem

if TYPE_CHECKING:
    from schema.erp.purchase_orders import PurchaseOrder

PurchaseOrderRef = Annotated["PurchaseOrder", strawberry.lazy("schema.erp.purchase_orders")]


@strawberry.type(description="A supplier of stock items.")
class Supplier(TableNode):
    MODEL = SupplierModel
    id: relay.NodeID[int]
    code: str = desc("Supplier number.")
    name: str = desc("Name.")
    email: str | None = desc("Ordering email.")
    country: str | None = desc("ISO country code.")
    lead_time_days: int = desc("Typical days from order to receipt.")

    stock_items: list[StockItem] = Children[StockItem](
        "supplier_id", order=("sku",), estimated_items=50
    ).field("Items this supplier is the preferred source of, by SKU.")
    purchase_orders: Connection[PurchaseOrderRef] = Page["PurchaseOrder"](
        "supplier_id", sort=sql.newest("ordered_at")
    ).field("Purchase orders sent to this supplier, newest first.")


@strawberry.input(description="Filters for suppliers.")
class SupplierFilter:
    country: str | None = filters.equals(
        "country", "ISO country code.", normalize=lambda code: code.upper() or None
    )
    search: str | None = filters.search(
        "name", "code", "email", description="Text in name, code or email."
    )


@strawberry.type
class SupplierQueries:
    suppliers = root_connection(
        Supplier, description="Suppliers by name.", sort=fixed("name"), filter=SupplierFilter
    )
