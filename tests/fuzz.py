"""Documents generated from the schema (hypothesis-graphql) and what a response may never be.

Shared by the suite's small fuzz run (`tests/api/test_fuzz.py`) and the longer command
(`python -m tests.benchmarks.fuzz`). Queries and mutations are generated valid against the
schema (`Mode.POSITIVE`: any argument values, NUL bytes and huge numbers included) and
invalid on purpose (`Mode.NEGATIVE`); either way the API must answer with a 2xx/4xx status
and typed errors only: never a 5xx, never INTERNAL_SERVER_ERROR, never a stack trace.
"""

from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes
from hypothesis_graphql import strategies as gql

from schema.build import build_schema

SCALARS = {
    "Date": st.dates().map(nodes.String),
    "DateTime": st.datetimes().map(lambda moment: nodes.String(moment.isoformat())),
    "Decimal": st.decimals(allow_nan=False, allow_infinity=False, places=2).map(nodes.String),
    # A file comes in a multipart request; in a JSON document any value stands in its place,
    # which the mutation must refuse like any other bad input.
    "Upload": st.text(max_size=20).map(nodes.String),
}


def documents(count: int, *, fixed: bool = True) -> list[tuple[str, str]]:
    """`count` generated (kind, document) pairs; `fixed`: the same ones every time."""
    schema = build_schema()._schema
    kinds = {
        "query": gql.queries(schema, custom_scalars=SCALARS),
        "mutation": gql.mutations(schema, custom_scalars=SCALARS),
        "invalid query": gql.queries(schema, custom_scalars=SCALARS, mode=gql.Mode.NEGATIVE),
    }
    each = count // len(kinds)
    return [
        (kind, document)
        for kind, strategy in kinds.items()
        for document in _draw(strategy, each, fixed=fixed)
    ]


def _draw(strategy: st.SearchStrategy[Any], count: int, *, fixed: bool) -> list[str]:
    drawn: list[str] = []

    @settings(
        max_examples=count,
        database=None,
        derandomize=fixed,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(document=strategy)
    def draw(document: Any) -> None:
        drawn.append(str(document))

    draw()
    return drawn


def problems(status: int, body: Any) -> list[str]:
    """What is wrong with a response to a generated document (empty: nothing)."""
    found = []
    if status >= 500:
        found.append(f"HTTP {status}")
    errors = body.get("errors", []) if isinstance(body, dict) else []
    for error in errors:
        code = (error.get("extensions") or {}).get("code")
        if not code:
            found.append(f"an error without a code: {error.get('message')}")
        if code == "INTERNAL_SERVER_ERROR":
            found.append(f"INTERNAL_SERVER_ERROR at {error.get('path')}")
        if "Traceback" in str(error.get("message")):
            found.append("a stack trace in a message")
    return found
