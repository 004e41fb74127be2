"""The root Query: nodes by global ID and the root connections."""

import asyncio
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.types import Info

from schema import analytics
from schema import filters as f
from schema import tables as t
from schema.base import TableNode, as_key
from schema.erp_nodes import Invoice, PurchaseOrder, SalesOrder, StockItem, Supplier
from schema.nodes import Campaign, Customer, Employee, Interaction, Opportunity, Ticket
from schema.pagination import Connection
from schema.permissions import FORBIDDEN, denials
from schema.prefetch import prefetch_for, prefetch_node
from schema.roots import root_page

First = Annotated[
    int | None, strawberry.argument(description="Page size (at most 100; default 20).")
]
After = Annotated[
    str | None, strawberry.argument(description="Rows after this cursor (`endCursor`).")
]
Newest = Annotated[
    f.DateOrder | None, strawberry.argument(description="Sort by date (default newest first).")
]


def _descending(order: f.DateOrder | None) -> bool:
    return order is None or order.direction == f.Direction.DESC


async def _node_or_error(
    info: Info, id: relay.GlobalID, expected: type | None = None
) -> relay.Node:
    if expected is not None and id.type_name != expected.__name__:
        raise GraphQLError(
            f"expected a {expected.__name__} ID, got a {id.type_name} ID",
            extensions={"code": "BAD_USER_INPUT"},
        )
    try:
        node = await id.resolve_node(info, required=False)
    except (KeyError, ValueError) as error:
        raise GraphQLError(
            f"unknown node type {id.type_name!r}", extensions={"code": "BAD_USER_INPUT"}
        ) from error
    if node is None:
        raise GraphQLError(
            f"{id.type_name} {id.node_id} does not exist", extensions={"code": "NOT_FOUND"}
        )
    return node


def _refuse_unreadable(info: Info, id: relay.GlobalID) -> None:
    """FORBIDDEN for an ID of a type the viewer may not read, before anything is loaded.

    Were the row looked up first, a missing one would answer NOT_FOUND and an existing one
    FORBIDDEN, telling a denied role which IDs exist. Rows a record rule hides (another
    rep's customer) are loaded as missing, so they answer exactly like IDs that never were.
    """
    if id.type_name in denials(info.context.viewer).types:
        raise GraphQLError(
            f"your roles may not read {id.type_name}", extensions={"code": FORBIDDEN}
        )


def _denied_stub(info: Info, id: relay.GlobalID) -> relay.Node | None:
    """In `nodes(ids:)`, an unloaded object of a type the viewer may not read: the executor
    answers it FORBIDDEN at its index, the same whether the ID exists or not."""
    if id.type_name not in denials(info.context.viewer).types:
        return None
    kind = _node_type(info, id)
    return object.__new__(kind) if kind is not None else None


def _node_type(info: Info, id: relay.GlobalID) -> type | None:
    definition = info.schema.get_type_by_name(id.type_name)
    origin = getattr(definition, "origin", None)
    return origin if isinstance(origin, type) and issubclass(origin, TableNode) else None


def _key(id: relay.GlobalID) -> int | None:
    key = as_key(id.node_id)
    return key if key >= 0 else None


@strawberry.type(description="Read access to the whole graph.")
class Query:
    @strawberry.field(description="Any object by its global ID (an error if it does not exist).")
    async def node(
        self,
        info: Info,
        id: Annotated[relay.GlobalID, strawberry.argument(description="Global ID.")],
    ) -> relay.Node | None:
        _refuse_unreadable(info, id)
        kind = _node_type(info, id)
        key = _key(id)
        if kind is None or key is None:
            return await _node_or_error(info, id)
        return await prefetch_node(info, kind, key, lambda: _node_or_error(info, id))

    @strawberry.field(
        description="Objects by global IDs, in order; null for IDs that do not exist."
    )
    async def nodes(
        self,
        info: Info,
        ids: Annotated[list[relay.GlobalID], strawberry.argument(description="Global IDs.")],
    ) -> list[relay.Node | None]:
        if len(ids) > 100:
            raise GraphQLError("at most 100 IDs per request", extensions={"code": "BAD_USER_INPUT"})
        denied = [_denied_stub(info, gid) for gid in ids]
        # Gathered, so the by-id loader batches every ID of a type into one statement.
        wanted = [gid for gid, stub in zip(ids, denied, strict=True) if stub is None]
        found = list(await asyncio.gather(*(_resolve_optional(info, gid) for gid in wanted)))
        await prefetch_for(info, found)
        loaded = iter(found)
        return [stub if stub is not None else next(loaded) for stub in denied]

    @strawberry.field(description="One customer by global ID (an error if it does not exist).")
    async def customer(
        self,
        info: Info,
        id: Annotated[relay.GlobalID, strawberry.argument(description="Customer ID.")],
    ) -> Customer | None:
        _refuse_unreadable(info, id)
        key = _key(id)
        if id.type_name != "Customer" or key is None:
            return await _node_or_error(info, id, Customer)  # type: ignore[return-value]
        return await prefetch_node(info, Customer, key, lambda: _node_or_error(info, id, Customer))

    @strawberry.field(description="Customers, filtered and sorted (default by name).")
    async def customers(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            f.CustomerFilter | None, strawberry.argument(description="Filters.")
        ] = None,
        order_by: Annotated[
            f.CustomerOrder | None, strawberry.argument(description="Sort order.")
        ] = None,
    ) -> Connection[Customer] | None:
        return await root_page(
            info,
            Customer,
            name="customers",
            ordering=f.customer_ordering(order_by),
            conditions=filter.conditions() if filter else [],
            first=first,
            after=after,
        )

    @strawberry.field(description="Sales orders by order date.")
    async def sales_orders(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            f.SalesOrderFilter | None, strawberry.argument(description="Filters.")
        ] = None,
        order_by: Newest = None,
    ) -> Connection[SalesOrder] | None:
        return await root_page(
            info,
            SalesOrder,
            name="salesOrders",
            ordering=f.simple_ordering(t.sales_order, "ordered_at", _descending(order_by)),
            conditions=filter.conditions() if filter else [],
            first=first,
            after=after,
        )

    @strawberry.field(description="Invoices by issue date.")
    async def invoices(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            f.InvoiceFilter | None, strawberry.argument(description="Filters.")
        ] = None,
        order_by: Newest = None,
    ) -> Connection[Invoice] | None:
        return await root_page(
            info,
            Invoice,
            name="invoices",
            ordering=f.simple_ordering(t.invoice, "issued_on", _descending(order_by)),
            conditions=filter.conditions() if filter else [],
            first=first,
            after=after,
        )

    @strawberry.field(description="Stock items by SKU.")
    async def stock_items(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            f.StockItemFilter | None, strawberry.argument(description="Filters.")
        ] = None,
    ) -> Connection[StockItem] | None:
        return await root_page(
            info,
            StockItem,
            name="stockItems",
            ordering=f.simple_ordering(t.stock_item, "sku", False),
            conditions=filter.conditions() if filter else [],
            first=first,
            after=after,
        )

    @strawberry.field(
        description="Stock items the workers suggest reordering, soonest out of stock first."
    )
    async def items_to_reorder(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[StockItem] | None:
        return await analytics.items_to_reorder(info, StockItem, first, after)

    @strawberry.field(description="Employees by name.")
    async def employees(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            f.EmployeeFilter | None, strawberry.argument(description="Filters.")
        ] = None,
    ) -> Connection[Employee]:
        return await root_page(
            info,
            Employee,
            name="employees",
            ordering=f.simple_ordering(t.employee, "name", False),
            conditions=filter.conditions() if filter else [],
            first=first,
            after=after,
        )

    @strawberry.field(description="Campaigns by start date.")
    async def campaigns(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            f.CampaignFilter | None, strawberry.argument(description="Filters.")
        ] = None,
        order_by: Newest = None,
    ) -> Connection[Campaign] | None:
        return await root_page(
            info,
            Campaign,
            name="campaigns",
            ordering=f.simple_ordering(t.campaign, "starts_on", _descending(order_by)),
            conditions=filter.conditions() if filter else [],
            first=first,
            after=after,
        )

    @strawberry.field(description="Opportunities by the time they were created.")
    async def opportunities(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            f.OpportunityFilter | None, strawberry.argument(description="Filters.")
        ] = None,
        order_by: Newest = None,
    ) -> Connection[Opportunity] | None:
        return await root_page(
            info,
            Opportunity,
            name="opportunities",
            ordering=f.simple_ordering(t.opportunity, "created_at", _descending(order_by)),
            conditions=filter.conditions() if filter else [],
            first=first,
            after=after,
        )

    @strawberry.field(description="Support tickets by opening time.")
    async def tickets(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            f.TicketFilter | None, strawberry.argument(description="Filters.")
        ] = None,
        order_by: Newest = None,
    ) -> Connection[Ticket] | None:
        return await root_page(
            info,
            Ticket,
            name="tickets",
            ordering=f.simple_ordering(t.ticket, "opened_at", _descending(order_by)),
            conditions=filter.conditions() if filter else [],
            first=first,
            after=after,
        )

    @strawberry.field(description="Interactions by time.")
    async def interactions(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            f.InteractionFilter | None, strawberry.argument(description="Filters.")
        ] = None,
        order_by: Newest = None,
    ) -> Connection[Interaction] | None:
        return await root_page(
            info,
            Interaction,
            name="interactions",
            ordering=f.simple_ordering(t.interaction, "occurred_at", _descending(order_by)),
            conditions=filter.conditions() if filter else [],
            first=first,
            after=after,
        )

    @strawberry.field(description="Purchase orders by order date.")
    async def purchase_orders(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            f.PurchaseOrderFilter | None, strawberry.argument(description="Filters.")
        ] = None,
        order_by: Newest = None,
    ) -> Connection[PurchaseOrder] | None:
        return await root_page(
            info,
            PurchaseOrder,
            name="purchaseOrders",
            ordering=f.simple_ordering(t.purchase_order, "ordered_at", _descending(order_by)),
            conditions=filter.conditions() if filter else [],
            first=first,
            after=after,
        )

    @strawberry.field(description="Suppliers by name.")
    async def suppliers(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            f.SupplierFilter | None, strawberry.argument(description="Filters.")
        ] = None,
    ) -> Connection[Supplier] | None:
        return await root_page(
            info,
            Supplier,
            name="suppliers",
            ordering=f.simple_ordering(t.supplier, "name", False),
            conditions=filter.conditions() if filter else [],
            first=first,
            after=after,
        )

    @strawberry.field(
        description="Daily revenue forecast of the company, a customer tier or a product "
        "category, with its backtest accuracy; null before the first forecast run."
    )
    async def revenue_forecast(
        self,
        info: Info,
        scope: Annotated[analytics.ForecastScope, strawberry.argument(description="Scope.")],
        key: Annotated[
            str | None, strawberry.argument(description="Tier or category; none for COMPANY.")
        ] = None,
        horizon_days: analytics.HorizonDays = 90,
    ) -> analytics.RevenueForecast | None:
        return await analytics.revenue_forecast(info, scope, key, horizon_days)


async def _resolve_optional(info: Info, gid: relay.GlobalID) -> relay.Node | None:
    try:
        return await gid.resolve_node(info, required=False)
    except (KeyError, ValueError):
        return None
