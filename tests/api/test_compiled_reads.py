"""Compiled reads answer exactly as the general path does, in one statement per root field.

Every API test already runs with compiled reads and compares each query's answer with the
general path's (`tests/api/conftest.py`). Here: documents generated from the schema, for
every role, through both paths; the statement count; plans shared across requests; and the
read-model statements joined per parent key.
"""

import random
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from graphql import (
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    parse,
    validate,
)
from sqlalchemy import BigInteger, select, true
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from strawberry.relay import to_base64

from api.graphiql import CUSTOMER_360
from domain.core.access import ROLES, Viewer
from domain.core.sessions import asyncpg_dsn
from domain.crm.models import Customer
from domain.demo.seed import seed_database
from schema.build import build_schema
from schema.core import sql
from schema.core.compiled.runner import COMPILED_READS, CompiledReads, Entry
from schema.core.relations import Computed, RowOf, RowsOf, relation_of
from tests.api import two_paths
from tests.api.conftest import (
    DEMO_CUSTOMERS,
    DEMO_SEED,
    DEMO_TODAY,
    StatementCounter,
    Tokens,
    bearer,
    comparable,
    difference,
)
from tests.conftest import truncate_all
from tests.fuzz import documents

GENERATED = 120

# The fixtures of both paths, shared with the other tests that run them side by side.
compiled_app, general_app, tokens = two_paths.compiled_app, two_paths.general_app, two_paths.tokens


@pytest.fixture(scope="module")
async def company(
    database_url: str, compiled_app: Starlette, general_app: Starlette, engine: AsyncEngine
) -> AsyncIterator[dict[str, Any]]:
    """The demo company, and who of it to be: a sales rep with customers, a busy customer."""
    await seed_database(
        database_url, customers=DEMO_CUSTOMERS, seed=DEMO_SEED, today=DEMO_TODAY, reset=True
    )
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        rep = await connection.fetchval(
            "SELECT e.email FROM crm.customer c JOIN erp.employee e ON e.id = c.account_manager_id "
            "GROUP BY e.email ORDER BY count(*) DESC, e.email LIMIT 1"
        )
        busy = await connection.fetchval(
            "SELECT customer_id FROM erp.sales_order GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        )
    finally:
        await connection.close()
    for app in (compiled_app, general_app):
        app.state.security.directory.forget()
    yield {"rep": rep, "customer": to_base64("Customer", busy)}
    await truncate_all(engine)


def _reads_of(app: Starlette) -> CompiledReads:
    # /graphql is routed twice (HTTP and WebSocket) to the one view.
    view = next(route.endpoint for route in app.routes if getattr(route, "path", "") == "/graphql")
    reads = view.schema._schema.extensions[COMPILED_READS]
    assert isinstance(reads, CompiledReads)
    return reads


async def _answers(
    compiled_app: Starlette,
    general_app: Starlette,
    document: str,
    headers: dict[str, str],
    variables: dict[str, Any] | None = None,
) -> tuple[Any, Any]:
    """The answers of both apps. A document the compiled app answered with compiled reads alone
    is sent to it again, and that answer (api.compiled_requests) must be the same."""
    answers = []
    body = {"query": document, "variables": variables or {}}
    for app in (compiled_app, general_app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.post("/graphql", json=body, headers=headers)
            answers.append((response.status_code, comparable(response.json())))
            if app is compiled_app and app.state.compiled_requests.knows(document):
                again = await client.post("/graphql", json=body, headers=headers)
                repeated = (again.status_code, comparable(again.json()))
                assert repeated == answers[0], difference(repeated[1], answers[0][1])
    return answers[0], answers[1]


async def test_generated_queries_answer_alike_for_every_role(
    compiled_app: Starlette, general_app: Starlette, company: dict[str, Any], tokens: Tokens
) -> None:
    queries = [document for kind, document in documents(GENERATED * 3) if kind == "query"]
    assert len(queries) == GENERATED
    reads = _reads_of(compiled_app)
    for index, document in enumerate(queries):
        role = ROLES[index % len(ROLES)]
        headers = bearer(tokens.mint(company["rep"], role))
        compiled, general = await _answers(compiled_app, general_app, document, headers)
        assert compiled[0] == general[0], document
        assert compiled[1] == general[1], (
            f"{role}: {document}\n{difference(compiled[1], general[1])}"
        )
    # Many generated selections compile; the rest take the general path, as designed. How
    # many depends on what the generator draws from the schema (it varies with every new
    # field); a handful means compiling broke.
    compiled = [entry for entry in reads._plans.values() if isinstance(entry, Entry)]
    assert len(compiled) >= 12, (len(compiled), len(reads._plans))


@pytest.mark.parametrize("role", ROLES)
async def test_the_customer_360_is_one_statement_for_every_role(
    role: str,
    compiled_app: Starlette,
    general_app: Starlette,
    company: dict[str, Any],
    tokens: Tokens,
) -> None:
    headers = bearer(tokens.mint(company["rep"], role))
    variables = {"id": company["customer"]}
    compiled, general = await _answers(compiled_app, general_app, CUSTOMER_360, headers, variables)
    assert compiled == general, difference(compiled[1], general[1])


def _reads() -> dict[str, sql.BatchRead]:
    """Every read-model statement a relation of the schema uses."""
    graph = build_schema()._schema
    found: dict[str, sql.BatchRead] = {}
    for graphql_type in graph.type_map.values():
        for field in getattr(graphql_type, "fields", {}).values():
            relation = relation_of(field) if hasattr(field, "extensions") else None
            if isinstance(relation, (Computed, RowOf, RowsOf)):
                found[relation.read.name] = relation.read
    return found


READS = _reads()


@pytest.mark.parametrize("name", sorted(READS))
def test_a_read_model_statement_takes_its_parent_key_once(name: str) -> None:
    # Compiled, the statement is joined LATERAL to each parent row with the parent's key in
    # place of the batch's array: a key used inside a derived table of the statement would
    # drag the parent's whole query in with it, once per such table.
    parent = sql.table_of(Customer).alias("keyholder")
    viewer = Viewer(employee_id=7, email="rep@example.com", roles=frozenset({"sales_rep"}))
    joined = READS[name].build(viewer, array([parent.c.id], type_=BigInteger)).lateral("d")
    statement = select(parent.c.id).select_from(parent.outerjoin(joined, true()))
    text = str(statement.compile(dialect=postgresql.dialect()))
    assert text.count("AS keyholder") == 1, text


async def test_a_plan_serves_every_customer_and_statements_stay_one(
    compiled_app: Starlette, company: dict[str, Any], tokens: Tokens, database_url: str
) -> None:
    reads = _reads_of(compiled_app)
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        ids = [row["id"] for row in await connection.fetch("SELECT id FROM crm.customer LIMIT 3")]
    finally:
        await connection.close()
    counter = StatementCounter()
    plans_before = len(reads._plans)

    def count(*_: Any) -> None:
        counter.count += 1

    state = compiled_app.state.bizgraph
    state.reads.listeners.append(count)
    headers = bearer(await tokens.admin())
    try:
        transport = httpx.ASGITransport(app=compiled_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for key in ids:
                counter.count = 0
                variables = {"id": to_base64("Customer", key)}
                body = {"query": CUSTOMER_360, "variables": variables}
                response = await client.post("/graphql", json=body, headers=headers)
                assert "errors" not in response.json()
                assert counter.count == 1
    finally:
        state.reads.listeners.remove(count)
    # One plan for all three customers (made by the first request, or an earlier test's).
    assert len(reads._plans) - plans_before <= 1


def _selection(
    graph: GraphQLSchema, parent: GraphQLObjectType, rng: random.Random, depth: int
) -> str:
    """A random valid selection of `parent`'s fields: leaves, relations and connections with
    small pages, some aliased, in fragments, or under @include/@skip."""
    parts: list[str] = []
    names = [
        n
        for n, f in parent.fields.items()
        if not any(isinstance(a.type, GraphQLNonNull) for a in f.args.values())
    ]
    for name in rng.sample(names, min(len(names), rng.randint(1, 5))):
        field = parent.fields[name]
        named = get_named_type(field.type)
        alias = f"a{rng.randint(0, 9)}_{name}: " if rng.random() < 0.2 else ""
        if isinstance(named, GraphQLObjectType):
            if depth >= 3:
                continue
            if named.name.endswith("Connection"):
                node = get_named_type(
                    get_named_type(named.fields["edges"].type).fields["node"].type
                )
                inner = _selection(graph, node, rng, depth + 1)  # type: ignore[arg-type]
                extras = rng.choice(
                    [
                        "",
                        "totalCount",
                        "pageInfo { hasNextPage endCursor }",
                        "pageInfo { startCursor hasPreviousPage }",
                    ]
                )
                cursor = "cursor " if rng.random() < 0.3 else ""
                text = f"{name}(first: {rng.randint(0, 3)}) {{ {extras} edges {{ {cursor}node {{ {inner} }} }} }}"
            else:
                text = f"{name} {{ {_selection(graph, named, rng, depth + 1)} }}"
        else:
            text = name
        roll = rng.random()
        if roll < 0.1:
            text = f"... on {parent.name} {{ {alias}{text} }}"
        elif roll < 0.2:
            text = f"... @include(if: $yes) {{ {alias}{text} }}"
        elif roll < 0.25:
            text = f"{alias}{text.replace(' {', ' @skip(if: $yes) {', 1) if '{' in text else text + ' @skip(if: $no)'}"
        else:
            text = alias + text
        parts.append(text)
    return " ".join(parts) or "__typename"


def _documents(count: int) -> list[str]:
    """Queries of random valid selections under the root lists (a deterministic sample)."""
    graph = build_schema()._schema
    query = graph.query_type
    assert query is not None
    roots = [
        n for n, f in query.fields.items() if get_named_type(f.type).name.endswith("Connection")
    ]
    found = []
    for seed in range(count):
        rng = random.Random(seed)
        root = rng.choice(roots)
        connection = get_named_type(query.fields[root].type)
        node = get_named_type(get_named_type(connection.fields["edges"].type).fields["node"].type)  # type: ignore[union-attr]
        inner = _selection(graph, node, rng, 0)  # type: ignore[arg-type]
        body = (
            f"{root}(first: {rng.randint(1, 4)}) "
            f"{{ totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {inner} }} }} }}"
        )
        # Only the flags the selection uses are declared: an unused variable is invalid.
        flags = [
            f"${flag}: Boolean! = {value}"
            for flag, value in (("yes", "true"), ("no", "false"))
            if f"${flag})" in body
        ]
        document = f"query({', '.join(flags)}) {{ {body} }}" if flags else f"{{ {body} }}"
        assert not validate(graph, parse(document)), document
        found.append(document)
    return found


RANDOM_SELECTIONS = 48


async def test_random_selections_answer_alike_for_every_role(
    compiled_app: Starlette, general_app: Starlette, company: dict[str, Any], tokens: Tokens
) -> None:
    reads = _reads_of(compiled_app)
    before = sum(isinstance(entry, Entry) for entry in reads._plans.values())
    answered_before = compiled_app.state.compiled_requests.answered
    for index, document in enumerate(_documents(RANDOM_SELECTIONS)):
        for role in ROLES:
            headers = bearer(tokens.mint(company["rep"], role))
            compiled, general = await _answers(compiled_app, general_app, document, headers)
            assert compiled[0] == general[0] == 200, document
            assert compiled[1] == general[1], (
                f"#{index} {role}: {document}\n{difference(compiled[1], general[1])}"
            )
    # Most of these compile (the rest: roles refused the root type, wide objects, …).
    compiled_plans = sum(isinstance(entry, Entry) for entry in reads._plans.values()) - before
    assert compiled_plans >= RANDOM_SELECTIONS, compiled_plans
    # A document compiled whole for one role is answered directly for the roles after it
    # that have a plan of their own; each such answer was compared above.
    answered = compiled_app.state.compiled_requests.answered - answered_before
    assert answered >= RANDOM_SELECTIONS, answered
