"""Only a valid bearer token naming an active employee gets an answer from /graphql."""

import time
from collections.abc import AsyncIterator

import asyncpg
import httpx
import jwt
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from api.app import create_app
from api.security.api_keys import ApiKeyDirectory
from api.security.authentication import Authentication, Identities
from api.security.directory import EmployeeDirectory
from api.security.layer import InsecureConfiguration
from api.security.tokens import TokenVerifier
from api.settings import Settings
from domain.core.sessions import asyncpg_dsn, session_factory
from tests.api.conftest import TEST_SECRET, GraphQL, StatementCounter, Tokens, bearer

pytestmark = pytest.mark.usefixtures("demo")

COUNT = "{ customers { totalCount } }"


def _refusal(result: dict, code: str = "UNAUTHENTICATED") -> str:
    assert result["data"] is None
    [error] = result["errors"]
    assert error["extensions"]["code"] == code
    return str(error["message"])


async def test_a_valid_token_gets_data(graphql: GraphQL) -> None:
    result = await graphql(COUNT)
    assert result["data"]["customers"]["totalCount"] > 0


async def test_without_a_token_nothing_runs(
    client: httpx.AsyncClient, statements: StatementCounter
) -> None:
    response = await client.post("/graphql", json={"query": COUNT})
    assert response.status_code == 401
    assert "Bearer" in response.headers["www-authenticate"]
    assert "Authorization: Bearer" in _refusal(response.json())
    assert statements.count == 0


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        ("Basic dXNlcjpwdw==", "must read `Bearer <token>`"),
        ("Bearer", "must read `Bearer <token>`"),
        ("Bearer not-a-jwt", "not a well-formed JWT"),
        ("Bearer a.b.c", "not a well-formed JWT"),
    ],
)
async def test_malformed_credentials_are_refused(
    client: httpx.AsyncClient, header: str, fragment: str
) -> None:
    response = await client.post(
        "/graphql", json={"query": COUNT}, headers={"Authorization": header}
    )
    assert response.status_code == 401
    assert fragment in _refusal(response.json())


async def _token_with(tokens: Tokens, **changes: object) -> str:
    email = await tokens.first_active_employee()
    now = int(time.time())
    claims = {
        "sub": email,
        "roles": ["admin"],
        "iss": tokens.settings.jwt_issuer,
        "aud": tokens.settings.jwt_audience,
        "iat": now,
        "exp": now + 600,
        **changes,
    }
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, TEST_SECRET, "HS256")


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"exp": int(time.time()) - 3600}, "has expired"),
        ({"iss": "https://someone-else.example"}, "issuer this API does not trust"),
        ({"aud": "another-api"}, "another audience"),
        ({"exp": None}, "lacks the `exp` claim"),
        ({"iss": None}, "lacks the `iss` claim"),
        ({"nbf": int(time.time()) + 3600}, "not valid yet"),
        ({"sub": None}, "lacks the `sub` claim"),
    ],
    ids=["expired", "wrong-issuer", "wrong-audience", "no-exp", "no-iss", "not-yet", "no-sub"],
)
async def test_invalid_claims_are_refused(
    graphql: GraphQL, tokens: Tokens, changes: dict, fragment: str
) -> None:
    result = await graphql(COUNT, token=await _token_with(tokens, **changes), status=401)
    assert fragment in _refusal(result)


KELVIN = "\u212a"  # KELVIN SIGN: "\u212a".lower() == "k"


async def test_a_lookalike_of_an_employees_email_is_refused(
    graphql: GraphQL, tokens: Tokens
) -> None:
    created = await graphql(
        'mutation { employeeCreate(input: {name: "Kate Keller", '
        'email: "kate.keller@bizgraph.example", title: "Buyer", salary: "1000"}) '
        "{ errors { field code } } }"
    )
    assert created["data"]["employeeCreate"]["errors"] == []
    # ASCII case still does not matter: identity providers differ in how they spell it.
    upper = tokens.mint("Kate.Keller@Bizgraph.Example", "support")
    assert "data" in await graphql(COUNT, token=upper)
    for lookalike in (f"{KELVIN}ate.keller@bizgraph.example", "kate.keller@bizgraph.exampl\u0435"):
        result = await graphql(COUNT, token=tokens.mint(lookalike, "support"), status=401)
        assert "not an email address in plain ASCII" in _refusal(result)


@pytest.mark.parametrize(
    "email",
    ["anna\x00@bizgraph.example", "anna\x1b@bizgraph.example", "an na@bizgraph.example", "anna"],
    ids=["nul", "escape", "space", "no-at"],
)
async def test_a_token_whose_email_holds_controls_is_refused(
    graphql: GraphQL, tokens: Tokens, email: str
) -> None:
    result = await graphql(COUNT, token=tokens.mint(email, "admin"), status=401)
    assert "not an email address in plain ASCII" in _refusal(result)


async def test_employees_get_ascii_emails_only(graphql: GraphQL) -> None:
    created = await graphql(
        'mutation { employeeCreate(input: {name: "Jos\u00e9", '
        'email: "jos\u00e9@bizgraph.example", title: "Buyer", salary: "1000"}) '
        "{ errors { field code message } } }"
    )
    [error] = created["data"]["employeeCreate"]["errors"]
    assert (error["field"], error["code"]) == ("email", "VALIDATION")
    assert "ASCII" in error["message"]


async def test_clock_skew_is_tolerated_within_the_leeway_only(
    graphql: GraphQL, tokens: Tokens
) -> None:
    leeway = tokens.settings.jwt_leeway_s
    just_expired = await _token_with(tokens, exp=int(time.time()) - leeway // 2)
    assert "data" in await graphql(COUNT, token=just_expired)
    long_expired = await _token_with(tokens, exp=int(time.time()) - leeway - 5)
    assert "expired" in _refusal(await graphql(COUNT, token=long_expired, status=401))


async def test_tampered_and_foreign_signatures_are_refused(
    graphql: GraphQL, tokens: Tokens
) -> None:
    email = await tokens.first_active_employee()
    header, payload, signature = tokens.mint(email, "support").split(".")
    elevated = jwt.utils.base64url_encode(
        jwt.utils.base64url_decode(payload).replace(b'"support"', b'"admin"')
    ).decode()
    tampered = f"{header}.{elevated}.{signature}"
    assert "signature is invalid" in _refusal(await graphql(COUNT, token=tampered, status=401))
    foreign = tokens.mint(email, "admin", secret="another-secret-of-at-least-32-bytes!")
    assert "signature is invalid" in _refusal(await graphql(COUNT, token=foreign, status=401))


async def test_unsigned_tokens_are_refused(graphql: GraphQL, tokens: Tokens) -> None:
    email = await tokens.first_active_employee()
    claims = {"sub": email, "roles": ["admin"], "iss": "bizgraph", "aud": "bizgraph-api"}
    unsigned = jwt.encode({**claims, "exp": int(time.time()) + 60}, None, algorithm="none")
    assert "'none' are not accepted" in _refusal(await graphql(COUNT, token=unsigned, status=401))


async def test_unknown_employees_are_refused(graphql: GraphQL, tokens: Tokens) -> None:
    token = tokens.mint("nobody@bizgraph.example", "admin")
    assert "names no employee" in _refusal(await graphql(COUNT, token=token, status=401))


@pytest.fixture
async def terminated_employee(database_url: str, app: Starlette) -> AsyncIterator[str]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    row = await connection.fetchrow(
        "SELECT id, email, status FROM erp.employee WHERE status = 'active' ORDER BY id DESC LIMIT 1"
    )
    await connection.execute(
        "UPDATE erp.employee SET status = 'terminated' WHERE id = $1", row["id"]
    )
    app.state.security.directory.forget()
    try:
        yield str(row["email"])
    finally:
        await connection.execute(
            "UPDATE erp.employee SET status = $2 WHERE id = $1", row["id"], row["status"]
        )
        await connection.close()
        app.state.security.directory.forget()


async def test_terminated_employees_lose_access(
    graphql: GraphQL, tokens: Tokens, terminated_employee: str
) -> None:
    token = tokens.mint(terminated_employee, "admin")
    assert "no longer active" in _refusal(await graphql(COUNT, token=token, status=401))


async def test_unknown_roles_are_ignored_and_a_token_without_known_roles_is_forbidden(
    graphql: GraphQL, tokens: Tokens
) -> None:
    email = await tokens.first_active_employee()
    mixed = tokens.mint(email, "admin", "offline_access")
    assert "data" in await graphql(COUNT, token=mixed)
    foreign = tokens.mint(email, "offline_access", "superuser")
    result = await graphql(COUNT, token=foreign, status=403)
    assert "no bizgraph role" in _refusal(result, "FORBIDDEN")


async def test_the_token_names_the_viewer_record_rules_apply_to(
    graphql: GraphQL, tokens: Tokens, database_url: str
) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        rep = await connection.fetchrow(
            "SELECT e.email, count(*) AS managed FROM erp.employee e JOIN crm.customer c "
            "ON c.account_manager_id = e.id WHERE e.status = 'active' "
            "GROUP BY e.email ORDER BY count(*) DESC LIMIT 1"
        )
        everyone = await connection.fetchval("SELECT count(*) FROM crm.customer")
    finally:
        await connection.close()
    assert 0 < rep["managed"] < everyone
    as_rep = await graphql(COUNT, token=tokens.mint(rep["email"], "sales_rep"))
    assert as_rep["data"]["customers"]["totalCount"] == rep["managed"]


async def test_the_graphiql_page_opens_without_a_token_but_runs_nothing(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    as_page = await client.get("/graphql", params={"query": COUNT}, headers={"Accept": "text/html"})
    assert as_page.status_code == 401
    posted = await client.post("/graphql", json={"query": COUNT}, headers={"Accept": "text/html"})
    assert posted.status_code == 401


async def test_graphiql_opens_with_the_dev_token_in_its_headers(settings: Settings) -> None:
    app = create_app(settings, graphiql_token=lambda: "minted-for-this-page")
    transport = httpx.ASGITransport(app=app)  # a loopback client (127.0.0.1)
    # Only a page asked for by a loopback name gets it (tests/api/test_graphiql.py).
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as client:
        page = await client.get("/graphql", headers={"Accept": "text/html"})
    await app.state.bizgraph.engine.dispose()
    assert "Bearer minted-for-this-page" in page.text


def test_prod_never_hands_graphiql_a_token(settings: Settings) -> None:
    prod = settings.model_copy(update={"env": "prod"})
    with pytest.raises(InsecureConfiguration, match="never carries a token"):
        create_app(prod, graphiql_token=lambda: "token")


async def test_unknown_paths_need_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/admin")
    assert response.status_code == 401


async def test_probes_and_metrics_need_no_token(settings: Settings, engine: AsyncEngine) -> None:
    async def ok(_: object) -> PlainTextResponse:
        return PlainTextResponse("ok")

    probes = Starlette(routes=[Route(path, ok) for path in ("/healthz", "/readyz", "/metrics")])
    guarded = Authentication(
        probes,
        identities=Identities(
            TokenVerifier(settings, secret=TEST_SECRET),
            EmployeeDirectory(engine),
            ApiKeyDirectory(session_factory(engine)),
        ),
        graphiql=False,
    )
    transport = httpx.ASGITransport(app=guarded)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for path in ("/healthz", "/readyz", "/metrics"):
            assert (await client.get(path)).text == "ok", path


async def test_tokens_in_the_query_string_are_not_accepted(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    token = await tokens.admin()
    response = await client.get("/graphql", params={"query": COUNT, "access_token": token})
    assert response.status_code == 401
    accepted = await client.get("/graphql", params={"query": COUNT}, headers=bearer(token))
    assert accepted.status_code == 200
