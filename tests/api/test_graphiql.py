"""GraphiQL opens with the Customer 360 document and a real customer to run it on, and a tab
per example of the questions about many records."""

import json
import re

import asyncpg
import httpx
import pytest
from graphql import OperationDefinitionNode, parse
from starlette.applications import Starlette
from strawberry.relay import from_base64

from api import graphiql_assets
from api.app import create_app
from api.graphiql import EXAMPLES, TOKEN_HINT
from api.settings import Settings
from domain.core.sessions import asyncpg_dsn
from tests.api.conftest import GraphQL


@pytest.mark.usefixtures("demo")
async def test_graphiql_is_preloaded(client: httpx.AsyncClient, database_url: str) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "query Customer360($id: ID!)" in response.text
    found = re.search(r"defaultTabs: (\[.*?\]),\n", response.text)
    assert found is not None
    tabs = json.loads(found.group(1))
    assert [tab["query"] for tab in tabs[1:]] == list(EXAMPLES)
    assert "query Customer360" in tabs[0]["query"]
    # The page carries no token here: its first document says how to get one.
    assert tabs[0]["query"].startswith(TOKEN_HINT)
    # The 360 opens on a customer that shows every part of it.
    type_name, key = from_base64(json.loads(tabs[0]["variables"])["id"])
    assert type_name == "Customer"
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        parts = await connection.fetchrow(
            "SELECT (SELECT count(*) FROM erp.delivery d JOIN erp.sales_order o "
            "ON o.id = d.sales_order_id WHERE o.customer_id = $1) AS deliveries, "
            "(SELECT count(*) FROM erp.invoice WHERE customer_id = $1) AS invoices, "
            "(SELECT count(*) FROM crm.ticket WHERE customer_id = $1) AS tickets",
            int(key),
        )
    finally:
        await connection.close()
    assert all(parts[name] > 0 for name in ("deliveries", "invoices", "tickets")), dict(parts)


def _operation_name(document: str) -> str:
    (operation,) = (
        d for d in parse(document).definitions if isinstance(d, OperationDefinitionNode)
    )
    assert operation.name is not None
    return operation.name.value


@pytest.mark.parametrize(
    "document",
    EXAMPLES,
    ids=[_operation_name(document) for document in EXAMPLES],
)
@pytest.mark.usefixtures("demo")
async def test_every_example_tab_answers_on_the_demo(graphql: GraphQL, document: str) -> None:
    result = await graphql(document)
    assert "errors" not in result, result.get("errors")
    (answer,) = result["data"].values()
    rows = answer.get("edges", answer.get("groups"))
    assert rows, f"the example shows nothing on the demo: {answer}"


@pytest.fixture(scope="module")
def dev_app(settings: Settings) -> Starlette:
    """The app as `bizgraph dev` builds it: GraphiQL opens with a development token."""
    return create_app(settings, graphiql_token=lambda: DEV_TOKEN)


DEV_TOKEN = "dev-token-for-graphiql"


@pytest.mark.parametrize(
    ("host", "client", "gets_token"),
    [
        ("localhost:8000", "127.0.0.1", True),
        ("127.0.0.1:8000", "127.0.0.1", True),
        ("[::1]:8000", "::1", True),
        ("localhost", "127.0.0.1", True),
        # DNS rebinding: the developer's own browser, on a page of another site.
        ("evil.example:8000", "127.0.0.1", False),
        ("localhost.evil.example", "127.0.0.1", False),
        ("127.0.0.1.evil.example", "127.0.0.1", False),
        # Another machine, whatever name it uses.
        ("localhost:8000", "192.0.2.7", False),
        ("", "127.0.0.1", False),
    ],
)
@pytest.mark.usefixtures("demo")
async def test_the_dev_token_reaches_local_pages_only(
    dev_app: Starlette, host: str, client: str, gets_token: bool
) -> None:
    transport = httpx.ASGITransport(app=dev_app, client=(client, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/graphql", headers={"Accept": "text/html", "Host": host})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert (DEV_TOKEN in response.text) is gets_token
    assert ("# Every request needs a token." in response.text) is not gets_token
    if not gets_token:
        assert "bizgraph token --employee" in response.text  # how to get one instead


@pytest.mark.usefixtures("demo")
async def test_the_page_loads_every_file_from_the_api_itself(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert graphiql_assets.CDN not in page.text
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page.text)
    assert "connect-src 'self'" in page.headers["content-security-policy"]
    loaded = re.findall(r'(?:src|href)="(/graphiql/assets/[^"]+)"\s+integrity="([^"]+)"', page.text)
    assert len(loaded) >= 5  # React, React DOM, GraphiQL's script and style, the explorer
    for path, integrity in loaded:
        # No token: a browser fetches these as it renders the page.
        answer = await client.get(path, headers={"Authorization": ""})
        assert answer.status_code == 200, path
        name = path.removeprefix(graphiql_assets.PATH)
        assert graphiql_assets.Asset(name, integrity).matches(answer.content), path


async def test_an_unknown_file_is_not_found_and_other_paths_need_a_token(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/graphiql/assets/nothing-here.js")
    assert answer.status_code == 404
    assert (await client.get("/graphiql/other")).status_code == 401


def test_a_page_naming_files_we_do_not_have_is_refused_at_start() -> None:
    page = (
        f'<script src="{graphiql_assets.CDN}graphiql@0.0.1/graphiql.min.js" '
        'integrity="sha384-AAAA"></script>'
    )
    with pytest.raises(graphiql_assets.MissingAssets, match="make graphiql-assets"):
        graphiql_assets.check(page)
