"""A compiled read: one statement that builds a root field's JSON (`schema.core.compiled`).

Objects are `json_build_object`s, to-one relations and lists correlated subqueries
(`json_agg` in the list's order), connections a page of `first + 1` rows numbered in their
order, from which edges, `pageInfo` and the cursors' keys are aggregated. The values of the
read model (amounts due, statuses, stored figures) come from the very statements the
general path batches, joined `LATERAL` for one parent's key; record rules are the same
conditions. Leaves are rendered as the GraphQL scalars serialise them in Python (decimals
as strings, instants in ISO 8601 UTC as `datetime.isoformat` writes them, enums by name,
global IDs in base64), so both paths answer byte for byte the same values.

Cursors are sealed in Python: the statement writes a marker (`\\x01<site>:<keys>`) where a
cursor goes, which `schema.core.compiled` replaces with the sealed cursor.
"""

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    FromClause,
    Integer,
    Select,
    Table,
    Text,
    bindparam,
    case,
    cast,
    false,
    func,
    literal,
    literal_column,
    null,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by, array
from sqlalchemy.sql.util import ClauseAdapter

from domain.core.access import Viewer, record_rule, record_rule_below
from schema.core.compiled import plans as p
from schema.core.relations import Children, RowOf, RowsOf, ToOne
from schema.core.sql.base import listed, table_of
from schema.core.sql.orderings import order_by
from schema.core.sql.relations import BatchRead
from schema.core.sql.roots import RootOrdering
from schema.core.sql.where import where_condition

# PostgreSQL takes at most 100 arguments per function call: 50 keys and values per object.
MAX_OBJECT_FIELDS = 50
CURSOR_MARK = "\x01"
_EMPTY_LIST: ColumnElement[Any] = literal_column("'[]'::json")
_TEXT_ARRAY = ARRAY(Text)
# A connection is one row whatever its page holds, even when nothing it selects aggregates.
_ONE_GROUP: ColumnElement[Any] = literal_column("()")


class TooWide(Exception):
    """An object selecting more fields than one `json_build_object` takes."""


def _text(value: str) -> ColumnElement[Any]:
    # Keys, names and formats are identifiers or fixed strings: inline, not parameters.
    return literal_column("'" + value.replace("'", "''") + "'")


def _instant(value: ColumnElement[Any], separator: str) -> ColumnElement[Any]:
    """An instant as Python writes it: `isoformat()` (separator T) or `str()` (a space)."""
    utc = func.timezone(_text("UTC"), value)
    written = func.to_char(utc, _text(f'YYYY-MM-DD"{separator}"HH24:MI:SS.US'))
    return func.replace(written, _text(".000000"), _text("")).op("||")(_text("+00:00"))


def leaf(plan: p.Column | p.Derived, value: ColumnElement[Any]) -> ColumnElement[Any]:
    """A leaf's value as its GraphQL scalar serialises it."""
    kind = plan.type
    if isinstance(plan, p.Column) and plan.node_type is not None:
        text = _text(plan.node_type + ":").op("||")(cast(value, Text))
        return func.encode(func.convert_to(text, _text("UTF8")), _text("base64"))
    values = getattr(kind, "values", None)
    if values is not None:  # an enum: stored value -> name
        whens = [(value == _text(str(v.value)), _text(name)) for name, v in values.items()]
        return case(*whens, else_=null())
    if kind.name == "Decimal":
        return cast(value, Text)
    if kind.name == "DateTime":
        return _instant(value, "T")
    return value


def _key_of(source: FromClause) -> ColumnElement[Any]:
    """The parent's key as the one-element array a read-model statement takes."""
    key: ColumnElement[int] = source.c.id
    return array([key], type_=BigInteger)


def _cursor_key(value: ColumnElement[Any]) -> ColumnElement[Any]:
    """A sort key as the general path writes it into a cursor (`str()` but for ints/text)."""
    python_type = value.type.python_type if hasattr(value.type, "python_type") else str
    if python_type is datetime:
        return _instant(value, " ")
    if python_type is date:
        return func.to_char(value, _text("YYYY-MM-DD"))
    if python_type is Decimal:
        return cast(value, Text)
    return value


class Renderer:
    """Renders one plan; aliases are numbered per statement."""

    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer
        self.count = 0

    def _name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def _visible(
        self, table: Table, source: FromClause, below: tuple[str, Table | None] | None = None
    ) -> ColumnElement[bool]:
        """The record rule of `table`'s rows in `source`; `below`: reached from a visible
        parent row of that table through that column (often no condition is then needed)."""
        if below is not None and below[1] is not None:
            rule = record_rule_below(self.viewer, table, below[0], below[1])
        else:
            rule = record_rule(self.viewer, table)
        return rule if source is table else ClauseAdapter(source).traverse(rule)

    # Objects ---------------------------------------------------------------------------

    def object(
        self, plan: p.ObjectPlan, source: FromClause
    ) -> tuple[ColumnElement[Any], FromClause]:
        """The object's JSON over a row `source`, and the FROM clause it needs (the source
        with the read model's rows joined laterally)."""
        if len(plan.fields) > MAX_OBJECT_FIELDS:
            raise TooWide(plan.type_name)
        laterals: dict[BatchRead, FromClause] = {}
        pairs: list[ColumnElement[Any]] = []
        model = getattr(plan.node_type, "MODEL", None)
        parent = table_of(model) if model is not None else None
        for field in plan.fields:
            pairs += [_text(field.key), self._field(field, source, parent, laterals)]
        joined = source
        for lateral in laterals.values():
            joined = joined.outerjoin(lateral, true())
        return func.json_build_object(*pairs), joined

    def _lateral(
        self, read: BatchRead, source: FromClause, laterals: dict[BatchRead, FromClause]
    ) -> FromClause:
        found = laterals.get(read)
        if found is None:
            found = laterals[read] = read.build(self.viewer, _key_of(source)).lateral(
                self._name("d")
            )
        return found

    def _field(
        self,
        field: p.FieldPlan,
        source: FromClause,
        parent: Table | None,
        laterals: dict[BatchRead, FromClause],
    ) -> ColumnElement[Any]:
        """One field's value; `parent`: the table of `source`'s rows, if they are a table's."""
        if isinstance(field, p.Constant):
            return _text(field.value)
        if isinstance(field, p.Denied):
            return null()
        if isinstance(field, p.Column):
            value = field.rule(source) if field.rule is not None else source.c[field.column]
            return leaf(field, value)
        if isinstance(field, p.Derived):
            relation = field.relation
            row = self._lateral(relation.read, source, laterals)
            default = literal(relation.default) if relation.default is not None else null()
            value = case(
                (row.c[relation.read.key].is_(None), default), else_=row.c[relation.column]
            )
            return leaf(field, value)
        if isinstance(field, p.Paged):
            return self._paged(field, source, parent)
        return self._related(field, source, parent, laterals)

    def _related(
        self,
        field: p.Related,
        source: FromClause,
        parent: Table | None,
        laterals: dict[BatchRead, FromClause],
    ) -> ColumnElement[Any]:
        relation = field.relation
        if isinstance(relation, RowOf):
            row = self._lateral(relation.read, source, laterals)
            prefix = relation.prefix
            part = _Prefixed(row, prefix)
            obj, _ = self.object(field.object, part)  # type: ignore[arg-type]
            return case((row.c[prefix + relation.present].is_(None), null()), else_=obj)
        if isinstance(relation, RowsOf):
            statement = relation.read.build(self.viewer, _key_of(source))
            rows = statement.correlate(source).lateral(self._name("r"))
            obj, joined = self.object(field.object, rows)
            ordered = [ClauseAdapter(rows).traverse(c) for c in statement._order_by_clauses]
            aggregated = func.json_agg(aggregate_order_by(obj, *ordered) if ordered else obj)
            return (
                select(func.coalesce(aggregated, _EMPTY_LIST))
                .select_from(joined)
                .correlate(source)
                .scalar_subquery()
            )
        table = table_of(relation.target.MODEL)
        target = table.alias(self._name("t"))
        obj, joined = self.object(field.object, target)
        if isinstance(relation, ToOne):
            return (
                select(obj)
                .select_from(joined)
                .where(target.c.id == source.c[relation.key], self._visible(table, target))
                .correlate(source)
                .scalar_subquery()
            )
        assert isinstance(relation, Children)
        ordered = order_by(target, relation.order)
        return (
            select(func.coalesce(func.json_agg(aggregate_order_by(obj, *ordered)), _EMPTY_LIST))
            .select_from(joined)
            .where(
                target.c[relation.key] == source.c.id,
                self._visible(table, target, (relation.key, parent)),
                *listed(target),
            )
            .correlate(source)
            .scalar_subquery()
        )

    # Connections -----------------------------------------------------------------------

    def _paged(
        self, field: p.Paged, source: FromClause, parent: Table | None
    ) -> ColumnElement[Any]:
        relation = field.relation
        table = table_of(relation.target.MODEL)
        target = table.alias(self._name("t"))
        ordering = relation.sort.on(target)
        condition = [
            target.c[relation.key] == source.c.id,
            self._visible(table, target, (relation.key, parent)),
            *listed(target),
        ]
        if field.where is not None:
            condition.append(where_condition(field.where, table, self.viewer, rows=target))
        count = (
            select(func.count())
            .select_from(target)
            .where(*condition)
            .correlate(source)
            .scalar_subquery()
        )
        keys = list(ordering.columns)
        page = self._page(
            field.connection,
            [target],
            target,
            condition,
            keys,
            ordering.sort(),
            ordering.descending,
        )
        rows = page.correlate(source).lateral(self._name("p"))
        json, joined = self._connection(field.connection, field.object, rows, len(keys), count)
        return (
            select(json)
            .select_from(joined)
            .group_by(_ONE_GROUP)
            .correlate(source)
            .scalar_subquery()
        )

    def _page(
        self,
        connection: p.ConnectionPlan,
        columns: Sequence[Any],
        source: FromClause,
        conditions: Sequence[ColumnElement[bool]],
        keys: Sequence[ColumnElement[Any]],
        sort: Sequence[ColumnElement[Any]],
        descending: bool,
    ) -> Select[Any]:
        """`first + 1` rows after the cursor, numbered `_n` in order, keys in `_k<i>`."""
        where = list(conditions)
        if connection.after is not None:
            bound = tuple_(
                *[
                    bindparam(param.name, type_=key.type)
                    for param, key in zip(connection.after, keys, strict=True)
                ]
            )
            where.append(tuple_(*keys) < bound if descending else tuple_(*keys) > bound)
        labelled = [key.label(f"_k{i}") for i, key in enumerate(keys)]
        number = func.row_number().over(order_by=list(sort)).label("_n")
        limit = bindparam(connection.first.name + "_limit", type_=Integer)
        return (
            select(*columns, *labelled, number)
            .select_from(source)
            .where(*where)
            .order_by(*sort)
            .limit(limit)
        )

    def _connection(
        self,
        connection: p.ConnectionPlan,
        node: p.ObjectPlan | None,
        rows: FromClause,
        key_count: int,
        count: ColumnElement[Any],
    ) -> tuple[ColumnElement[Any], FromClause]:
        first = bindparam(connection.first.name, type_=Integer)
        on_page = rows.c._n <= first
        joined: FromClause = rows
        obj = None
        if node is not None:
            obj, joined = self.object(node, rows)
        site = connection.cursor
        cursor = (
            _text(f"{CURSOR_MARK}{site.index}:").op("||")(
                cast(
                    func.json_build_array(
                        *[_cursor_key(rows.c[f"_k{i}"]) for i in range(key_count)]
                    ),
                    Text,
                )
            )
            if key_count
            else null()
        )
        pairs: list[ColumnElement[Any]] = []
        for key, part in connection.parts:
            pairs.append(_text(key))
            if part == "totalCount":
                pairs.append(count)
            elif isinstance(part, p.Constant):
                pairs.append(_text(part.value))
            elif part[0] == "edges":
                edge: list[ColumnElement[Any]] = []
                for edge_key, what in part[1]:
                    edge.append(_text(edge_key))
                    if what == "node":
                        assert obj is not None
                        edge.append(obj)
                    elif what == "cursor":
                        edge.append(cursor)
                    else:
                        edge.append(_text(what.value))
                agg = func.json_agg(aggregate_order_by(func.json_build_object(*edge), rows.c._n))
                pairs.append(func.coalesce(agg.filter(on_page), _EMPTY_LIST))
            else:  # pageInfo
                info: list[ColumnElement[Any]] = []
                for info_key, what in part[1]:
                    info.append(_text(info_key))
                    info.append(self._page_info(what, rows, first, on_page, cursor, connection))
                pairs.append(func.json_build_object(*info))
        return func.json_build_object(*pairs), joined

    def _page_info(
        self,
        what: Any,
        rows: FromClause,
        first: ColumnElement[Any],
        on_page: ColumnElement[bool],
        cursor: ColumnElement[Any],
        connection: p.ConnectionPlan,
    ) -> ColumnElement[Any]:
        if isinstance(what, p.Constant):
            return _text(what.value)
        if what == "hasNextPage":
            return func.count() > first
        if what == "hasPreviousPage":
            return true() if connection.after is not None else false()
        descending = what == "endCursor"
        order = rows.c._n.desc() if descending else rows.c._n
        marks = func.array_agg(aggregate_order_by(cursor, order), type_=_TEXT_ARRAY).filter(on_page)
        return marks[1]

    # Roots -----------------------------------------------------------------------------

    def root(self, plan: p.RootPlan) -> Select[Any]:
        """The statement answering a root field: one row, its JSON in `data` (none when a
        node is missing or hidden by a record rule)."""
        table = table_of(plan.node_type.MODEL)
        if isinstance(plan, p.RootNode):
            target = table.alias(self._name("t"))
            obj, joined = self.object(plan.object, target)
            key = bindparam(plan.key.name, type_=BigInteger)
            return (
                select(obj.label("data"))
                .select_from(joined)
                .where(target.c.id == key, self._visible(table, target))
            )
        ordering: RootOrdering = plan.ordering
        source = ordering.source if ordering.source is not None else table
        where = [*ordering.conditions, record_rule(self.viewer, table), *plan.conditions]
        keyset = [c.desc() if ordering.descending else c.asc() for c in ordering.keys]
        # Only the root table's columns (and the keys) leave the page: a joined source adds
        # columns of other tables, whose names may clash.
        page = self._page(
            plan.connection,
            [table],
            source,
            where,
            list(ordering.keys),
            keyset,
            ordering.descending,
        )
        rows = page.subquery(self._name("p"))
        count = (
            select(func.count()).select_from(source).where(*where).correlate(None).scalar_subquery()
        )
        json, joined = self._connection(
            plan.connection, plan.object, rows, len(ordering.keys), count
        )
        return select(json.label("data")).select_from(joined).group_by(_ONE_GROUP)


class _Prefixed:
    """The columns of a row whose names carry a prefix, seen without it (`.c[name]`)."""

    def __init__(self, row: FromClause, prefix: str) -> None:
        self.c = _PrefixedColumns(row, prefix)
        self.row = row


class _PrefixedColumns:
    def __init__(self, row: FromClause, prefix: str) -> None:
        self.row = row
        self.prefix = prefix

    def __getitem__(self, name: str) -> ColumnElement[Any]:
        return self.row.c[self.prefix + name]


def render(plan: p.RootPlan, viewer: Viewer) -> Select[Any]:
    """The statement of a compiled root field."""
    return Renderer(viewer).root(plan)
