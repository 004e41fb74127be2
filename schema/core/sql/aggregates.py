"""Grouped aggregates (`schema.core.aggregates`) as one statement.

The records are the root list's (the viewer's record rule, archived rows left out, the
`where` condition); each dimension through a relation is a LEFT JOIN of an alias of the
table it reaches (one join per relation path, shared by the dimensions that use it); time
buckets are `date_trunc` of the day, or of the instant in the given time zone. Groups come
sorted (by default by their keys), at most `first + 1` of them: the extra one says more
were left out.
"""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Date, FromClause, Table, distinct, func, literal, nulls_last, select
from strawberry.types.base import get_object_definition

from domain.core.access import Viewer
from schema.core import where as w
from schema.core.sql.base import Condition, Statement, listed, table_of, visible
from schema.core.sql.where import compare, where_condition


@dataclass(frozen=True)
class AggregateRequest:
    """What to group by (dimension, bucket, time zone), count distinct, sum, keep and sort."""

    dimensions: list[tuple[Any, str | None, str]]
    distinct: list[Any]
    measures: dict[str, Any]
    having: Any
    sort: str | None
    descending: bool
    first: int


@dataclass
class _Joins:
    """The relation paths joined so far, each to its alias."""

    table: Table
    source: FromClause
    aliases: dict[tuple[tuple[str, type], ...], FromClause] = field(default_factory=dict)

    def column(self, dimension: Any) -> Any:
        rows: FromClause = self.table
        for depth in range(len(dimension.path)):
            path = dimension.path[: depth + 1]
            if path not in self.aliases:
                key, target = path[-1]
                alias = table_of(target.MODEL).alias(f"g{len(self.aliases) + 1}")
                self.source = self.source.outerjoin(alias, alias.c.id == rows.c[key])
                self.aliases[path] = alias
            rows = self.aliases[path]
        return rows.c[dimension.column]


def aggregate_statement(
    node: Any, request: AggregateRequest, viewer: Viewer, where: Any
) -> Statement:
    table = table_of(node.MODEL)
    joins = _Joins(table, table)
    keys = []
    for position, (dimension, bucket, zone) in enumerate(request.dimensions):
        value = joins.column(dimension)
        if bucket is not None and dimension.timed:
            if dimension.is_instant:
                value = func.timezone(literal(zone), value)
            value = func.date_trunc(literal(bucket), value).cast(Date)
        keys.append(value.label(f"k{position}"))
    counted = [
        func.count(distinct(joins.column(dimension))).label(f"d{position}")
        for position, dimension in enumerate(request.distinct)
    ]
    values = {name: _measure(table, measure) for name, measure in request.measures.items()}
    measured = [
        aggregate(value).label(f"{kind}_{name}")
        for name, value in values.items()
        for kind, aggregate in (
            ("sum", func.sum),
            ("avg", func.avg),
            ("min", func.min),
            ("max", func.max),
        )
    ]
    conditions: list[Condition] = [visible(viewer, table), *listed(table)]
    if where is not None:
        conditions.append(where_condition(where, table, viewer))
    grouped = (
        select(*keys, func.count().label("n"), *counted, *measured)
        .select_from(joins.source)
        .where(*conditions)
        .group_by(*[key.element for key in keys])
    )
    if request.having is not None:
        grouped = grouped.having(*_having(request.having, values))
    # Grouped whole first, then sorted and cut: with the limit inside, PostgreSQL would read
    # the rows in group order to stop early (a sort of every row, a lookup per row) where
    # hashing them and sorting the few groups is far cheaper.
    groups = grouped.cte("groups").prefix_with("MATERIALIZED")
    direction = (lambda c: c.desc()) if request.descending else (lambda c: c.asc())
    order = [nulls_last(direction(groups.c[f"k{i}"])) for i in range(len(keys))]
    if request.sort == "count":
        order.insert(0, direction(groups.c.n))
    elif request.sort is not None and request.sort.startswith("sum:"):
        total = groups.c["sum_" + request.sort.removeprefix("sum:")]
        order.insert(0, nulls_last(direction(total)))
    return select(groups).order_by(*order).limit(request.first + 1)


def _measure(table: Table, measure: Any) -> Any:
    if isinstance(measure, str):
        return table.c[measure]
    return measure.expression(table)


def _having(having: Any, values: dict[str, Any]) -> list[Condition]:
    found: list[Condition] = []
    for _, name, given in _given(having):
        if name == "count":
            found += _comparisons(func.count(), given, f"having.{name}")
            continue
        for definition, measure, comparison in _given(given):
            total = func.sum(values[definition.python_name])
            found += _comparisons(total, comparison, f"having.sum.{measure}")
    return found


def _given(value: Any) -> list[tuple[Any, str, Any]]:
    found = []
    for definition in get_object_definition(value, strict=True).fields:
        member = getattr(value, definition.python_name)
        if member is not None:
            found.append((definition, definition.graphql_name or definition.python_name, member))
    return found


def _comparisons(value: Any, comparison: Any, path: str) -> list[Condition]:
    return [
        compare(spec.operator, value, operand, f"{path}.{name}")
        for spec, name, operand in w.given(comparison)
        if isinstance(spec, w.Comparison)
    ]
