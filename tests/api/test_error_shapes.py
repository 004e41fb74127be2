"""Errors a client can act on: where the mistake is, what a good value looks like, no Python."""

from typing import Any

import httpx
import pytest

from tests.api.conftest import Tokens, bearer

pytestmark = pytest.mark.usefixtures("demo")


async def _post(client: httpx.AsyncClient, tokens: Tokens, body: dict[str, Any]) -> Any:
    response = await client.post("/graphql", json=body, headers=bearer(await tokens.admin()))
    assert response.status_code < 500, response.text
    return response.json()


async def test_an_id_that_is_no_global_id_says_what_one_looks_like(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    answer = await _post(client, tokens, {"query": '{ customer(id: "xyz") { name } }'})
    [error] = answer["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"].startswith('"xyz" is not a global ID: an ID is the base64 of')
    assert "Q3VzdG9tZXI6MQ==" in error["message"]


@pytest.mark.parametrize(
    ("document", "variables", "explains"),
    [
        (
            '{ customers(first: 1, where: {creditLimit: {gt: "abc"}}) { totalCount } }',
            {},
            "1234.50",
        ),
        ('{ customers(first: 1, where: {creditLimit: {gt: "NaN"}}) { totalCount } }', {}, "finite"),
        (
            "query($d: DateTime) { auditLog(first: 1, filter: {occurredFrom: $d}) { totalCount } }",
            {"d": "yesterday"},
            "ISO 8601",
        ),
        (
            "query($d: Date!) { receivablesAging(asOf: $d) { total { total } } }",
            {"d": "2026-13-45"},
            "ISO 8601",
        ),
    ],
)
async def test_a_bad_scalar_is_located_and_explained_without_python_internals(
    client: httpx.AsyncClient,
    tokens: Tokens,
    document: str,
    variables: dict[str, Any],
    explains: str,
) -> None:
    answer = await _post(client, tokens, {"query": document, "variables": variables})
    [error] = answer["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert error["locations"], error
    assert explains in error["message"]
    assert "invalid literal" not in error["message"] and "Internal" not in error["message"]


async def test_whole_numbers_are_decimals_too(client: httpx.AsyncClient, tokens: Tokens) -> None:
    answer = await _post(
        client,
        tokens,
        {"query": "{ customers(first: 1, where: {creditLimit: {gt: 100}}) { totalCount } }"},
    )
    assert "errors" not in answer and answer["data"]["customers"]["totalCount"] >= 0


async def test_several_operations_need_an_operation_name(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    document = "query A { __typename } query B { customers(first: 1) { totalCount } }"
    refused = await _post(client, tokens, {"query": document})
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "operationName" in refused["errors"][0]["message"]
    named = await _post(client, tokens, {"query": document, "operationName": "B"})
    assert named["data"]["customers"]["totalCount"] > 0


async def test_apollo_clients_may_name_themselves_across_origins(
    client: httpx.AsyncClient,
) -> None:
    response = await client.options(
        "/graphql",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,apollographql-client-name,"
            "apollographql-client-version",
        },
    )
    assert response.status_code == 200
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "apollographql-client-name" in allowed and "apollographql-client-version" in allowed
