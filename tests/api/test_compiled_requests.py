"""A query compiled whole is answered without strawberry when it comes again
(`api.compiled_requests`), exactly as the general path answers it.

The API tests send every such query twice (tests/api/conftest.py), and the compiled-read
tests do the same for generated documents and every role; here: what must make the direct
answer step aside, and what it must still do itself (errors, masking, metrics).
"""

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from strawberry.relay import to_base64

from api.compiled_requests import CompiledRequests
from api.graphiql import CUSTOMER_360
from domain.core.reads import ReadPool
from domain.core.sessions import asyncpg_dsn
from domain.demo.seed import seed_database
from tests.api import two_paths
from tests.api.conftest import (
    DEMO_CUSTOMERS,
    DEMO_SEED,
    DEMO_TODAY,
    Tokens,
    bearer,
    comparable,
    difference,
)
from tests.conftest import truncate_all

PAGE = """query Page($n: Int!, $search: String) {
  customers(first: $n, filter: {search: $search}) { totalCount edges { node { id name } } }
}"""

# The fixtures of both paths, shared with the other tests that run them side by side.
compiled_app, general_app, tokens = two_paths.compiled_app, two_paths.general_app, two_paths.tokens


@pytest.fixture(scope="module")
async def customers(
    database_url: str, compiled_app: Starlette, general_app: Starlette, engine: AsyncEngine
) -> AsyncIterator[list[str]]:
    """The demo company's customers with the most orders, busiest first, as global IDs."""
    await seed_database(
        database_url, customers=DEMO_CUSTOMERS, seed=DEMO_SEED, today=DEMO_TODAY, reset=True
    )
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        rows = await connection.fetch(
            "SELECT customer_id FROM erp.sales_order GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 3"
        )
    finally:
        await connection.close()
    for app in (compiled_app, general_app):
        app.state.security.directory.forget()
    yield [to_base64("Customer", row["customer_id"]) for row in rows]
    await truncate_all(engine)


def _direct(app: Starlette) -> CompiledRequests:
    compiled_requests = app.state.compiled_requests
    assert isinstance(compiled_requests, CompiledRequests)
    return compiled_requests


async def _post(
    app: Starlette, document: str, variables: dict[str, Any], headers: dict[str, str]
) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.post(
            "/graphql", json={"query": document, "variables": variables}, headers=headers
        )


async def _both(
    compiled_app: Starlette,
    general_app: Starlette,
    document: str,
    variables: dict[str, Any],
    headers: dict[str, str],
) -> tuple[dict[str, Any], bool]:
    """The compiled app's answer, checked against the general path's; and whether it was
    answered directly."""
    before = _direct(compiled_app).answered
    answer = await _post(compiled_app, document, variables, headers)
    expected = await _post(general_app, document, variables, headers)
    assert answer.status_code == expected.status_code
    assert answer.headers["content-type"] == expected.headers["content-type"]
    got, wanted = comparable(answer.json()), comparable(expected.json())
    assert got == wanted, difference(got, wanted)
    return answer.json(), _direct(compiled_app).answered == before + 1


async def test_a_repeated_query_is_answered_directly_in_one_statement(
    compiled_app: Starlette, general_app: Starlette, customers: list[str], tokens: Tokens
) -> None:
    headers = bearer(await tokens.admin())
    first, direct = await _both(
        compiled_app, general_app, CUSTOMER_360, {"id": customers[0]}, headers
    )
    assert not direct and "errors" not in first
    assert _direct(compiled_app).knows(CUSTOMER_360)
    seen: list[object] = []
    reads = compiled_app.state.bizgraph.reads
    reads.listeners.append(lambda *_: seen.append(None))
    try:
        for customer in customers[1:]:
            answer, direct = await _both(
                compiled_app, general_app, CUSTOMER_360, {"id": customer}, headers
            )
            assert direct and answer["data"]["customer"]["id"] == customer
    finally:
        reads.listeners.pop()
    assert len(seen) == len(customers) - 1  # one statement each


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"n": 101}, "LIMIT_EXCEEDED"),  # over the page size
        ({"n": 2, "search": "x" * 4001}, "LIMIT_EXCEEDED"),  # over the input limit
        ({"n": "two"}, "GRAPHQL_VALIDATION_FAILED"),  # not an Int
        ({}, "GRAPHQL_VALIDATION_FAILED"),  # a required variable missing
    ],
)
async def test_variables_the_general_path_refuses_are_refused_by_it(
    variables: dict[str, Any],
    code: str,
    compiled_app: Starlette,
    general_app: Starlette,
    customers: list[str],
    tokens: Tokens,
) -> None:
    headers = bearer(await tokens.admin())
    await _both(compiled_app, general_app, PAGE, {"n": 3, "search": "a"}, headers)
    _, direct = await _both(compiled_app, general_app, PAGE, {"n": 2, "search": "a"}, headers)
    assert direct  # page sizes are bound: one plan serves both
    answer, direct = await _both(compiled_app, general_app, PAGE, variables, headers)
    assert not direct
    assert [error["extensions"]["code"] for error in answer["errors"]] == [code]


async def test_a_node_missing_or_hidden_is_answered_by_the_general_path(
    compiled_app: Starlette,
    general_app: Starlette,
    customers: list[str],
    tokens: Tokens,
    database_url: str,
) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        other_rep = await connection.fetchval(
            "SELECT e.email FROM erp.employee e WHERE e.status = 'active' AND NOT EXISTS "
            "(SELECT 1 FROM crm.customer c WHERE c.account_manager_id = e.id) ORDER BY e.id LIMIT 1"
        )
    finally:
        await connection.close()
    rep = bearer(tokens.mint(other_rep, "sales_rep"))
    admin = bearer(await tokens.admin())
    await _both(compiled_app, general_app, CUSTOMER_360, {"id": customers[0]}, admin)
    missing = {"id": to_base64("Customer", 10**9)}
    for headers, variables in ((admin, missing), (rep, {"id": customers[0]})):
        answer, direct = await _both(compiled_app, general_app, CUSTOMER_360, variables, headers)
        assert not direct
        assert answer["data"] == {"customer": None}


async def test_denied_fields_get_their_errors_and_are_counted(
    compiled_app: Starlette, general_app: Starlette, customers: list[str], tokens: Tokens
) -> None:
    email = await tokens.first_active_employee()
    headers = bearer(tokens.mint(email, "support"))

    def forbidden() -> float:
        labels = {"operation": "Customer360", "code": "FORBIDDEN"}
        return REGISTRY.get_sample_value("bizgraph_graphql_errors_total", labels) or 0.0

    await _both(compiled_app, general_app, CUSTOMER_360, {"id": customers[0]}, headers)
    before = forbidden()
    answer, direct = await _both(
        compiled_app, general_app, CUSTOMER_360, {"id": customers[1]}, headers
    )
    assert direct
    codes = {error["extensions"]["code"] for error in answer["errors"]}
    assert codes == {"FORBIDDEN"} and answer["data"]["customer"]["id"] == customers[1]
    # Both apps count in this process: the answer's errors, once by each.
    assert forbidden() - before == 2 * len(answer["errors"])


async def test_a_failing_statement_is_masked_as_on_the_general_path(
    compiled_app: Starlette, customers: list[str], tokens: Tokens
) -> None:
    headers = bearer(await tokens.admin())
    await _post(compiled_app, CUSTOMER_360, {"id": customers[0]}, headers)
    state = compiled_app.state.bizgraph
    working = state.reads
    state.reads = ReadPool("postgresql://postgres@127.0.0.1:9/nowhere", connect_timeout_s=0.5)
    direct = _direct(compiled_app)
    answers = []
    try:
        # The known document, then the same query spelled differently (the general path).
        for document in (CUSTOMER_360, CUSTOMER_360 + " "):
            before = direct.answered
            response = await _post(compiled_app, document, {"id": customers[1]}, headers)
            assert response.status_code == 200
            answers.append((direct.answered - before, response))
    finally:
        await state.reads.close()
        state.reads = working
    (direct_count, direct_answer), (general_count, general_answer) = answers
    assert (direct_count, general_count) == (1, 0)
    body = direct_answer.json()
    [error] = body["errors"]
    assert body["data"] == {"customer": None}
    assert error["path"] == ["customer"]
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert error["extensions"]["retrySafe"] is True
    assert error["extensions"]["requestId"] == direct_answer.headers["x-request-id"]
    assert comparable(body) == comparable(general_answer.json())


async def test_a_get_takes_the_general_path(
    compiled_app: Starlette, customers: list[str], tokens: Tokens
) -> None:
    headers = bearer(await tokens.admin())
    await _post(compiled_app, CUSTOMER_360, {"id": customers[0]}, headers)
    direct = _direct(compiled_app)
    before = direct.answered
    transport = httpx.ASGITransport(app=compiled_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        by_get = await client.get(
            "/graphql",
            params={"query": CUSTOMER_360, "variables": f'{{"id": "{customers[0]}"}}'},
            headers=headers,
        )
    assert by_get.status_code == 200 and "errors" not in by_get.json()
    assert direct.answered == before


@pytest.mark.parametrize("accept", ["text/event-stream", "multipart/mixed;subscriptionSpec=1.0"])
async def test_a_streaming_request_is_answered_as_on_the_general_path(
    accept: str,
    compiled_app: Starlette,
    general_app: Starlette,
    customers: list[str],
    tokens: Tokens,
) -> None:
    headers = bearer(await tokens.admin())
    await _post(compiled_app, CUSTOMER_360, {"id": customers[0]}, headers)
    answers = []
    for app in (compiled_app, general_app):
        before = _direct(compiled_app).answered
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.post(
                "/graphql",
                json={"query": CUSTOMER_360, "variables": {"id": customers[0]}},
                headers={**headers, "Accept": accept},
            )
        direct = _direct(compiled_app).answered - before
        answers.append((response.status_code, response.headers["content-type"], response.json()))
        assert direct == (1 if app is compiled_app else 0)
    # strawberry streams subscriptions only: a query is answered as JSON all the same.
    assert answers[0] == answers[1]
