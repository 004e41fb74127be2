"""Every text and list input, checked once before any resolver runs.

One walk over the executed operation's arguments, literals and variables alike, down every
nested input object and list, following the schema's input types:

- a string (String, ID, or any scalar given as text) longer than `max_string_chars`, or
  than the maximum an input field declares instead (`schema.core.text`), is LIMIT_EXCEEDED;
- a string holding NUL (PostgreSQL text cannot store it) or a lone surrogate (asyncpg
  cannot encode it) is BAD_USER_INPUT;
- a list longer than `max_list_items` is LIMIT_EXCEEDED: lists become SQL parameters, and
  asyncpg refuses more than 32,767 per statement.

Each error names the argument as a path (`filter.search`, `input.lines.3.stockItem`) in
its message and in `extensions.argument`. Without this, such values reached the database
driver and came back as masked INTERNAL_SERVER_ERRORs with a stack in the log.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    ArgumentNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    ListValueNode,
    Node,
    ObjectValueNode,
    OperationDefinitionNode,
    StringValueNode,
    TypeInfo,
    TypeInfoVisitor,
    ValueNode,
    VariableNode,
    Visitor,
    get_operation_ast,
    visit,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter

from api.security.settings import SecuritySettings
from schema.core.text import MAX_CHARS

DEFINITION = GraphQLCoreConverter.DEFINITION_BACKREF


def input_error(argument: str, field: str, problem: str, **extensions: Any) -> GraphQLError:
    code = "LIMIT_EXCEEDED" if "limit" in extensions else "BAD_USER_INPUT"
    return GraphQLError(
        f"`{argument}` of `{field}` {problem}",
        extensions={"code": code, "argument": argument, **extensions},
    )


@dataclass(frozen=True)
class InputLimits:
    max_string_chars: int
    max_list_items: int

    @classmethod
    def from_settings(cls, settings: SecuritySettings) -> "InputLimits":
        return cls(settings.max_string_chars, settings.max_list_items)

    def check(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
    ) -> None:
        """Raise the first problem found in the arguments `operation` executes with."""
        defaults = {
            d.variable.name.value: d.default_value
            for d in operation.variable_definitions or ()
            if d.default_value is not None
        }
        walk = _Walk(self, variables, defaults)
        for site in _arguments(schema, document, operation):
            walk.value(site.value, site.type, site.name, site.owner, None)

    def field_maximum(self, field: GraphQLInputField) -> int:
        definition = (field.extensions or {}).get(DEFINITION)
        own = (getattr(definition, "metadata", None) or {}).get(MAX_CHARS)
        return own if isinstance(own, int) else self.max_string_chars


@dataclass(frozen=True)
class _Site:
    """An argument in the document: its value as written, its declared type, who takes it."""

    value: ValueNode
    type: GraphQLInputType
    name: str
    owner: str


# The arguments of a document's operation depend on the document alone, and the parser
# cache hands the same document object to every request repeating a query: finding them
# once (a TypeInfo walk, ~0.5 ms for Customer 360) leaves a few value checks per request.
_SITES: dict[tuple[int, int, int], tuple[DocumentNode, tuple[_Site, ...]]] = {}
_MAX_CACHED = 512


def _arguments(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode
) -> tuple[_Site, ...]:
    key = (id(schema), id(document), id(operation))
    cached = _SITES.get(key)
    if cached is not None and cached[0] is document:
        return cached[1]
    type_info = TypeInfo(schema)
    collector = _Arguments(type_info)
    roots: list[Node] = [operation]
    roots += [d for d in document.definitions if isinstance(d, FragmentDefinitionNode)]
    for root in roots:
        visit(root, TypeInfoVisitor(type_info, collector))
    if len(_SITES) >= _MAX_CACHED:
        _SITES.clear()
    # The document is kept with its sites, so its id cannot be reused while cached.
    _SITES[key] = (document, tuple(collector.sites))
    return _SITES[key][1]


class _Arguments(Visitor):
    """Collects every argument of a field or directive, with its declared type."""

    def __init__(self, type_info: TypeInfo) -> None:
        super().__init__()
        self.type_info = type_info
        self.sites: list[_Site] = []

    def enter_argument(self, node: ArgumentNode, *args: Any) -> Any:
        definition = self.type_info.get_argument()
        if definition is not None:
            owner = next(_owners(args[-1]), "?")
            self.sites.append(_Site(node.value, definition.type, node.name.value, owner))
        return self.SKIP  # nothing inside an argument's value is an argument


def _owners(ancestors: list[Any]) -> Iterator[str]:
    for ancestor in reversed(ancestors):
        if isinstance(ancestor, FieldNode | DirectiveNode):
            yield ancestor.name.value


class _Walk:
    def __init__(
        self,
        limits: InputLimits,
        variables: Mapping[str, Any],
        defaults: Mapping[str, ValueNode],
    ) -> None:
        self.limits = limits
        self.variables = variables
        self.defaults = defaults

    def value(
        self, node: ValueNode, type_: GraphQLInputType, path: str, owner: str, maximum: int | None
    ) -> None:
        """A literal (or a variable in its place) of `type_`, as the document spells it."""
        if isinstance(node, VariableNode):
            name = node.name.value
            if name in self.variables:
                self.raw(self.variables[name], type_, path, owner, maximum)
            elif name in self.defaults:
                self.value(self.defaults[name], type_, path, owner, maximum)
            return
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if isinstance(type_, GraphQLList):
            items = node.values if isinstance(node, ListValueNode) else (node,)
            self.count(len(items), path, owner)
            for i, item in enumerate(items):
                self.value(item, type_.of_type, _item(path, i, node), owner, maximum)
        elif isinstance(type_, GraphQLInputObjectType):
            for field in node.fields if isinstance(node, ObjectValueNode) else ():
                definition = type_.fields.get(field.name.value)
                if definition is not None:
                    self.value(
                        field.value,
                        definition.type,
                        f"{path}.{field.name.value}",
                        owner,
                        self.limits.field_maximum(definition),
                    )
        elif isinstance(node, StringValueNode):
            self.text(node.value, path, owner, maximum)

    def raw(
        self, value: Any, type_: GraphQLInputType, path: str, owner: str, maximum: int | None
    ) -> None:
        """A variable's value of `type_`, as the client sent it (JSON, not yet coerced)."""
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if isinstance(type_, GraphQLList):
            items = value if isinstance(value, list) else [value]
            self.count(len(items), path, owner)
            for i, item in enumerate(items):
                self.raw(
                    item, type_.of_type, f"{path}.{i}" if items is value else path, owner, maximum
                )
        elif isinstance(type_, GraphQLInputObjectType):
            for name, item in value.items() if isinstance(value, dict) else ():
                definition = type_.fields.get(name)
                if definition is not None:
                    self.raw(
                        item,
                        definition.type,
                        f"{path}.{name}",
                        owner,
                        self.limits.field_maximum(definition),
                    )
        elif isinstance(value, str):
            self.text(value, path, owner, maximum)

    def count(self, items: int, path: str, owner: str) -> None:
        limit = self.limits.max_list_items
        if items > limit:
            raise input_error(
                path,
                owner,
                f"holds {items} values; the maximum is {limit}",
                limit="items",
                maximum=limit,
            )

    def text(self, value: str, path: str, owner: str, maximum: int | None) -> None:
        limit = maximum or self.limits.max_string_chars
        if len(value) > limit:
            raise input_error(
                path,
                owner,
                f"is {len(value)} characters long; the maximum is {limit}",
                limit="chars",
                maximum=limit,
            )
        if "\x00" in value:
            raise input_error(path, owner, "contains a NUL character, which text cannot hold")
        if not value.isascii():
            try:
                value.encode()
            except UnicodeEncodeError as error:
                raise input_error(
                    path, owner, "is not valid Unicode (it holds a lone surrogate)"
                ) from error


def _item(path: str, index: int, node: ValueNode) -> str:
    # A single value given where a list is expected stands for a list of one: keep its path.
    return f"{path}.{index}" if isinstance(node, ListValueNode) else path


class InputLimitsExtension(SchemaExtension):
    def __init__(self, limits: InputLimits) -> None:
        self.limits = limits

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        operation = get_operation_ast(document, context.operation_name) if document else None
        if document is not None and operation is not None:
            self.limits.check(context.schema._schema, document, operation, context.variables or {})
        yield
