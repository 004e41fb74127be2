"""What browsers may do: CORS from allowed origins only, no mutations by GET or form; prod
hides the schema (no introspection, GraphiQL or field suggestions)."""

import json
from collections.abc import AsyncIterator
from urllib.parse import quote_plus

import httpx
import pytest
from pydantic import ValidationError
from starlette.applications import Starlette

from api.app import create_app
from api.security.layer import InsecureConfiguration
from api.settings import Settings
from tests.api.conftest import GraphQL, StatementCounter, Tokens, bearer

pytestmark = pytest.mark.usefixtures("demo")

# A harmless mutation: customer 0 never exists, so it answers NOT_FOUND and writes nothing.
MUTATION = (
    'mutation { customerUpdate(input: {id: "Q3VzdG9tZXI6MA==", version: 1}) { errors { code } } }'
)

PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


async def test_mutations_run_over_post_with_json(graphql: GraphQL) -> None:
    assert (await graphql(MUTATION))["data"] == {
        "customerUpdate": {"errors": [{"code": "NOT_FOUND"}]}
    }


async def test_mutations_over_get_are_refused(
    client: httpx.AsyncClient, tokens: Tokens, statements: StatementCounter
) -> None:
    headers = bearer(await tokens.admin())
    statements.reset()
    response = await client.get("/graphql", params={"query": MUTATION}, headers=headers)
    assert response.status_code in (400, 405)
    assert "NOT_FOUND" not in response.text
    assert statements.count == 0


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", "query=" + quote_plus(MUTATION)),
        ("text/plain", json.dumps({"query": MUTATION})),
    ],
    ids=["form", "text-plain"],
)
async def test_what_a_cross_site_form_can_send_is_refused(
    client: httpx.AsyncClient, tokens: Tokens, content_type: str, body: str
) -> None:
    headers = {**bearer(await tokens.admin()), "Content-Type": content_type}
    response = await client.post("/graphql", content=body, headers=headers)
    assert response.status_code == 415
    [error] = response.json()["errors"]
    assert error["message"] == "POST requests must have `Content-Type: application/json`"


MULTIPART_FORM = (
    '--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n' + MUTATION + "\r\n--x--"
)


@pytest.mark.parametrize(("role", "status"), [("admin", 400), ("sales_manager", 403)])
async def test_a_multipart_form_runs_nothing_unless_it_is_a_graphql_upload(
    client: httpx.AsyncClient, tokens: Tokens, role: str, status: int
) -> None:
    """Multipart requests carry file uploads (`importUpload`), for those who may upload: a
    plain form is refused, and anyone else is refused before the body is read. (A cross-site
    form cannot carry the bearer token anyway: that header needs a preflight.)"""
    token = tokens.mint(await tokens.first_active_employee(), role)
    headers = {**bearer(token), "Content-Type": "multipart/form-data; boundary=x"}
    response = await client.post("/graphql", content=MULTIPART_FORM, headers=headers)
    assert response.status_code == status
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == ("BAD_REQUEST" if status == 400 else "FORBIDDEN")
    assert "NOT_FOUND" not in response.text


async def test_dev_answers_preflights_from_local_dev_servers(client: httpx.AsyncClient) -> None:
    for origin in ("http://localhost:5173", "http://127.0.0.1:3000"):
        response = await client.options("/graphql", headers={"Origin": origin, **PREFLIGHT})
        assert response.status_code == 200, origin
        assert response.headers["access-control-allow-origin"] == origin
        assert "POST" in response.headers["access-control-allow-methods"]
        assert "authorization" in response.headers["access-control-allow-headers"].lower()


async def test_other_origins_get_no_cors_grant(client: httpx.AsyncClient, tokens: Tokens) -> None:
    origin = {"Origin": "https://evil.example"}
    preflight = await client.options("/graphql", headers={**origin, **PREFLIGHT})
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    simple = await client.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers={**origin, **bearer(await tokens.admin())},
    )
    assert "access-control-allow-origin" not in simple.headers


async def test_refusals_carry_cors_headers_so_browser_apps_can_read_them(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Origin": "http://localhost:5173"}
    )
    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == "http://localhost:5173"


@pytest.fixture
async def prod_app(settings: Settings) -> AsyncIterator[Starlette]:
    app = create_app(
        settings.model_copy(update={"env": "prod", "cors_origins": "https://app.example.com"})
    )
    yield app
    await app.state.bizgraph.engine.dispose()


@pytest.fixture
async def prod(prod_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=prod_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_prod_allows_only_the_configured_origins(prod: httpx.AsyncClient) -> None:
    local = await prod.options("/graphql", headers={"Origin": "http://localhost:5173", **PREFLIGHT})
    assert local.status_code == 400
    app = await prod.options("/graphql", headers={"Origin": "https://app.example.com", **PREFLIGHT})
    assert app.status_code == 200
    assert app.headers["access-control-allow-origin"] == "https://app.example.com"


async def test_prod_has_no_cors_origins_by_default(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"env": "prod"}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.options(
            "/graphql", headers={"Origin": "http://localhost:5173", **PREFLIGHT}
        )
    await app.state.bizgraph.engine.dispose()
    assert response.status_code == 400


async def test_prod_hides_the_schema(prod: httpx.AsyncClient, tokens: Tokens) -> None:
    headers = bearer(await tokens.admin())

    async def run(query: str) -> dict:
        response = await prod.post("/graphql", json={"query": query}, headers=headers)
        return response.json()  # type: ignore[no-any-return]

    introspection = await run("{ __schema { types { name } } }")
    assert "introspection" in introspection["errors"][0]["message"].lower()
    assert (await run("{ __typename }"))["data"] == {"__typename": "Query"}
    typo = await run("{ customerz { totalCount } }")
    assert "Did you mean" not in typo["errors"][0]["message"]
    page = await prod.get("/graphql", headers={**headers, "Accept": "text/html"})
    assert page.status_code == 404


async def test_dev_keeps_introspection_and_suggestions(graphql: GraphQL) -> None:
    assert "errors" not in await graphql("{ __schema { queryType { name } } }")
    typo = await graphql("{ customerz { totalCount } }")
    assert "Did you mean 'customer" in typo["errors"][0]["message"]


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"jwt_secret": None}, "needs BIZGRAPH_JWT_JWKS_URL"),
        ({"jwt_secret": "short"}, "at least 32 bytes"),
        ({"jwt_secret": None, "jwt_jwks_url": "http://idp.example/certs"}, "https:// URL"),
    ],
)
def test_prod_refuses_to_start_without_safe_authentication(
    settings: Settings, changes: dict, fragment: str
) -> None:
    with pytest.raises(InsecureConfiguration, match=fragment):
        create_app(settings.model_copy(update={"env": "prod", **changes}))


@pytest.mark.parametrize("origins", ["*", "https://app.example.com/path", "app.example.com"])
def test_cors_origins_must_be_explicit(origins: str) -> None:
    with pytest.raises(ValidationError, match="is not an origin"):
        Settings(BIZGRAPH_CORS_ORIGINS=origins)


SUGGESTING = [
    ("{ customerz { totalCount } }", None),
    ("{ customers(filtr: {}) { totalCount } }", None),
    ("query($f: CustomerFiltr) { customers(filter: $f) { totalCount } }", None),
    ('{ node(id: "Q3VzdG9tZXI6MQ==") { ... on Custome { id } } }', None),
    ('{ customers(filter: {serch: "a"}) { totalCount } }', None),
    ("{ customers(filter: {status: [ACTIV]}) { totalCount } }", None),
    ("{ customers { edges { node { nam } } } }", None),
    ("query($f: CustomerFilter) { customers(filter: $f) { totalCount } }", {"status": ["ACTIV"]}),
    ("query($f: CustomerFilter) { customers(filter: $f) { totalCount } }", {"serch": "a"}),
    ("{ customers { totalCount @skp(if: true) } }", None),
]


@pytest.mark.parametrize(("query", "filter_"), SUGGESTING)
async def test_prod_suggests_no_names(
    prod: httpx.AsyncClient, tokens: Tokens, query: str, filter_: dict | None
) -> None:
    """With introspection off, "Did you mean 'Customer'?" would enumerate the schema."""
    response = await prod.post(
        "/graphql",
        json={"query": query, "variables": {"f": filter_} if filter_ else {}},
        headers=bearer(await tokens.admin()),
    )
    errors = response.json()["errors"]
    assert errors
    for error in errors:
        assert "Did you mean" not in error["message"], error
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED", error


async def test_dev_keeps_its_suggestions(graphql: GraphQL) -> None:
    result = await graphql('{ customers(filter: {serch: "a"}) { totalCount } }')
    assert "Did you mean 'search'?" in result["errors"][0]["message"]
