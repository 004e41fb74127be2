"""Persisted queries: Apollo's APQ protocol, and safelist mode with registered operations."""

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from api.app import create_app
from api.cli_errors import CliError
from api.operations import register_directory
from api.settings import Settings
from tests.api.conftest import Tokens, bearer

pytestmark = pytest.mark.usefixtures("demo")

QUERY = "query Count { customers(first: 1) { totalCount } }"
ORDERS = """query RecentOrders($first: Int!) { salesOrders(first: $first) { edges { node {
  ...OrderParts } } } }
fragment OrderParts on SalesOrder { number status customer { ...CustomerParts } }
fragment CustomerParts on Customer { name }
fragment Unused on Customer { code }
mutation Lead { customerCreate(input: {name: "From the app"}) { customer { id } } }"""


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _apq(sha256: str, query: str | None = None, **body: Any) -> dict[str, Any]:
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha256}}
    return {**body, "extensions": extensions, **({"query": query} if query else {})}


@pytest.fixture
async def http(app: Starlette, tokens: Tokens) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    headers = bearer(await tokens.admin())
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as c:
        yield c


async def test_apq_asks_for_the_query_once_then_runs_the_hash_alone(
    http: httpx.AsyncClient,
) -> None:
    sha = _sha(QUERY)
    unknown = await http.post("/graphql", json=_apq(sha))
    assert unknown.status_code == 200
    assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert unknown.json()["errors"][0]["message"] == "PersistedQueryNotFound"

    first = await http.post("/graphql", json=_apq(sha, QUERY))
    count = first.json()["data"]["customers"]["totalCount"]
    assert count > 0
    again = await http.post("/graphql", json=_apq(sha))
    assert again.json() == {"data": {"customers": {"totalCount": count}}}
    # GET, as Apollo sends queries with `useGETForHashedQueries`.
    params = {"extensions": json.dumps(_apq(sha)["extensions"]), "operationName": "Count"}
    by_get = await http.get("/graphql", params=params, headers={"Accept": "application/json"})
    assert by_get.json() == {"data": {"customers": {"totalCount": count}}}

    wrong = await http.post("/graphql", json=_apq(_sha("something else"), QUERY))
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["message"] == "sha256Hash does not match the query"
    bad_version = await http.post(
        "/graphql", json={"extensions": {"persistedQuery": {"version": 2, "sha256Hash": sha}}}
    )
    assert bad_version.json()["errors"][0]["extensions"]["code"] == (
        "PERSISTED_QUERY_NOT_SUPPORTED"
    )


@pytest.fixture
async def safelisted(settings: Settings, tokens: Tokens) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"safelist": True}))
    transport = httpx.ASGITransport(app=app)
    headers = bearer(await tokens.admin())
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as c:
        yield c
    await app.state.security.close()
    await app.state.bizgraph.engine.dispose()


async def test_safelist_runs_registered_operations_only(
    safelisted: httpx.AsyncClient, database_url: str, tmp_path: Path
) -> None:
    refused = await safelisted.post("/graphql", json={"query": QUERY})
    assert refused.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"
    assert refused.json()["data"] is None

    build = tmp_path / "web-1.4.0"
    (build / "orders").mkdir(parents=True)
    (build / "count.graphql").write_text(QUERY)
    (build / "orders" / "orders.graphql").write_text(ORDERS)
    # The command runs its own event loop, as it does from the shell.
    registered = await asyncio.to_thread(
        register_directory, database_url, build, client=None, manifest=None
    )
    assert (registered.files, registered.operations) == (2, 3)
    manifest = json.loads(registered.manifest.read_text())
    assert manifest["format"] == "apollo-persisted-query-manifest"
    by_name = {entry["name"]: entry for entry in manifest["operations"]}
    assert {name: entry["type"] for name, entry in by_name.items()} == {
        "Count": "query",
        "RecentOrders": "query",
        "Lead": "mutation",
    }
    orders = by_name["RecentOrders"]
    # Each operation is registered with the fragments it uses, and only those.
    assert "fragment CustomerParts" in orders["body"] and "Unused" not in orders["body"]
    assert orders["id"] == _sha(orders["body"])

    # The client sends the manifest's id alone, or the exact text it registered.
    by_id = await safelisted.post(
        "/graphql", json=_apq(orders["id"], variables={"first": 2}, operationName="RecentOrders")
    )
    assert len(by_id.json()["data"]["salesOrders"]["edges"]) == 2
    by_text = await safelisted.post(
        "/graphql", json={"query": by_name["Count"]["body"], "operationName": "Count"}
    )
    assert by_text.json()["data"]["customers"]["totalCount"] > 0
    # Anything else is refused, introspection and the same query spelt differently included.
    for document in ("{ __schema { types { name } } }", QUERY + " "):
        answer = await safelisted.post("/graphql", json={"query": document})
        assert answer.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"
    # Registering again adds nothing new.
    again = await asyncio.to_thread(
        register_directory, database_url, build, client="web", manifest=None
    )
    assert again.new == 0


def test_a_document_the_schema_refuses_is_not_registered(database_url: str, tmp_path: Path) -> None:
    (tmp_path / "broken.graphql").write_text("{ customers(first: 1) { noSuchField } }")
    with pytest.raises(CliError, match=r"broken.graphql: Cannot query field 'noSuchField'"):
        register_directory(database_url, tmp_path, client=None, manifest=None)
