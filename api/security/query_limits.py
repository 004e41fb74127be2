"""Query limits, checked before any resolver or SQL runs.

- characters of the document, then its tokens: counted before parsing (the parse is what
  they bound; lexing a long string literal costs as much as lexing code, so the length
  comes first — long text belongs in variables, which are bounded on their own);
- depth, aliases and fields (every field a selection holds once its fragments are expanded):
  a validation rule, so results share strawberry's validation cache;
- `first` per connection and the estimated rows (`first`, or the default page size, for a
  connection; the declared `estimated_items` for a list; the ids of `nodes(ids:)`),
  multiplied along each path, so `customers(first: 100) { orders(first: 100) { lines } }`
  counts 100 + 100·100·(1 + 5) = 60,100: at the start of execution, once variables are
  known. The rows a response actually holds are counted again as it is built, against the
  same maximum (`schema.core.execution`), so a list longer than its estimate is caught too.

strawberry ships depth and alias limiters, but they re-walk a fragment at every spread:
1.2 KB of 22 fragments, each spreading the next twice, kept its depth limiter busy for 24 s
(x86_64, 2 cores), and every further fragment doubles that. Here every fragment is
measured once, so the cost is linear in the document. The same document would have cost the
executor as much (each spread of a fragment is a copy of its fields to resolve), so the number
of fields after expansion is a limit of its own: a document over it is refused before it runs.

A refused request gets a GraphQL error with `extensions.code = "LIMIT_EXCEEDED"`, the
`limit` it hit and its `maximum`; the message is written for the client to read.
"""

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    ValueNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_list_type,
)
from graphql.error import GraphQLSyntaxError
from graphql.language import Lexer, Source, TokenKind
from graphql.utilities import value_from_ast_untyped
from strawberry.extensions import SchemaExtension

from api.security.settings import SecuritySettings
from schema.core.pagination import DEFAULT_PAGE_SIZE
from schema.core.relations import estimated_items

CACHED_QUERY_CHARS = 16_384


def limit_error(
    limit: str, maximum: int, message: str, nodes: list[Node] | None = None
) -> GraphQLError:
    return GraphQLError(
        message, nodes, extensions={"code": "LIMIT_EXCEEDED", "limit": limit, "maximum": maximum}
    )


@dataclass(frozen=True)
class QueryLimits:
    max_tokens: int
    max_document_chars: int
    max_depth: int
    max_aliases: int
    max_fields: int
    max_page_size: int
    max_nodes: int
    shape_rule: type[ValidationRule] = field(init=False)
    # Estimates already made: (document, operation, sizes in the variables) -> rows or refusal.
    estimates: "OrderedDict[tuple[Any, ...], tuple[Any, int | GraphQLError]]" = field(
        init=False, default_factory=OrderedDict, compare=False
    )

    def __post_init__(self) -> None:
        # One rule class per process: the validation cache keys on the rule classes.
        object.__setattr__(
            self, "shape_rule", _shape_rule(self.max_depth, self.max_aliases, self.max_fields)
        )

    @classmethod
    def from_settings(cls, settings: SecuritySettings) -> "QueryLimits":
        return cls(
            max_tokens=settings.max_tokens,
            max_document_chars=settings.max_document_chars,
            max_depth=settings.max_depth,
            max_aliases=settings.max_aliases,
            max_fields=settings.max_fields,
            max_page_size=settings.max_page_size,
            max_nodes=settings.max_nodes,
        )

    def check_tokens(self, query: str) -> None:
        if len(query) > self.max_document_chars:
            raise limit_error(
                "chars",
                self.max_document_chars,
                f"the document is {len(query)} characters long; the maximum is "
                f"{self.max_document_chars} (pass long text as variables)",
            )
        counted = (
            _cached_token_count(query, self.max_tokens)
            if len(query) <= CACHED_QUERY_CHARS
            else _token_count(query, self.max_tokens)
        )
        if counted > self.max_tokens:
            raise limit_error(
                "tokens",
                self.max_tokens,
                f"the document has more than {self.max_tokens} tokens",
            )

    def check_rows(
        self,
        schema: GraphQLSchema,
        document: Any,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
    ) -> None:
        """Refuse a query that could return more rows than the maximum.

        The estimate depends on the document and on the sizes its variables give (`first`,
        how many `ids`), not on the rest of their values (an ID, a cursor, a search term):
        it is made once per document and sizes, and kept, like the parsed document itself.
        """
        key = (id(document), id(operation), *sorted(_sizes(variables)))
        found = self.estimates.get(key)
        if found is None or found[0] is not document:
            try:
                found = (document, self._estimate(schema, document, operation, variables))
            except GraphQLError as refused:
                found = (document, refused)
            self.estimates[key] = found
            if len(self.estimates) > ESTIMATES_KEPT:
                self.estimates.popitem(last=False)
        else:
            self.estimates.move_to_end(key)
        estimated = found[1]
        if isinstance(estimated, GraphQLError):
            raise estimated
        if estimated > self.max_nodes:
            raise limit_error(
                "nodes",
                self.max_nodes,
                f"the query could return about {estimated} rows; the maximum "
                f"is {self.max_nodes} (ask for smaller pages and follow the cursors)",
                [operation],
            )

    def _estimate(
        self,
        schema: GraphQLSchema,
        document: Any,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
    ) -> int:
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        defaults = {
            d.variable.name.value: value_from_ast_untyped(d.default_value)
            for d in operation.variable_definitions or ()
            if d.default_value is not None
        }
        rows = _Rows(self, schema, fragments, {**defaults, **variables})
        root = schema.get_root_type(operation.operation)
        return rows.selections(operation.selection_set, root)


ESTIMATES_KEPT = 512


def _sizes(variables: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """What of the variables an estimate depends on: numbers (page sizes) and list lengths."""
    found: list[tuple[str, Any]] = []
    for name, value in variables.items():
        if isinstance(value, bool) or value is None or isinstance(value, int | float):
            found.append((name, value))
        elif isinstance(value, list):
            found.append((name, ("list", len(value))))
    return found


def extension_factories(
    settings: SecuritySettings, limits: QueryLimits
) -> list[Callable[[], SchemaExtension]]:
    """The schema extensions enforcing these limits, as factories (never shared instances)."""
    factories: list[Callable[[], SchemaExtension]] = [lambda: QueryLimitsExtension(limits)]
    if not settings.introspection_enabled:
        from strawberry.extensions import DisableIntrospection

        factories.append(DisableIntrospection)
    return factories


class QueryLimitsExtension(SchemaExtension):
    def __init__(self, limits: QueryLimits) -> None:
        self.limits = limits

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        if context.query:
            self.limits.check_tokens(context.query)
        context.validation_rules = (*context.validation_rules, self.limits.shape_rule)
        yield

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        operation = get_operation_ast(document, context.operation_name) if document else None
        if operation is not None:
            self.limits.check_rows(
                context.schema._schema, document, operation, context.variables or {}
            )
        yield


def _token_count(query: str, limit: int) -> int:
    """Tokens in `query`, counting at most limit + 1 (graphql-core counts the same way)."""
    lexer = Lexer(Source(query))
    count = 0
    try:
        while lexer.advance().kind != TokenKind.EOF and count <= limit:
            count += 1
    except GraphQLSyntaxError:
        pass  # the parser reports syntax errors with their position
    return count


_cached_token_count = lru_cache(maxsize=512)(_token_count)


def _shape_rule(max_depth: int, max_aliases: int, max_fields: int) -> type[ValidationRule]:
    class QueryShape(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            definitions = context.document.definitions
            shape = _Shape(
                {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
            )
            for operation in definitions:
                if not isinstance(operation, OperationDefinitionNode):
                    continue
                depth, aliases, fields = shape.selections(operation.selection_set)
                if depth > max_depth:
                    context.report_error(
                        limit_error(
                            "depth",
                            max_depth,
                            f"the query is {depth} fields deep; the maximum is {max_depth}",
                            [operation],
                        )
                    )
                if aliases > max_aliases:
                    context.report_error(
                        limit_error(
                            "aliases",
                            max_aliases,
                            f"the query uses {aliases} aliases; the maximum is {max_aliases}",
                            [operation],
                        )
                    )
                if fields > max_fields:
                    context.report_error(
                        limit_error(
                            "fields",
                            max_fields,
                            f"the query selects {fields} fields once its fragments are expanded;"
                            f" the maximum is {max_fields}",
                            [operation],
                        )
                    )

    return QueryShape


Measure = tuple[int, int, int]  # depth, aliases, fields


class _Shape:
    """Depth (fields on the longest path), aliases and fields, each fragment measured once."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.measured: dict[str, Measure] = {}

    def selections(self, selection_set: SelectionSetNode) -> Measure:
        depth = aliases = fields = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                inner_depth, inner_aliases, inner_fields = (
                    self.selections(selection.selection_set)
                    if selection.selection_set
                    else (0, 0, 0)
                )
                # Introspection is as deep as the schema's type wrappers, and bounded by it.
                if not selection.name.value.startswith("__"):
                    depth = max(depth, 1 + inner_depth)
                aliases += inner_aliases + (selection.alias is not None)
                fields += 1 + inner_fields
                continue
            if isinstance(selection, InlineFragmentNode):
                inner = self.selections(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                inner = self.fragment(selection.name.value)
            else:
                continue
            depth, aliases, fields = max(depth, inner[0]), aliases + inner[1], fields + inner[2]
        return depth, aliases, fields

    def fragment(self, name: str) -> Measure:
        if name not in self.measured:
            self.measured[name] = (0, 0, 0)  # a cycle (reported by graphql-core) counts nothing
            definition = self.fragments.get(name)
            if definition is not None:
                self.measured[name] = self.selections(definition.selection_set)
        return self.measured[name]


class _Rows:
    """Rows a query may return, per parent row; checks each `first`.

    A connection is a field taking `first`; without one it still returns a default page. A
    list of objects counts the items its field declares (`schema.core.relations.estimated_items`).
    """

    def __init__(
        self,
        limits: QueryLimits,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.limits = limits
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.measured: dict[str, int] = {}

    def selections(self, selection_set: SelectionSetNode, parent: GraphQLNamedType | None) -> int:
        rows = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                fields = getattr(parent, "fields", {})
                definition = fields.get(selection.name.value)
                inner = (
                    self.selections(selection.selection_set, get_named_type(definition.type))
                    if selection.selection_set and definition is not None
                    else 0
                )
                page = self.page_size(selection, definition)
                if (
                    page is None
                    and definition is not None
                    and isinstance(parent, GraphQLObjectType)
                ):
                    page = self.list_size(parent, selection.name.value, definition)
                rows += inner if page is None else page * (1 + inner)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                narrowed = self.schema.get_type(condition.name.value) if condition else parent
                rows += self.selections(selection.selection_set, narrowed)
            elif isinstance(selection, FragmentSpreadNode):
                rows += self.fragment(selection.name.value)
        return rows

    def fragment(self, name: str) -> int:
        # Rows grow linearly with the rows above, so one measure per fragment serves every spread.
        if name not in self.measured:
            self.measured[name] = 0
            definition = self.fragments.get(name)
            if definition is not None:
                condition = self.schema.get_type(definition.type_condition.name.value)
                self.measured[name] = self.selections(definition.selection_set, condition)
        return self.measured[name]

    def page_size(self, node: FieldNode, definition: GraphQLField | None) -> int | None:
        """Rows per parent: a connection's page, or the number of `ids` asked for by list."""
        if definition is None:
            return None
        if "ids" in definition.args and "first" not in definition.args:
            ids = self.argument(node, "ids")
            return len(ids) if isinstance(ids, list) else None
        if "first" not in definition.args:
            return None
        argument = next((a for a in node.arguments or () if a.name.value == "first"), None)
        if argument is None:
            return DEFAULT_PAGE_SIZE
        value = self.value(argument.value)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            return DEFAULT_PAGE_SIZE  # null, or a value the resolver refuses with its own error
        if value > self.limits.max_page_size:
            raise limit_error(
                "first",
                self.limits.max_page_size,
                f"`first` may be at most {self.limits.max_page_size} (asked for {value} "
                f"on `{node.name.value}`)",
                [node],
            )
        return value

    def list_size(
        self, parent: GraphQLObjectType, name: str, definition: GraphQLField
    ) -> int | None:
        """Items per parent of a list of objects (a connection's `edges` are its page)."""
        if not is_list_type(get_nullable_type(definition.type)) or name == "edges":
            return None
        if not isinstance(get_named_type(definition.type), GraphQLObjectType):
            return None
        declared = estimated_items(parent, name)
        return DEFAULT_PAGE_SIZE if declared is None else declared

    def argument(self, node: FieldNode, name: str) -> Any:
        found = next((a for a in node.arguments or () if a.name.value == name), None)
        return None if found is None else self.value(found.value)

    def value(self, node: ValueNode) -> Any:
        return value_from_ast_untyped(node, dict(self.variables))
