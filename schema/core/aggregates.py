"""Grouped aggregates: `<records>Aggregate(where:, groupBy:, distinct:, having:, sortBy:,
limit:)` on a root list's records, one statement each.

What a type can be grouped by and summed is read from what it declares, as for `where`:

- **dimensions** (`<Type>Dimension`): its own fields stored in a column that name a kind,
  a status or a moment (texts of at most a few words, enums, yes/no, days, instants), and
  those of the records its to-one relations reach, two steps deep (`CUSTOMER__TIER`,
  `SALES_REP__DEPARTMENT__NAME`); a day or an instant groups by a time bucket (`DAY`,
  `WEEK` — ISO weeks, from Monday —, `MONTH`, `QUARTER`, `YEAR`) in a time zone;
- **measures** (`<Type>Numbers`): its amounts and counts stored in a column, and the values
  the node type derives for aggregates (`AGGREGATE_MEASURES`, as the domain computes them:
  an opportunity's weighted amount); each group has their `sum`, `avg`, `min` and `max`,
  its `count`, and the number of distinct values of the dimensions named in `distinct`.

A field closed to some roles (a salary, a credit limit, purchase costs) is neither a
dimension nor a measure. Each dimension through a relation needs the readers of the type
it reaches, registered with the read guards like a `where` member. The statement is built
in `schema.core.sql.aggregates`.
"""

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Annotated, Any
from zoneinfo import available_timezones

import strawberry
from graphql import GraphQLError
from strawberry.types import Info
from strawberry.types.base import StrawberryOptional, get_object_definition
from strawberry.types.enum import StrawberryEnumDefinition

from domain.core.permissions import PERMISSIONS, RESTRICTED_FIELDS
from schema.core.connections import Direction
from schema.core.nodes import FromRow
from schema.core.permissions import restrict_inputs
from schema.core.relations import ESTIMATED_ITEMS
from schema.core.where import DecimalComparison, IntComparison, _list_of, where_of

MAX_DIMENSIONS = 5
MAX_GROUPS = 1000
DEFAULT_GROUPS = 100
# Text fields group when they name something (a status, a country, a department), not prose.
_MAX_GROUPABLE_CHARS = 200


@strawberry.enum(description="How a day or an instant is grouped.")
class TimeBucket(Enum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


@dataclass(frozen=True)
class Measured:
    """A derived value a node type sums (its `AGGREGATE_MEASURES`): the domain's SQL
    expression over the node's rows."""

    expression: Callable[[Any], Any]


@dataclass(frozen=True)
class Dimension:
    """A value rows are grouped by: a column of the rows reached through `path` (foreign
    keys and the tables they lead to, outermost first)."""

    name: str
    path: tuple[tuple[str, type], ...]
    column: str
    timed: bool  # a day or an instant: grouped by a time bucket when one is given
    is_instant: bool
    # For an enum: its stored values' GraphQL names (keys show `GOLD`, as the API does).
    names: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Aggregated:
    """What one node type's aggregates offer, once built."""

    node: type
    dimensions: dict[str, Dimension]  # by enum value
    measures: dict[str, Any]  # python name -> column name or Measured
    dimension_enum: Any
    group_input: Any
    numbers_type: Any
    sort_enum: Any
    having_input: Any
    result_type: Any


_BUILT: dict[type, Aggregated] = {}
_WANTED: list[type] = []


def aggregate_field(node: type, description: str) -> Any:
    """The root field aggregating `node`'s records (its types are built with the schema)."""
    _WANTED.append(node)
    name = node.__name__

    async def resolve(
        info: Info,
        where: Any = None,
        group_by: Any = None,
        distinct: Any = None,
        having: Any = None,
        sort_by: Any = None,
        direction: Annotated[
            Direction, strawberry.argument(description="Sort direction.")
        ] = Direction.ASC,
        limit: Annotated[
            int, strawberry.argument(description=f"At most this many groups (≤ {MAX_GROUPS}).")
        ] = DEFAULT_GROUPS,
    ) -> Any:
        from schema.core import sql

        built = _BUILT[node]
        if not 1 <= limit <= MAX_GROUPS:
            raise _bad("limit", f"`limit` must be between 1 and {MAX_GROUPS}")
        groups = list(group_by or [])
        if len(groups) > MAX_DIMENSIONS:
            raise GraphQLError(
                f"`groupBy` holds more than {MAX_DIMENSIONS} values",
                extensions={"code": "LIMIT_EXCEEDED", "argument": "groupBy"},
            )
        request = sql.AggregateRequest(
            dimensions=[
                (built.dimensions[g.field.value], _bucket(g), _zone(g, i))
                for i, g in enumerate(groups)
            ],
            distinct=[built.dimensions[d.value] for d in distinct or []],
            measures=built.measures,
            having=having,
            sort=None if sort_by is None else sort_by.value,
            descending=direction == Direction.DESC,
            first=limit,
        )
        rows = await info.context.loaders.fetch_once(
            sql.aggregate_statement(built.node, request, info.context.viewer, where)
        )
        return built.result_type.of(rows[:limit], request, truncated=len(rows) > limit)

    def lazy(suffix: str) -> Any:
        return Annotated[f"{name}{suffix}", strawberry.lazy(__name__)]

    described = {
        "where": (where_of(node), "Which records (as on the root list)."),
        "group_by": (
            _list_of(lazy("Group")),
            f"Group by these values, in this order (at most {MAX_DIMENSIONS}).",
        ),
        "distinct": (
            _list_of(lazy("Dimension")),
            "Count the distinct values of these in each group.",
        ),
        "having": (lazy("Having"), "Keep only the groups meeting these."),
        "sort_by": (lazy("GroupSort"), "Sort groups by this (default: their keys)."),
    }
    for argument, (annotation, text) in described.items():
        resolve.__annotations__[argument] = Annotated[
            annotation | None, strawberry.argument(description=text)
        ]
    resolve.__annotations__["return"] = lazy("Aggregate") | None
    return strawberry.field(resolver=resolve, description=description)


def _bad(argument: str, message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT", "argument": argument})


def _bucket(group: Any) -> str | None:
    return None if group.bucket is None else str(group.bucket.value)


def _zone(group: Any, position: int) -> str:
    zone = group.time_zone or "UTC"
    if zone not in _zones():
        raise _bad("groupBy", f"`groupBy.{position}.timeZone` is no IANA time zone: {zone!r}")
    return str(zone)


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}


# Building the types --------------------------------------------------------------------------


def build_types() -> None:
    """Make the aggregate types of every node type an aggregate field names, and register
    what its relation dimensions read with the read guards."""
    readers: dict[tuple[str, str], tuple[frozenset[str], str]] = {}
    for node in _WANTED:
        if node in _BUILT:
            continue
        dimensions = _dimensions(node)
        measures = _measures(node)
        _BUILT[node] = _types(node, dimensions, measures)
        for value, dimension in dimensions.items():
            for _, target in dimension.path:
                closed = (PERMISSIONS[target.__name__].read, target.__name__)
                readers[(f"{node.__name__}Dimension", value)] = closed
    restrict_inputs(readers)


def _columns(node: type) -> tuple[Any, dict[str, Any]]:
    """The node's table and its plain fields stored in a column, by Python name, with their
    strawberry types."""
    model: Any = getattr(node, "MODEL")  # noqa: B009 (a class attribute of node types)
    table = model.__table__
    found = {}
    for field in get_object_definition(node, strict=True).fields:
        restricted = (node.__name__, _camel(field.python_name)) in RESTRICTED_FIELDS
        if field.base_resolver is None and field.python_name in table.c and not restricted:
            found[field.python_name] = field.type
    return table, found


def _camel(name: str) -> str:
    from strawberry.utils.str_converters import to_camel_case

    return to_camel_case(name)


def _kind(field_type: Any) -> Any:
    return field_type.of_type if isinstance(field_type, StrawberryOptional) else field_type


def _groupable(table: Any, column: str, field_type: Any) -> bool:
    kind = _kind(field_type)
    if isinstance(kind, StrawberryEnumDefinition) or kind in (bool, date, datetime):
        return True
    if kind is str:
        length = getattr(table.c[column].type, "length", None)
        return length is not None and length <= _MAX_GROUPABLE_CHARS
    return False


def _dimensions(node: type) -> dict[str, Dimension]:
    from schema.core.relations import RELATION, ToOne
    from schema.core.where import _filterable, _target

    found: dict[str, Dimension] = {}

    def walk(current: type, path: tuple[tuple[str, type], ...], prefix: str) -> None:
        table, columns = _columns(current)
        for python_name, field_type in columns.items():
            skipped = python_name in ("id", "version", "archived_at")
            if skipped or not _groupable(table, python_name, field_type):
                continue
            kind = _kind(field_type)
            name = (prefix + python_name).upper()
            names = (
                tuple((str(v.value), v.name) for v in kind.values)
                if isinstance(kind, StrawberryEnumDefinition)
                else ()
            )
            found[name] = Dimension(
                name, path, python_name, kind in (date, datetime), kind is datetime, names
            )
        if len(path) == 2:
            return
        for field in get_object_definition(current, strict=True).fields:
            relation = dict(field.metadata or {}).get(RELATION)
            if not isinstance(relation, ToOne):
                continue
            target = _target(field.type)
            if target is None or not _filterable(target):
                continue
            walk(target, (*path, (relation.key, target)), f"{prefix}{field.python_name}__")

    walk(node, (), "")
    return found


def _measures(node: type) -> dict[str, Any]:
    _, columns = _columns(node)
    found: dict[str, Any] = {
        python_name: python_name
        for python_name, field_type in columns.items()
        if _kind(field_type) in (int, Decimal) and python_name not in ("id", "version")
    }
    found.update(getattr(node, "AGGREGATE_MEASURES", {}))
    return found


def _types(node: type, dimensions: dict[str, Dimension], measures: dict[str, Any]) -> Aggregated:
    name = node.__name__
    module = sys.modules[__name__]
    dimension_values: Any = _enum(f"{name}Dimension", {value: value for value in dimensions})
    dimension_enum = strawberry.enum(
        dimension_values,
        description=f"What {name} records can be grouped by (`__`: through a relation).",
    )
    setattr(module, f"{name}Dimension", dimension_enum)
    group_input = _make(
        strawberry.input,
        f"{name}Group",
        f"One value {name} records are grouped by.",
        {
            "field": (dimension_enum, strawberry.field(description="The value.")),
            "bucket": (
                TimeBucket | None,
                strawberry.field(default=None, description="For a day or an instant: the bucket."),
            ),
            "time_zone": (
                str | None,
                strawberry.field(
                    default="UTC", description="For an instant: the IANA time zone of its day."
                ),
            ),
        },
    )
    # A type with nothing to sum (customers: credit limits are closed to most) has no numbers.
    numbers: Any = measures and _make(
        strawberry.type,
        f"{name}Numbers",
        f"Amounts and counts of {name} records, one aggregate over a group.",
        {
            measure: (
                Decimal | None,
                strawberry.field(default=None, description=f"Of `{_camel(measure)}`."),
            )
            for measure in measures
        },
    )
    sorts = {"KEYS": "keys", "COUNT": "count", **{f"SUM_{m.upper()}": f"sum:{m}" for m in measures}}
    sort_enum = strawberry.enum(
        _enum(f"{name}GroupSort", sorts),
        description=f"What groups of {name} records are sorted by.",
    )
    setattr(module, f"{name}GroupSort", sort_enum)
    sums: Any = measures and _make(
        strawberry.input,
        f"{name}NumbersComparison",
        f"Conditions on the sums of a group of {name} records.",
        {
            measure: (
                DecimalComparison | None,
                strawberry.field(default=None, description=f"Sum of `{_camel(measure)}`."),
            )
            for measure in measures
        },
    )
    having = _make(
        strawberry.input,
        f"{name}Having",
        "Conditions on a group; all given must hold.",
        {
            "count": (
                IntComparison | None,
                strawberry.field(default=None, description="Its count."),
            ),
            **(
                {"sum": (sums | None, strawberry.field(default=None, description="Its sums."))}
                if measures
                else {}
            ),
        },
    )
    group_type = _make(
        strawberry.type,
        f"{name}AggregateGroup",
        f"One group of {name} records.",
        {
            "key": (
                list[str | None],
                strawberry.field(
                    description="The group's values, in `groupBy` order: enums as their "
                    "names, buckets as their first day (ISO 8601)."
                ),
            ),
            "count": (int, strawberry.field(description="How many records.")),
            "distinct": (
                list[int],
                strawberry.field(description="Distinct values of each `distinct` dimension."),
            ),
            **{
                kind: (numbers, strawberry.field(description=text))
                for kind, text in (
                    ("sum", "Sums."),
                    ("avg", "Averages."),
                    ("min", "Smallest values."),
                    ("max", "Largest values."),
                )
                if measures
            },
        },
    )

    @classmethod  # type: ignore[misc]
    def of(cls: Any, rows: list[Any], request: Any, *, truncated: bool) -> Any:
        groups = []
        for row in rows:
            values = {
                kind: numbers(**{m: row[f"{kind}_{m}"] for m in measures})
                for kind in ("sum", "avg", "min", "max")
                if measures
            }
            groups.append(
                group_type(
                    key=[
                        _text(row[f"k{i}"], dimension)
                        for i, (dimension, _, _) in enumerate(request.dimensions)
                    ],
                    count=row["n"],
                    distinct=[row[f"d{i}"] for i in range(len(request.distinct))],
                    **values,
                )
            )
        return cls(groups=groups, truncated=truncated)

    result = _make(
        strawberry.type,
        f"{name}Aggregate",
        f"{name} records grouped, with counts and sums per group.",
        {
            "groups": (
                list[group_type],
                # The query limits' row estimate; the rows actually built are counted too.
                strawberry.field(
                    description="The groups.", metadata={ESTIMATED_ITEMS: DEFAULT_GROUPS}
                ),
            ),
            "truncated": (
                bool,
                strawberry.field(
                    description="More groups than `limit` matched: some are left out."
                ),
            ),
        },
        extra={"of": of},
    )
    return Aggregated(
        node, dimensions, measures, dimension_enum, group_input, numbers, sort_enum, having, result
    )


def _enum(name: str, members: dict[str, str]) -> Any:
    made: Any = Enum(name, members)  # type: ignore[misc]
    return made


def _text(value: Any, dimension: Dimension) -> str | None:
    if value is None:
        return None
    if dimension.names:
        return dict(dimension.names).get(value, value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _make(
    decorator: Any,
    name: str,
    description: str,
    fields: dict[str, tuple[Any, Any]],
    extra: dict[str, Any] | None = None,
) -> Any:
    namespace: dict[str, Any] = {
        "__annotations__": {key: annotation for key, (annotation, _) in fields.items()},
        "__module__": __name__,
        "__qualname__": name,
        **{key: field for key, (_, field) in fields.items()},
        **(extra or {}),
    }
    made = decorator(type(name, (), namespace), name=name, description=description)
    setattr(sys.modules[__name__], name, made)
    return made


def node_types_wanted() -> Iterable[type]:
    return tuple(_WANTED)


def is_aggregated(node: Any) -> bool:
    return isinstance(node, type) and issubclass(node, FromRow) and node in _BUILT
