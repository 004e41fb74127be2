"""Suppliers: who the company buys from, with their items and purchase orders; adding and
changing them."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from domain.erp import suppliers
from domain.erp.models import Supplier as SupplierModel
from schema.core import filters, sql
from schema.core.connections import fixed, root_connection
from schema.core.ids import decode
from schema.core.mutations import given, mutation, retry_key
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
    version: int = desc("Increases with every change; send it back with supplierUpdate.")
    archived_at: datetime | None = desc(
        "When it was archived: left out of lists, kept for what refers to it; null while in use."
    )
    external_source: str | None = desc("The system it was imported from, if imported.")
    external_id: str | None = desc("Its id in that system (unique there; imports upsert by it).")

    stock_items: list[StockItem] = Children[StockItem](
        "supplier_id", order=("sku",), estimated_items=50
    ).field("Items this supplier is the preferred source of, by SKU.")
    purchase_orders: Connection[PurchaseOrderRef] | None = Page["PurchaseOrder"](
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
    include_archived: bool | None = filters.include_archived()


@strawberry.type
class SupplierQueries:
    suppliers = root_connection(
        Supplier, description="Suppliers by name.", sort=fixed("name"), filter=SupplierFilter
    )


@strawberry.input(description="A new supplier.")
class SupplierCreateInput:
    name: str = strawberry.field(description="Name.")
    code: str | None = strawberry.field(
        default=None, description="Supplier number (at most 20 characters; default: the next one)."
    )
    email: str | None = strawberry.field(default=None, description="Ordering email.")
    country: str | None = strawberry.field(default=None, description="ISO country code.")
    lead_time_days: int = strawberry.field(
        default=14, description="Typical days from order to receipt (0–365)."
    )
    idempotency_key: str | None = retry_key("adding a second supplier")


@strawberry.input(description="Changes to a supplier; fields left out keep their value.")
class SupplierUpdateInput:
    id: strawberry.ID = strawberry.field(description="The supplier.")
    version: int = strawberry.field(description="The version you read; a newer one is a CONFLICT.")
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Name.")
    email: str | None = strawberry.field(
        default=strawberry.UNSET, description="Ordering email; null clears it."
    )
    country: str | None = strawberry.field(
        default=strawberry.UNSET, description="ISO country code; null clears it."
    )
    lead_time_days: int | None = strawberry.field(
        default=strawberry.UNSET, description="Typical days from order to receipt (0–365)."
    )


@strawberry.type
class SupplierMutations:
    supplier_create = mutation(
        SupplierCreateInput,
        Supplier,
        "Add a supplier.",
        lambda input, session, journal: suppliers.create(
            session=session, journal=journal, given=given(input, "code", *suppliers.FIELDS)
        ),
    )
    supplier_update = mutation(
        SupplierUpdateInput,
        Supplier,
        "Change a supplier's name, ordering email, country or lead time.",
        lambda input, session, journal: suppliers.update(
            session=session,
            journal=journal,
            supplier_id=decode(input.id, "Supplier", "id"),
            version=input.version,
            given=given(input, *suppliers.FIELDS),
        ),
    )
