"""Abusive requests are refused with a readable error before any resolver or SQL runs."""

from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLObjectType,
    get_named_type,
    get_nullable_type,
    is_list_type,
    parse,
    validate,
)
from sqlalchemy import event, text
from starlette.applications import Starlette

from api.app import create_app
from api.security.query_limits import QueryLimits
from api.settings import Settings
from domain.core.access import Viewer
from domain.core.sessions import create_engine
from schema.build import build_schema
from schema.core.context import Context
from schema.core.loaders import Loaders
from schema.core.prefetch import collect
from schema.core.relations import estimated_items
from tests.api.conftest import GraphQL, StatementCounter, Tokens, bearer

pytestmark = pytest.mark.usefixtures("demo")


def _limit(result: dict[str, Any], limit: str) -> str:
    assert result.get("data") is None, result
    [error] = result["errors"]
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED", error
    assert error["extensions"]["limit"] == limit
    return str(error["message"])


def _nested(levels: int) -> str:
    """A query `levels` employee→customer hops deep."""
    inner = "id"
    for _ in range(levels):
        inner = (
            f"managedCustomers(first: 1) {{ edges {{ node {{ accountManager {{ {inner} }} }} }} }}"
        )
    return f"{{ employees(first: 1) {{ edges {{ node {{ {inner} }} }} }} }}"


async def test_a_query_within_every_limit_runs(graphql: GraphQL) -> None:
    result = await graphql(_nested(2))
    assert "errors" not in result, result["errors"]


async def test_too_deep_is_refused_before_anything_runs(
    graphql: GraphQL, statements: StatementCounter
) -> None:
    message = _limit(await graphql(_nested(3)), "depth")
    assert message == "the query is 16 fields deep; the maximum is 12"
    assert statements.count == 0


async def test_depth_counts_through_fragments(
    graphql: GraphQL, statements: StatementCounter
) -> None:
    query = (
        "query { employees(first: 1) { ...Deep } }\n"
        "fragment Deep on EmployeeConnection { edges { node { managedCustomers(first: 1) {"
        " edges { node { accountManager { managedCustomers(first: 1) { edges { node {"
        " accountManager { managedCustomers(first: 1) { totalCount } } } } } } } } } } } }"
    )
    assert "fields deep" in _limit(await graphql(query), "depth")
    assert statements.count == 0


async def test_too_many_aliases_are_refused(graphql: GraphQL, statements: StatementCounter) -> None:
    aliases = " ".join(f"a{i}: customers(first: 1) {{ totalCount }}" for i in range(31))
    assert _limit(await graphql(f"{{ {aliases} }}"), "aliases") == (
        "the query uses 31 aliases; the maximum is 30"
    )
    assert statements.count == 0


async def test_aliases_count_once_per_fragment_spread(
    graphql: GraphQL, statements: StatementCounter
) -> None:
    fragment = "fragment Counts on Query { " + " ".join(
        f"c{i}: customers(first: 1) {{ totalCount }}" for i in range(16)
    )
    query = "{ ...Counts ... on Query { ...Counts } }\n" + fragment + " }"
    assert "32 aliases" in _limit(await graphql(query), "aliases")
    assert statements.count == 0


async def test_too_many_tokens_are_refused_before_parsing(
    graphql: GraphQL, statements: StatementCounter
) -> None:
    fields = " ".join(["totalCount"] * 2100)
    message = _limit(await graphql(f"{{ customers(first: 1) {{ {fields} }} }}"), "tokens")
    assert message == "the document has more than 2000 tokens"
    assert statements.count == 0


async def test_a_document_too_long_is_refused_before_it_is_read(
    graphql: GraphQL, statements: StatementCounter
) -> None:
    # Few tokens, but lexing a 40,000-character literal costs as much as lexing code.
    literal = "x" * 40_000
    query = f'{{ customers(filter: {{country: "{literal}"}}) {{ totalCount }} }}'
    assert _limit(await graphql(query), "chars") == (
        f"the document is {len(query)} characters long; the maximum is 32768 "
        "(pass long text as variables)"
    )
    assert statements.count == 0


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{ customers(first: 101) { totalCount } }", {}),
        ("query($n: Int!) { customers(first: $n) { totalCount } }", {"n": 1000}),
        ("query($n: Int = 500) { customers(first: $n) { totalCount } }", {}),
        (
            "{ customers(first: 1) { edges { node { orders(first: 500) { totalCount } } } } }",
            {},
        ),
        (
            "{ customers(first: 1) { edges { node { ...Orders } } } }\n"
            "fragment Orders on Customer { orders(first: 500) { totalCount } }",
            {},
        ),
    ],
    ids=["literal", "variable", "default", "nested", "fragment"],
)
async def test_pages_larger_than_allowed_are_refused(
    graphql: GraphQL, statements: StatementCounter, query: str, variables: dict[str, int]
) -> None:
    assert "`first` may be at most 100" in _limit(await graphql(query, variables), "first")
    assert statements.count == 0


async def test_connections_multiplying_past_the_row_estimate_are_refused(
    graphql: GraphQL, statements: StatementCounter
) -> None:
    query = (
        "{ customers(first: 100) { edges { node {"
        " orders(first: 100) { edges { node { number lines { quantity } } } } } } } }"
    )
    message = _limit(await graphql(query), "nodes")
    # 100 customers, 100 orders each, each order counted with its 5 estimated lines.
    assert "about 60100 rows" in message
    assert statements.count == 0
    fine = query.replace("orders(first: 100)", "orders(first: 10)")
    assert "errors" not in await graphql(fine)


async def test_plain_lists_multiply_the_estimate_by_their_declared_size(
    graphql: GraphQL, statements: StatementCounter
) -> None:
    # No connection beyond the first: before lists counted, this ran and grew without bound.
    query = (
        "{ employees(first: 100) { edges { node { department { employees {"
        " reports { department { employees { name } } } } } } } } }"
    )
    # 100 employees x 50 colleagues x 10 reports x (1 + 50 colleagues), plus each level.
    assert "about 2555100 rows" in _limit(await graphql(query), "nodes")
    assert statements.count == 0


def test_every_list_of_objects_declares_its_estimated_size() -> None:
    schema = build_schema()._schema
    undeclared = [
        f"{parent.name}.{name}"
        for parent in schema.type_map.values()
        if isinstance(parent, GraphQLObjectType) and not parent.name.startswith("__")
        for name, field in parent.fields.items()
        if is_list_type(get_nullable_type(field.type))
        and isinstance(get_named_type(field.type), GraphQLObjectType)
        and name != "edges"  # a connection's page
        and parent is not schema.query_type  # `nodes(ids:)` counts its ids
        and estimated_items(parent, name) is None
    ]
    assert undeclared == []


async def _employees_with_colleagues(app: Starlette, max_rows: int | None) -> Any:
    state = app.state.bizgraph
    viewer = Viewer(employee_id=None, email="admin@example.com", roles=frozenset({"admin"}))
    context = Context(
        state=state,
        viewer=viewer,
        request_id="test",
        loaders=Loaders(state.reads, viewer),
        max_rows=max_rows,
    )
    query = "{ employees(first: 3) { edges { node { department { employees { name } } } } } }"
    graph = build_schema(shortcuts=state.settings.execution_shortcuts)
    return await graph.execute(query, context_value=context)


async def test_rows_of_a_response_are_counted_as_it_is_built(app: Starlette) -> None:
    unlimited = await _employees_with_colleagues(app, None)
    assert unlimited.errors is None
    edges = unlimited.data["employees"]["edges"]
    # Every list item counts as often as it appears: colleagues repeat per employee.
    rows = len(edges) + sum(len(e["node"]["department"]["employees"]) for e in edges)
    exact = await _employees_with_colleagues(app, rows)
    assert exact.errors is None
    assert exact.data == unlimited.data
    refused = await _employees_with_colleagues(app, rows - 1)
    assert refused.data is None
    [error] = refused.errors
    assert error.extensions == {"code": "LIMIT_EXCEEDED", "limit": "nodes", "maximum": rows - 1}
    assert error.message.startswith(f"the response would hold more than {rows - 1} rows")


async def test_a_response_over_the_byte_budget_is_refused(
    settings: Settings, tokens: Tokens
) -> None:
    app = create_app(settings.model_copy(update={"max_response_bytes": 2048}))
    transport = httpx.ASGITransport(app=app)
    headers = bearer(await tokens.admin())
    query = "{ customers(first: 100) { edges { node { name email code } } } }"
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        small = await client.post(
            "/graphql", json={"query": "{ customers { totalCount } }"}, headers=headers
        )
        large = await client.post("/graphql", json={"query": query}, headers=headers)
    await app.state.bizgraph.engine.dispose()
    assert small.json()["data"]["customers"]["totalCount"] > 100
    assert large.status_code == 200
    assert len(large.content) < 2048
    assert "larger than 2048 bytes" in _limit(large.json(), "response")


async def test_node_lists_multiply_the_estimate_by_their_ids(
    graphql: GraphQL, statements: StatementCounter
) -> None:
    ids = ", ".join(f'"Q3VzdG9tZXI6{i}"' for i in range(100))
    query = (
        f"{{ nodes(ids: [{ids}]) {{ ... on Customer {{ orders(first: 100) {{ totalCount"
        " edges { node { lines { quantity } } } } } } }"
    )
    assert "about 60100 rows" in _limit(await graphql(query), "nodes")
    assert statements.count == 0


def test_fragment_bombs_are_measured_in_linear_time(settings: Settings) -> None:
    # Each fragment spreads the next twice: 2^40 paths. strawberry's own limiters walk every
    # path and would not finish; measuring each fragment once answers at once.
    levels = 40
    fragments = [
        f"fragment F{i} on Query {{ a{i}: __typename ...F{i + 1} ...F{i + 1} }}"
        for i in range(levels)
    ]
    fragments.append(f"fragment F{levels} on Query {{ __typename }}")
    document = parse("{ ...F0 }\n" + "\n".join(fragments))
    rule = QueryLimits.from_settings(settings).shape_rule
    aliases, fields = validate(build_schema()._schema, document, [rule])
    assert aliases.extensions == {"code": "LIMIT_EXCEEDED", "limit": "aliases", "maximum": 30}
    assert f"uses {2**levels - 1} aliases" in aliases.message
    assert fields.extensions == {"code": "LIMIT_EXCEEDED", "limit": "fields", "maximum": 1000}


def _doubling_fragments(levels: int, on: str, leaf: str) -> str:
    """Fragments F0..F<levels>, each spreading the next twice: 2^levels copies of `leaf`."""
    fragments = [f"fragment F{i} on {on} {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    fragments.append(f"fragment F{levels} on {on} {{ {leaf} }}")
    return "\n".join(fragments)


async def test_a_fragment_bomb_is_refused_by_its_expanded_fields(
    graphql: GraphQL, statements: StatementCounter
) -> None:
    # Under 1 KB, no depth and no aliases: only counting the fields after expansion sees it.
    query = "{ employees(first: 1) { edges { node { ...F0 } } } }\n" + _doubling_fragments(
        20, "Employee", "name"
    )
    assert len(query) < 1024
    message = _limit(await graphql(query), "fields")
    assert message == (
        f"the query selects {2**20 + 3} fields once its fragments are expanded; the maximum is 1000"
    )
    assert statements.count == 0


async def test_every_spread_of_a_fragment_counts_its_fields(
    graphql: GraphQL, statements: StatementCounter
) -> None:
    query = "{ employees(first: 1) { edges { node { ...Many } } } }\n"
    query += "fragment Person on Employee { name email title }\n"
    query += "fragment Many on Employee { " + " ".join(["...Person"] * 400) + " }"
    message = _limit(await graphql(query), "fields")
    assert message.startswith("the query selects 1203 fields")
    assert statements.count == 0


def test_field_collection_walks_each_fragment_once() -> None:
    schema = build_schema()._schema
    document = parse(
        "{ employees { ...F0 } }\n" + _doubling_fragments(16, "EmployeeConnection", "totalCount")
    )
    fragments = {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"}
    [operation] = [d for d in document.definitions if d.kind == "operation_definition"]
    info = SimpleNamespace(schema=schema, fragments=fragments, variable_values={})
    connection = schema.get_type("EmployeeConnection")
    [field] = operation.selection_set.selections
    selected = collect(info, connection, [field])  # type: ignore[arg-type]
    assert list(selected) == ["totalCount"]
    assert len(selected["totalCount"]) == 1


@pytest.fixture
async def unlimited_fields(settings: Settings, tokens: Tokens) -> AsyncIterator[GraphQL]:
    """A client of an app that lets any number of expanded fields through."""
    app = create_app(settings.model_copy(update={"max_fields": 10**15}))
    headers = bearer(await tokens.admin())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

        async def run(query: str) -> dict[str, Any]:
            response = await client.post("/graphql", json={"query": query}, headers=headers)
            assert response.status_code == 200, response.text
            return response.json()  # type: ignore[no-any-return]

        yield run
    await app.state.bizgraph.engine.dispose()


async def test_a_fragment_chain_past_the_limit_still_executes_in_linear_time(
    unlimited_fields: GraphQL,
) -> None:
    # 2^40 copies of the selection: the executor, the prefetch and the totalCount check each
    # walk a fragment once, or this would not finish.
    query = "{ employees(first: 2) { ...F0 } }\n" + _doubling_fragments(
        40, "EmployeeConnection", "totalCount edges { node { name department { name } } }"
    )
    result = await unlimited_fields(query)
    assert "errors" not in result, result
    assert result["data"]["employees"]["totalCount"] > 2
    assert all(edge["node"]["department"]["name"] for edge in result["data"]["employees"]["edges"])


async def test_batching_is_off_by_default(
    client: httpx.AsyncClient, tokens: Tokens, statements: StatementCounter
) -> None:
    batch = [{"query": "{ customers { totalCount } }"}] * 2
    response = await client.post("/graphql", json=batch, headers=bearer(await tokens.admin()))
    assert response.status_code == 400
    assert "batching is off" in _limit(response.json(), "batch")
    assert statements.count == 0


@pytest.fixture
async def batching_app(settings: Settings) -> AsyncIterator[Starlette]:
    app = create_app(settings.model_copy(update={"max_batch_operations": 2}))
    yield app
    await app.state.bizgraph.engine.dispose()


async def test_batches_are_limited_when_batching_is_on(
    batching_app: Starlette, tokens: Tokens
) -> None:
    transport = httpx.ASGITransport(app=batching_app)
    headers = bearer(await tokens.admin())
    operation = {"query": "{ customers { totalCount } }"}
    statements: list[object] = []
    engine = batching_app.state.bizgraph.engine.sync_engine
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        allowed = await client.post("/graphql", json=[operation] * 2, headers=headers)
        statements.clear()
        refused = await client.post("/graphql", json=[operation] * 3, headers=headers)
    assert statements == []
    assert allowed.status_code == 200
    assert [r["data"]["customers"]["totalCount"] > 0 for r in allowed.json()] == [True, True]
    assert refused.status_code == 400
    assert "at most 2 operations (this one has 3)" in _limit(refused.json(), "batch")


async def test_a_declared_oversized_body_is_refused_unread(
    client: httpx.AsyncClient, tokens: Tokens, settings: Settings, statements: StatementCounter
) -> None:
    body = (
        b'{"query": "{ __typename }", "variables": {"pad": "'
        + b"x" * settings.max_body_bytes
        + b'"}}'
    )
    response = await client.post(
        "/graphql",
        content=body,
        headers={**bearer(await tokens.admin()), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert "larger than 1048576 bytes" in _limit(response.json(), "body")
    assert statements.count == 0


async def test_a_streamed_oversized_body_is_refused(
    client: httpx.AsyncClient, tokens: Tokens, statements: StatementCounter
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ __typename }", "variables": {"pad": "'
        for _ in range(64):
            yield b"x" * 65536
        yield b'"}}'

    response = await client.post(
        "/graphql",
        content=chunks(),
        headers={**bearer(await tokens.admin()), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    _limit(response.json(), "body")
    assert statements.count == 0


async def test_statements_of_api_requests_are_bounded_by_the_timeout(
    app: Starlette, database_url: str
) -> None:
    async with app.state.bizgraph.engine.connect() as connection:
        assert await connection.scalar(text("SHOW statement_timeout")) == "5s"
    hasty = create_engine(database_url, pool_size=1, statement_timeout_ms=50)
    try:
        async with hasty.connect() as connection:
            with pytest.raises(Exception, match="statement timeout"):
                await connection.execute(text("SELECT pg_sleep(2)"))
    finally:
        await hasty.dispose()
