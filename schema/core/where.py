"""`where` inputs: conditions on a node type's fields, its relations and its derived values.

Every node type over a table gets one input, `<Type>Where`, built from what the type already
declares, so a field added to a type can be filtered on without a second declaration:

- each plain field stored in a column (`code`, `status`, `createdAt`, …) and each row value
  compares with the operators of its type (`StringComparison`, `DecimalComparison`, an enum's
  own comparison, …); text columns with a trigram index also take `contains`/`startsWith`;
- `id` compares with global IDs of the type;
- each to-one relation (`customer`, `accountManager`) nests the target's `Where`;
- each to-many relation (`invoices`, `opportunities`) is quantified: `some`, `none`, `every`;
- the values a domain read rule derives (an invoice's `amountDue`, a customer's
  `openBalance`) are listed by the node type in `WHERE_OPERANDS`, as SQL expressions the
  domain owns;
- `_and`, `_or` and `_not` combine conditions.

Which member reads what is registered with the read guards (`schema.core.permissions`):
a member on a relation needs the target type's readers, a member on a restricted fact its
readers, so filtering by what one may not read is refused like reading it. The conditions
become SQL in `schema.core.sql.where`: `EXISTS` subqueries with the record rule of every
table they reach.
"""

import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeAlias

import strawberry
from strawberry import relay
from strawberry.types.base import (
    StrawberryList,
    StrawberryOptional,
    get_object_definition,
)
from strawberry.types.enum import StrawberryEnumDefinition
from strawberry.types.lazy_type import LazyType
from strawberry.utils.str_converters import to_camel_case

from domain.core.permissions import PERMISSIONS, RESTRICTED_FIELDS, fact_of
from schema.core.nodes import ROW_VALUE, FromRow
from schema.core.permissions import restrict_inputs

WHERE = "bizgraph.where"
# How deep conditions may nest (through `_and`/`_or`/`_not` and relations) and how many
# comparisons one `where` may hold: beyond, LIMIT_EXCEEDED before any SQL is built.
MAX_DEPTH = 6
MAX_COMPARISONS = 100


# What a member of a `where` input tests -----------------------------------------------------


@dataclass(frozen=True)
class Operand:
    """A value of the row compared with a comparison input: a column, or an expression a
    read rule of the domain derives from the row (`expression(rows)`)."""

    column: str | None = None
    expression: Callable[[Any], Any] | None = None
    node_type: str | None = None  # for `id`: the type its global IDs name
    # `exceeds(rows, n)`: the value > n for an int n >= 0, in a form an index serves.
    exceeds: Callable[[Any, int], Any] | None = None


@dataclass(frozen=True)
class Nested:
    """A to-one relation: the row its foreign key `key` points to meets the nested input."""

    key: str
    target: type[FromRow]


@dataclass(frozen=True)
class Quantified:
    """A to-many relation: rows whose foreign key `key` is this row's id, quantified."""

    key: str
    target: type[FromRow]


@dataclass(frozen=True)
class Logic:
    """`_and`, `_or` or `_not`."""

    operator: str


@dataclass(frozen=True)
class Quantifier:
    """`some`, `none` or `every` of a to-many relation's rows meet the nested input."""

    kind: str


@dataclass(frozen=True)
class Comparison:
    """One operator of a comparison input (`eq`, `in`, `contains`, …)."""

    operator: str


Spec: TypeAlias = Operand | Nested | Quantified | Logic | Quantifier | Comparison


@dataclass(frozen=True)
class Derived:
    """A derived value a node type offers to `where` (its `WHERE_OPERANDS`): its Python type,
    the domain's SQL expression over the node's rows, and the field whose readers may see it
    (`(type, field)`; by default the node type's own field of the same name)."""

    python_type: type
    expression: Callable[[Any], Any]
    reveals: tuple[str, str] | None = None
    # The same comparison `> n` (n >= 0) rewritten for an index, where the domain has one.
    exceeds: Callable[[Any, int], Any] | None = None


def as_input(value: Any, input_type: Any) -> Any:
    """A `where` value as the input object strawberry would build: graphql-core gives
    resolvers' arguments as strawberry objects, but the prefetch coerces them itself, to
    dicts keyed by GraphQL names."""
    if not isinstance(value, dict):
        return value
    definition = get_object_definition(input_type, strict=True)
    given: dict[str, Any] = {}
    for field in definition.fields:
        name = field.graphql_name or to_camel_case(field.python_name)
        if value.get(name) is not None:
            given[field.python_name] = _converted(value[name], field.type)
    return input_type(**given)


def _converted(value: Any, field_type: Any) -> Any:
    while isinstance(field_type, StrawberryOptional):
        field_type = field_type.of_type
    if isinstance(field_type, StrawberryList):
        return [_converted(item, field_type.of_type) for item in value]
    if isinstance(field_type, LazyType):
        field_type = field_type.resolve_type()
    if isinstance(value, dict):
        return as_input(value, field_type)
    return value


def to_graphql(value: Any) -> Any:
    """A `where` input object as the JSON a client would send (GraphQL names, enums by name,
    IDs and amounts as text), to keep and coerce again later."""
    if isinstance(value, list):
        return [to_graphql(item) for item in value]
    if isinstance(value, relay.GlobalID):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if hasattr(value, "_name_") and hasattr(value, "_value_"):
        return value.name
    definition = get_object_definition(value)
    if definition is None:
        return value
    return {
        field.graphql_name or to_camel_case(field.python_name): to_graphql(member)
        for field in definition.fields
        if (member := getattr(value, field.python_name)) is not None
    }


def input_of(node_type: type) -> Any:
    """The `where` input class of a node type (once built)."""
    return getattr(sys.modules[__name__], where_name(node_type))


def given(value: object) -> Iterator[tuple[Spec, str, Any]]:
    """(spec, GraphQL name, value) of each member of a `where` or comparison input set."""
    for definition in get_object_definition(value, strict=True).fields:
        member = getattr(value, definition.python_name)
        if member is None:
            continue
        yield definition.metadata[WHERE], definition.graphql_name or definition.python_name, member


# Comparison inputs -------------------------------------------------------------------------


def _op(operator: str, description: str, name: str | None = None) -> Any:
    return strawberry.field(
        default=None, name=name, description=description, metadata={WHERE: Comparison(operator)}
    )


def _comparison(name: str, value_type: Any, description: str, *, ordered: bool, text: bool) -> Any:
    """A comparison input for values of `value_type`."""
    fields: dict[str, tuple[Any, Any]] = {
        "eq": (value_type | None, _op("eq", "Equals.")),
        "neq": (value_type | None, _op("neq", "Differs from (a missing value differs too).")),
        "in_": (list[value_type] | None, _op("in", "Equals one of these.", name="in")),
        "is_null": (bool | None, _op("is_null", "Has no value (true) or has one (false).")),
    }
    if ordered:
        for operator, text_of in (
            ("gt", "Greater than."),
            ("gte", "Greater than or equal to."),
            ("lt", "Less than."),
            ("lte", "Less than or equal to."),
        ):
            fields[operator] = (value_type | None, _op(operator, text_of))
    if text:
        fields["contains"] = (str | None, _op("contains", "Contains this text, any case."))
        fields["starts_with"] = (str | None, _op("starts_with", "Starts with this text, any case."))
    return _input(name, description, fields)


def _input(name: str, description: str, fields: dict[str, tuple[Any, Any]]) -> Any:
    """A strawberry input made here, kept in this module so lazy references find it."""
    namespace: dict[str, Any] = {
        "__annotations__": {key: annotation for key, (annotation, _) in fields.items()},
        "__module__": __name__,
        "__qualname__": name,
        **{key: field for key, (_, field) in fields.items()},
    }
    made = strawberry.input(type(name, (), namespace), name=name, description=description)
    setattr(sys.modules[__name__], name, made)
    return made


_ALL = "All given conditions must hold."
StringComparison = _comparison(
    "StringComparison", str, f"Conditions on a text. {_ALL}", ordered=False, text=False
)
TextComparison = _comparison(
    "TextComparison",
    str,
    f"Conditions on an indexed text, which may also be searched. {_ALL}",
    ordered=False,
    text=True,
)
IntComparison = _comparison(
    "IntComparison", int, f"Conditions on a whole number. {_ALL}", ordered=True, text=False
)
DecimalComparison = _comparison(
    "DecimalComparison", Decimal, f"Conditions on an amount. {_ALL}", ordered=True, text=False
)
DateComparison = _comparison(
    "DateComparison", date, f"Conditions on a day. {_ALL}", ordered=True, text=False
)
DateTimeComparison = _comparison(
    "DateTimeComparison", datetime, f"Conditions on an instant. {_ALL}", ordered=True, text=False
)
BooleanComparison = _input(
    "BooleanComparison",
    f"Conditions on a yes/no value. {_ALL}",
    {
        "eq": (bool | None, _op("eq", "Equals.")),
        "is_null": (bool | None, _op("is_null", "Has no value (true) or has one (false).")),
    },
)
IDComparison = _input(
    "IDComparison",
    f"Conditions on a node's global ID. {_ALL}",
    {
        "eq": (relay.GlobalID | None, _op("eq", "Is this node.")),
        "in_": (list[relay.GlobalID] | None, _op("in", "Is one of these nodes.", name="in")),
    },
)
_SCALARS: dict[Any, Any] = {
    int: IntComparison,
    Decimal: DecimalComparison,
    date: DateComparison,
    datetime: DateTimeComparison,
    bool: BooleanComparison,
}


def _enum_comparison(enum: StrawberryEnumDefinition) -> Any:
    name = f"{enum.name}Comparison"
    made = getattr(sys.modules[__name__], name, None)
    if made is None:
        made = _comparison(
            name,
            enum.wrapped_cls,
            f"Conditions on a {enum.name}. {_ALL}",
            ordered=False,
            text=False,
        )
    return made


# Building the inputs of the node types -------------------------------------------------------

_BUILT: dict[type, str] = {}


def where_name(node_type: type) -> str:
    return f"{node_type.__name__}Where"


def where_of(node_type: type) -> Any:
    """The `where` argument's annotation for a node type (resolved when the schema is built)."""
    return Annotated[where_name(node_type), strawberry.lazy(__name__)]


def build_types(node_types: Iterable[type]) -> None:
    """Make `<Type>Where` (and `<Type>ListWhere`) for every node type over a table, and for
    every one their relations reach, and register what each member reads with the read
    guards. Runs once, before the schema is built: the root lists refer to these inputs
    lazily, by name."""
    pending = [t for t in node_types if _filterable(t)]
    readers: dict[tuple[str, str], tuple[frozenset[str], str]] = {}
    while pending:
        node_type = pending.pop()
        if node_type in _BUILT:
            continue
        _BUILT[node_type] = where_name(node_type)
        fields, closed, reached = _members(node_type)
        readers.update(closed)
        pending += [target for target in reached if target not in _BUILT]
        _input(where_name(node_type), f"Conditions on {node_type.__name__} records. {_ALL}", fields)
        _input(
            f"{node_type.__name__}ListWhere",
            f"Conditions on a list of {node_type.__name__} records.",
            {
                kind: (_ref(node_type) | None, _quantifier(kind, text))
                for kind, text in (
                    ("some", "At least one of them meets these conditions."),
                    ("none", "None of them meets these conditions."),
                    ("every", "Each of them meets these conditions (true of an empty list)."),
                )
            },
        )
    restrict_inputs(readers)


def _quantifier(kind: str, description: str) -> Any:
    return strawberry.field(
        default=None, description=description, metadata={WHERE: Quantifier(kind)}
    )


def _filterable(node_type: Any) -> bool:
    return (
        isinstance(node_type, type)
        and issubclass(node_type, FromRow)
        and getattr(node_type, "MODEL", None) is not None
        and node_type.__name__ in PERMISSIONS
    )


def _ref(node_type: type, suffix: str = "Where") -> Any:
    return Annotated[f"{node_type.__name__}{suffix}", strawberry.lazy(__name__)]


def _members(
    node_type: type,
) -> tuple[
    dict[str, tuple[Any, Any]], dict[tuple[str, str], tuple[frozenset[str], str]], list[type]
]:
    """The members of a node type's `where` input, the readers of those closed to some, and
    the node types its relations reach."""
    # Relations import the connections, which name these inputs: imported when they are built.
    from schema.core.relations import RELATION, Children, Page, ToOne

    owner = node_type.__name__
    input_name = where_name(node_type)
    model: Any = getattr(node_type, "MODEL")  # noqa: B009 (a class attribute of node types)
    columns = set(model.__table__.c.keys())
    indexed = _trigram_columns(model)
    fields: dict[str, tuple[Any, Any]] = {}
    closed: dict[tuple[str, str], tuple[frozenset[str], str]] = {}
    reached: list[type] = []

    def close(member: str, type_name: str, field: str | None) -> None:
        if field is not None and (type_name, field) in RESTRICTED_FIELDS:
            fact = fact_of(type_name, field)
            closed[(input_name, member)] = (
                RESTRICTED_FIELDS[(type_name, field)] & PERMISSIONS[type_name].read,
                fact.label if fact is not None else f"{type_name}.{field}",
            )
        else:
            # A member of the type's own (reading the type decides) or of another type.
            closed[(input_name, member)] = (PERMISSIONS[type_name].read, type_name)

    for field in get_object_definition(node_type, strict=True).fields:
        name = field.graphql_name or to_camel_case(field.python_name)
        metadata: dict[str, Any] = dict(field.metadata or {})
        relation = metadata.get(RELATION)
        if relation is not None:
            target = _target(field.type)
            if target is None or not _filterable(target):
                continue
            if isinstance(relation, ToOne):
                fields[field.python_name] = (
                    _ref(target) | None,
                    _member(
                        Nested(relation.key, target),
                        f"{_sentence(field.description, name)} It meets these conditions.",
                    ),
                )
            elif isinstance(relation, (Children, Page)):
                fields[field.python_name] = (
                    _ref(target, "ListWhere") | None,
                    _member(
                        Quantified(relation.key, target),
                        f"{_sentence(field.description, name)} Conditions on them.",
                    ),
                )
            else:
                continue
            close(name, target.__name__, None)
            reached.append(target)
            continue
        if name == "id":
            fields["id"] = (IDComparison | None, _member(Operand("id", node_type=owner), "Its ID."))
            continue
        rule = metadata.get(ROW_VALUE)
        if rule is None and (field.base_resolver is not None or field.python_name not in columns):
            continue
        comparison = _comparison_of(field.type, field.python_name in indexed)
        if comparison is None:
            continue
        operand = Operand(expression=rule) if rule is not None else Operand(field.python_name)
        fields[field.python_name] = (comparison | None, _member(operand, field.description or ""))
        close(name, owner, name)
    for python_name, derived in getattr(node_type, "WHERE_OPERANDS", {}).items():
        name = to_camel_case(python_name)
        comparison = _comparison_of(derived.python_type, False)
        fields[python_name] = (
            comparison | None,
            _member(
                Operand(expression=derived.expression, exceeds=derived.exceeds),
                f"Its {name}, as the API shows it.",
            ),
        )
        close(name, *(derived.reveals or (owner, name)))
    fields["and_"] = (_list_of(_ref(node_type)) | None, _logic("and", "Every one of these holds."))
    fields["or_"] = (_list_of(_ref(node_type)) | None, _logic("or", "At least one of these holds."))
    fields["not_"] = (_ref(node_type) | None, _logic("not", "This does not hold."))
    return fields, closed, reached


def _sentence(description: str | None, name: str) -> str:
    """A relation's own description as a sentence (its name when it has none)."""
    text = (description or f"Its {name}").rstrip()
    return text if text.endswith(".") else text + "."


def _list_of(item: Any) -> Any:
    return list[item]


def _member(spec: Spec, description: str) -> Any:
    return strawberry.field(default=None, description=description, metadata={WHERE: spec})


def _logic(operator: str, description: str) -> Any:
    return strawberry.field(
        default=None,
        name=f"_{operator}",
        description=description,
        metadata={WHERE: Logic(operator)},
    )


def _comparison_of(field_type: Any, indexed: bool) -> Any:
    if isinstance(field_type, StrawberryOptional):
        field_type = field_type.of_type
    if isinstance(field_type, StrawberryEnumDefinition):
        return _enum_comparison(field_type)
    enum = getattr(field_type, "__strawberry_definition__", None)
    if isinstance(enum, StrawberryEnumDefinition):
        return _enum_comparison(enum)
    if field_type is str:
        return TextComparison if indexed else StringComparison
    return _SCALARS.get(field_type)


def _target(field_type: Any) -> Any:
    """The node type a relation field shows (through optional, list and connection)."""
    while isinstance(field_type, (StrawberryOptional, StrawberryList)):
        field_type = field_type.of_type
    if isinstance(field_type, LazyType):
        return field_type.resolve_type()
    definition = getattr(field_type, "__strawberry_definition__", None)
    if definition is not None and definition.type_var_map:
        [inner] = definition.type_var_map.values()
        return _target(inner)
    return field_type if isinstance(field_type, type) else None


def _trigram_columns(model: type) -> set[str]:
    """Columns with a trigram index (`domain.core.model_base.trigram_index`)."""
    table = model.__table__  # type: ignore[attr-defined]
    found: set[str] = set()
    for index in table.indexes:
        ops = index.dialect_options["postgresql"].get("ops") or {}
        found |= {column for column, op in ops.items() if op == "gin_trgm_ops"}
    return found
