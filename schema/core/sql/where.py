"""`where` inputs (`schema.core.where`) as one SQL condition on a root list's rows.

Relations become correlated `EXISTS` subqueries over an alias of their table, each with the
record rule of that table for the viewer, so a condition never reaches a row the viewer
could not list. A missing value fails every comparison but `neq` and `isNull`: a comparison
with NULL is unknown, which `AND`, `OR` and `WHERE` already treat as false, and `_not` and
`every` negate the condition taken as false when unknown (`NOT coalesce(…, false)`). So each
comparison stays a plain SQL comparison (an index can serve it, a derived value is computed
once). Lists are one array parameter each.
Nesting and size are bounded before anything is built (LIMIT_EXCEEDED).
"""

import operator
from dataclasses import dataclass
from enum import Enum
from typing import Any

from graphql import GraphQLError
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    FromClause,
    String,
    Table,
    and_,
    any_,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.sql.util import ClauseAdapter

from domain.core.access import Viewer, record_rule, record_rule_below
from schema.core import where as w
from schema.core.ids import decode_id
from schema.core.sql.base import Condition, listed, table_of
from schema.core.sql.filters import conditions, text_search


class _Budget:
    """What one `where` may still spend, and the names of its aliases (numbered in order, so
    the same input always gives the same SQL text and its prepared plan is reused)."""

    def __init__(self, argument: str) -> None:
        self.argument = argument
        self.comparisons = 0
        self.aliases = 0

    def alias(self, table: Table) -> "_Rows":
        # Every subquery reads its own alias: a relation may lead back to the same table (an
        # employee's manager), and the outer row must stay the outer one.
        self.aliases += 1
        return _Rows(table.alias(f"w{self.aliases}"), table)

    def spend(self, path: str) -> None:
        self.comparisons += 1
        if self.comparisons > w.MAX_COMPARISONS:
            raise _limit(
                self.argument,
                f"`{self.argument}` holds more than {w.MAX_COMPARISONS} comparisons",
            )


def _limit(argument: str, message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "LIMIT_EXCEEDED", "argument": argument})


@dataclass(frozen=True)
class _Rows:
    """The rows a condition is about: a FROM item (a table or an alias of it) and its table."""

    rows: FromClause
    table: Table


def root_conditions(table: Table, viewer: Viewer, where: Any, filter: Any) -> list[Condition]:
    """The conditions of a root list's `where` and flat `filter` (archived rows left out
    unless the filter lists them)."""
    found = conditions(filter, table, "filter")
    if where is not None:
        found.append(where_condition(where, table, viewer))
    return found


def where_condition(
    value: Any,
    table: Table,
    viewer: Viewer,
    argument: str = "where",
    rows: FromClause | None = None,
) -> Condition:
    """The condition a `where` input sets on `table`'s rows (read as `rows`, an alias of
    it, when given), for this viewer."""
    return _condition(
        value, _Rows(table if rows is None else rows, table), viewer, argument, 1, _Budget(argument)
    )


def _condition(
    value: Any, rows: _Rows, viewer: Viewer, path: str, depth: int, budget: _Budget
) -> Condition:
    if depth > w.MAX_DEPTH:
        raise _limit(budget.argument, f"`{path}` nests conditions more than {w.MAX_DEPTH} deep")
    parts: list[Condition] = []
    for spec, name, given in w.given(value):
        at = f"{path}.{name}"
        if isinstance(spec, w.Logic):
            parts.append(_logic(spec.operator, given, rows, viewer, at, depth, budget))
        elif isinstance(spec, w.Operand):
            parts += _comparisons(spec, given, rows, at, budget)
        elif isinstance(spec, w.Nested):
            target = budget.alias(table_of(spec.target.MODEL))
            inner = _condition(given, target, viewer, at, depth + 1, budget)
            parts.append(
                exists(
                    select(literal(1))
                    .select_from(target.rows)
                    .where(
                        target.rows.c.id == rows.rows.c[spec.key],
                        _adapted(record_rule(viewer, target.table), target),
                        inner,
                    )
                )
            )
        elif isinstance(spec, w.Quantified):
            parts += _quantified(spec, given, rows, viewer, at, depth, budget)
    return and_(true(), *parts) if parts else true()


def _logic(
    operator: str, given: Any, rows: _Rows, viewer: Viewer, path: str, depth: int, budget: _Budget
) -> Condition:
    if operator == "not":
        return _negated(_condition(given, rows, viewer, path, depth + 1, budget))
    conditions = [
        _condition(item, rows, viewer, f"{path}.{i}", depth + 1, budget)
        for i, item in enumerate(given)
    ]
    if operator == "and":
        return and_(true(), *conditions)
    return or_(false(), *conditions)


def _quantified(
    spec: w.Quantified,
    given: Any,
    rows: _Rows,
    viewer: Viewer,
    path: str,
    depth: int,
    budget: _Budget,
) -> list[Condition]:
    found: list[Condition] = []
    for quantifier, name, nested in w.given(given):
        assert isinstance(quantifier, w.Quantifier)
        child_table = table_of(spec.target.MODEL)
        child = budget.alias(child_table)
        inner = _condition(nested, child, viewer, f"{path}.{name}", depth + 1, budget)
        rule = record_rule_below(viewer, child_table, spec.key, rows.table)
        below = [
            child.rows.c[spec.key] == rows.rows.c.id,
            _adapted(rule, child),
            *listed(child.rows),
        ]
        if quantifier.kind == "some":
            found.append(exists(select(literal(1)).select_from(child.rows).where(*below, inner)))
        elif quantifier.kind == "none":
            found.append(~exists(select(literal(1)).select_from(child.rows).where(*below, inner)))
        else:  # every: none of them fails
            found.append(
                ~exists(select(literal(1)).select_from(child.rows).where(*below, _negated(inner)))
            )
    return found


def _adapted(condition: Condition, rows: _Rows) -> Condition:
    """A condition written on a table (a record rule), made to read its alias."""
    if rows.rows is rows.table:
        return condition
    adapted: Condition = ClauseAdapter(rows.rows).traverse(condition)
    return adapted


def _comparisons(
    spec: w.Operand, given: Any, rows: _Rows, path: str, budget: _Budget
) -> list[Condition]:
    value: ColumnElement[Any]
    if spec.expression is not None:
        value = spec.expression(rows.rows)
    else:
        assert spec.column is not None
        value = rows.rows.c[spec.column]
    found: list[Condition] = []
    for comparison, name, operand in w.given(given):
        assert isinstance(comparison, w.Comparison)
        at = f"{path}.{name}"
        budget.spend(at)
        plain = _plain(operand, spec, at)
        above = _lower_bound(comparison.operator, plain)
        if spec.exceeds is not None and above is not None:
            found.append(spec.exceeds(rows.rows, above))
        else:
            found.append(compare(comparison.operator, value, plain, at))
    return found


def _lower_bound(operator: str, operand: Any) -> int | None:
    """n when the comparison means `value > n` for a whole n >= 0 (`gt n`, `gte n + 1`)."""
    if isinstance(operand, bool) or not isinstance(operand, int):
        return None
    bound = operand if operator == "gt" else operand - 1 if operator == "gte" else None
    return bound if bound is not None and bound >= 0 else None


def _plain(operand: Any, spec: w.Operand, path: str) -> Any:
    """An operand as SQL takes it: enum members as their stored value, IDs as keys."""
    if isinstance(operand, list):
        return [_plain(item, spec, f"{path}.{i}") for i, item in enumerate(operand)]
    if spec.node_type is not None and not isinstance(operand, bool):
        return decode_id(operand, spec.node_type, path)
    return operand.value if isinstance(operand, Enum) else operand


def _negated(condition: Condition) -> Condition:
    """Not `condition`, an unknown one (a comparison with a missing value) taken as false."""
    return not_(func.coalesce(condition, false()))


def compare(name: str, value: ColumnElement[Any], operand: Any, path: str) -> Condition:
    if name == "is_null":
        return value.is_(None) if operand else value.is_not(None)
    if name == "neq":
        return value.is_distinct_from(operand)
    if name == "in":
        if not operand:
            return false()
        kind = value.type if not isinstance(value.type, String) else String()
        return value == any_(literal(operand, ARRAY(kind)))
    if name == "contains":
        return text_search([value], operand) if operand else value.is_not(None)
    if name == "starts_with":
        escaped = operand.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return value.ilike(escaped + "%")
    compared: Condition = _ORDERED[name](value, operand)
    return compared


_ORDERED = {
    "eq": operator.eq,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}
