"""The schema: Query, Mutation and every node type (relay nodes are found through `types`)."""

from collections.abc import Callable, Sequence

import strawberry
from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache
from strawberry.schema.config import StrawberryConfig

from schema import erp_nodes, nodes
from schema.execution import ExecutionContext, install_prefetched_resolvers
from schema.mutations import Mutation
from schema.queries import Query

NODE_TYPES = [
    nodes.Customer,
    nodes.Contact,
    nodes.Interaction,
    nodes.Campaign,
    nodes.CampaignMember,
    nodes.Opportunity,
    nodes.Ticket,
    nodes.Employee,
    nodes.Department,
    erp_nodes.StockItem,
    erp_nodes.Warehouse,
    erp_nodes.SalesOrder,
    erp_nodes.SalesOrderLine,
    erp_nodes.Delivery,
    erp_nodes.DeliveryLine,
    erp_nodes.Invoice,
    erp_nodes.Payment,
    erp_nodes.Supplier,
    erp_nodes.PurchaseOrder,
]


def build_schema(
    *,
    production: bool = False,
    extensions: Sequence[type[SchemaExtension] | Callable[[], SchemaExtension]] = (),
    max_batch_operations: int = 0,
) -> strawberry.Schema:
    """The GraphQL schema; in production, field suggestions are switched off.

    `extensions` (classes or factories: error policy, operation naming, limits) come from the
    API; batching is off unless `max_batch_operations` allows it.
    """
    schema = strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=NODE_TYPES,
        # Parsing and validating a Customer 360 document costs ~25 ms; clients repeat documents.
        extensions=[
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
            *extensions,
        ],
        config=StrawberryConfig(
            disable_field_suggestions=production,
            batching_config={"max_operations": max_batch_operations}
            if max_batch_operations
            else None,
        ),
        execution_context_class=ExecutionContext,
    )
    install_prefetched_resolvers(schema._schema)
    return schema


def export_sdl() -> str:
    return str(build_schema()) + "\n"


if __name__ == "__main__":
    from pathlib import Path

    Path("schema.graphql").write_text(export_sdl())
