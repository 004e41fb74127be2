"""The schema: Query, Mutation and every node type (relay nodes are found through `types`)."""

import re
from collections.abc import Callable, Iterator, Sequence

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext as OperationContext

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


# graphql-core appends " Did you mean 'X' or 'Y'?" to unknown fields, arguments, types,
# input fields and enum values, in validation and in variable coercion alike.
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


class _ParserCache(ParserCache):
    """strawberry's parser cache, leaving syntax errors to strawberry's own parse.

    Raised from the cache, a syntax error escaped the operation's extensions (the error
    policy never saw it, so it got no code and was not counted); left unparsed, the document
    is parsed again inside strawberry's error handling, which only invalid documents cost.
    """

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        try:
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        except GraphQLError:
            context.graphql_document = None
        yield


class Schema(strawberry.Schema):
    """strawberry's schema, hiding every kind of suggestion when field suggestions are off.

    strawberry's `disable_field_suggestions` strips only "Cannot query field …" messages and
    does not pass graphql-core's `hide_suggestions` on, so unknown types, arguments, input
    fields and enum values still named their neighbours ("Did you mean 'Customer'?"), which
    enumerates the schema with introspection off. Every error of every request passes here.
    """

    def process_errors(
        self, errors: list[GraphQLError], execution_context: OperationContext | None = None
    ) -> None:
        if self.config.disable_field_suggestions:
            for error in errors:
                error.message = _SUGGESTION.sub("", error.message)
        super().process_errors(errors, execution_context)


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
    schema = Schema(
        query=Query,
        mutation=Mutation,
        types=NODE_TYPES,
        # Parsing and validating a Customer 360 document costs ~25 ms; clients repeat documents.
        extensions=[
            lambda: _ParserCache(maxsize=256),
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
