"""The schema's one door to SQL: the statements behind relations, pages, filters and batches,
and the compiled reads that build a root field's JSON in one statement.

Every other schema module describes its reads as data — a relation's key and sort columns,
a filter field's column and operator, a root list's sort — or names a read rule of the
domain (`domain.erp.receivables`, `stock_position`, …); this package turns them into
SQLAlchemy Core statements, which `domain.core.reads` compiles once per shape and runs on
asyncpg. An import-linter contract keeps SQLAlchemy out of every other module of `schema/`.
"""

from sqlalchemy import Table

from schema.core.sql.aggregates import AggregateRequest, aggregate_statement
from schema.core.sql.base import (
    KEYS,
    LIMIT,
    Condition,
    Statement,
    all_of,
    compiled,
    listed,
    table_of,
    visible,
)
from schema.core.sql.filters import conditions, entity_conditions, text_search
from schema.core.sql.orderings import Ordering, Sort, ascending, newest, order_by
from schema.core.sql.relations import (
    BatchRead,
    RowValues,
    children,
    page_per_parent,
    row_columns,
    row_per_key,
    rows_by_id,
    rows_per_key,
)
from schema.core.sql.roots import RootOrdering, RootPage, by_columns, by_expression, root_page
from schema.core.sql.segments import all_rows, segment_figures, segments_holding
from schema.core.sql.where import root_conditions, where_condition

__all__ = [
    "KEYS",
    "LIMIT",
    "AggregateRequest",
    "BatchRead",
    "Condition",
    "Ordering",
    "RootOrdering",
    "RootPage",
    "RowValues",
    "Sort",
    "Statement",
    "Table",
    "aggregate_statement",
    "all_of",
    "all_rows",
    "ascending",
    "by_columns",
    "by_expression",
    "children",
    "compiled",
    "conditions",
    "entity_conditions",
    "listed",
    "newest",
    "order_by",
    "page_per_parent",
    "root_conditions",
    "root_page",
    "row_columns",
    "row_per_key",
    "rows_by_id",
    "rows_per_key",
    "segment_figures",
    "segments_holding",
    "table_of",
    "text_search",
    "visible",
    "where_condition",
]
