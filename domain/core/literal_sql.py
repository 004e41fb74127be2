"""Read rules as SQL that is the same text whatever the values, and rendered as text.

Text-SQL statements (the analytics recomputes) and the BI views embed a rule's SQL instead
of calling Python at query time. Rendering the very expression the API evaluates keeps one
definition of the rule; values are inlined (`literal_binds`), so the text stands alone.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, String, any_, literal
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql import ClauseElement, Subquery

_DIALECT = postgresql.dialect()


def render(expression: ClauseElement | Any) -> str:
    """The PostgreSQL text of `expression`, with its bound values written in."""
    text = str(expression.compile(dialect=_DIALECT, compile_kwargs={"literal_binds": True}))
    return "\n".join(line.rstrip() for line in text.splitlines())


def render_subquery(subquery: Subquery) -> str:
    """`(<select>) AS <name>`, to join a rule's subquery in text SQL."""
    return f"({render(subquery.element)}) AS {subquery.name}"


def one_of(column: ColumnElement[Any], values: Sequence[str]) -> ColumnElement[bool]:
    """`column = ANY(ARRAY[...])`: a vocabulary test whose SQL does not depend on the values.

    An IN list would be an expanding parameter, which the compiled read statements refuse
    (`domain.core.reads.compile_select`); rendered as text it reads `= ANY (ARRAY[...])`.
    """
    return column == any_(literal(list(values), ARRAY(String)))
