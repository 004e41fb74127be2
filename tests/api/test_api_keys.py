"""API keys: made by an employee with some of their roles, used as a bearer token, revoked."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette

from api.app import create_app
from api.settings import Settings
from domain.core.sessions import asyncpg_dsn
from tests.api.conftest import GraphQL, Tokens, bearer

pytestmark = pytest.mark.usefixtures("demo")

CREATE = """mutation($input: ApiKeyCreateInput!) { apiKeyCreate(input: $input) {
  secret apiKey { id name prefix roles readOnly status owner { email } }
  errors { field code message } } }"""
REVOKE = """mutation($id: ID!) { apiKeyRevoke(input: {id: $id}) {
  apiKey { status revokedAt } errors { code } } }"""
KEYS = "{ apiKeys(first: 50) { edges { node { name owner { email } } } } }"
CUSTOMERS = "{ customers(first: 1) { totalCount } }"
CUSTOMER_CREATE = """mutation { customerCreate(input: {name: "Made By A Machine"}) {
  customer { id } errors { code message } } }"""


@pytest.fixture
async def rep(database_url: str) -> str:
    """The email of the employee managing the most customers."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        email: str = await connection.fetchval(
            "SELECT e.email FROM erp.employee e JOIN crm.customer c ON c.account_manager_id = e.id "
            "WHERE e.status = 'active' GROUP BY e.id ORDER BY count(*) DESC, e.id LIMIT 1"
        )
    finally:
        await connection.close()
    return email


async def _make(graphql: GraphQL, token: str, **fields: Any) -> dict[str, Any]:
    answer = await graphql(CREATE, {"input": {"name": "ETL", **fields}}, token=token)
    return answer["data"]["apiKeyCreate"]  # type: ignore[no-any-return]


async def test_a_key_acts_as_its_owner_with_the_roles_it_was_given(
    graphql: GraphQL, tokens: Tokens, rep: str
) -> None:
    jwt = tokens.mint(rep, "sales_rep", "marketing")
    made = await _make(graphql, jwt, roles=["SALES_REP"])
    assert made["errors"] == []
    secret, key = made["secret"], made["apiKey"]
    assert secret.startswith("bzk_") and len(secret) > 40
    assert key["prefix"] == secret[: len(key["prefix"])] and len(key["prefix"]) < 12
    assert key["roles"] == ["SALES_REP"] and key["status"] == "ACTIVE"
    assert key["owner"] == {"email": rep}

    # The key sees what its owner sees as a sales rep: their own customers only.
    as_rep = await graphql(CUSTOMERS, token=tokens.mint(rep, "sales_rep"))
    with_key = await graphql(CUSTOMERS, token=secret)
    everyone = await graphql(CUSTOMERS)
    assert with_key["data"] == as_rep["data"]
    assert with_key["data"]["customers"]["totalCount"] < everyone["data"]["customers"]["totalCount"]
    # …and not what its owner's other role would open.
    campaigns = await graphql("{ campaigns(first: 1) { totalCount } }", token=secret)
    assert campaigns["data"]["campaigns"] is not None  # sales reps read campaigns
    denied = await graphql("{ purchaseOrders(first: 1) { totalCount } }", token=secret)
    assert denied["data"]["purchaseOrders"] is None
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_key_never_holds_more_than_its_creator(
    graphql: GraphQL, tokens: Tokens, rep: str
) -> None:
    jwt = tokens.mint(rep, "sales_rep")
    refused = await _make(graphql, jwt, roles=["SALES_REP", "FINANCE"])
    assert refused["apiKey"] is None and refused["secret"] is None
    assert refused["errors"] == [
        {
            "field": "roles",
            "code": "FORBIDDEN",
            "message": "a key cannot hold roles you do not hold: finance",
        }
    ]
    # Nor can a key make keys: only people signed in as themselves can.
    secret = (await _make(graphql, jwt, roles=["SALES_REP"]))["secret"]
    by_key = await _make(graphql, secret, roles=["SALES_REP"])
    assert by_key["errors"][0]["code"] == "FORBIDDEN" and by_key["secret"] is None
    admin = await tokens.first_active_employee()
    assert (await _make(graphql, await tokens.admin(), roles=["ADMIN"]))["errors"] == []
    # Only their own keys are listed to them; an admin's list holds everyone's.
    mine = await graphql(KEYS, token=jwt)
    assert {e["node"]["owner"]["email"] for e in mine["data"]["apiKeys"]["edges"]} == {rep}
    everyone = await graphql(KEYS)
    assert {e["node"]["owner"]["email"] for e in everyone["data"]["apiKeys"]["edges"]} == {
        rep,
        admin,
    }


async def test_changes_made_with_a_key_are_audited_as_such_and_read_only_keys_change_nothing(
    graphql: GraphQL, tokens: Tokens, rep: str
) -> None:
    jwt = tokens.mint(rep, "sales_rep")
    writer = (await _make(graphql, jwt, roles=["SALES_REP"]))["secret"]
    reader = (await _make(graphql, jwt, roles=["SALES_REP"], readOnly=True))["secret"]

    refused = await graphql(CUSTOMER_CREATE, token=reader)
    assert refused["data"]["customerCreate"]["errors"] == [
        {"code": "FORBIDDEN", "message": "a read-only API key may change nothing"}
    ]
    made = await graphql(CUSTOMER_CREATE, token=writer)
    customer = made["data"]["customerCreate"]["customer"]["id"]
    trail = await graphql(
        """query($c: ID!) { auditLog(entity: $c, first: 5) { edges { node {
          action actor source employee { email } } } } }""",
        {"c": customer},
    )
    assert [e["node"] for e in trail["data"]["auditLog"]["edges"]] == [
        {
            "action": "customer.created",
            "actor": rep,
            "source": "API_KEY",
            "employee": {"email": rep},
        }
    ]


async def test_revoked_and_expired_keys_are_refused(
    graphql: GraphQL, tokens: Tokens, rep: str, app: Starlette, database_url: str
) -> None:
    jwt = tokens.mint(rep, "sales_rep")
    made = await _make(graphql, jwt, roles=["SALES_REP"])
    secret, key = made["secret"], made["apiKey"]["id"]
    assert "errors" not in await graphql(CUSTOMERS, token=secret)

    revoked = await graphql(REVOKE, {"id": key}, token=jwt)
    assert revoked["data"]["apiKeyRevoke"]["apiKey"]["status"] == "REVOKED"
    app.state.security.api_keys.forget()  # what every process does within its cache time
    refused = await graphql(CUSTOMERS, token=secret, status=401)
    assert refused["errors"][0]["message"] == "the API key was revoked"
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    other = await _make(graphql, jwt, roles=["SALES_REP"])
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await connection.execute(
            "UPDATE ops.api_key SET expires_at = now() - interval '1 minute' WHERE prefix = $1",
            other["apiKey"]["prefix"],
        )
    finally:
        await connection.close()
    app.state.security.api_keys.forget()
    expired = await graphql(CUSTOMERS, token=other["secret"], status=401)
    assert expired["errors"][0]["message"].startswith("the API key expired at ")
    unknown = await graphql(CUSTOMERS, token="bzk_" + "x" * 43, status=401)
    assert unknown["errors"][0]["message"] == "the API key is not known"


@pytest.fixture
async def limited_app(settings: Settings) -> AsyncIterator[Starlette]:
    app = create_app(settings.model_copy(update={"rate_limit_per_minute": 100}))
    app.state.security.rate_limiter.prefix = f"test-rate:{uuid.uuid4().hex}"
    yield app
    await app.state.security.close()
    await app.state.bizgraph.engine.dispose()


async def test_a_key_has_its_own_rate_limit(
    graphql: GraphQL, tokens: Tokens, rep: str, limited_app: Starlette
) -> None:
    jwt = tokens.mint(rep, "sales_rep")
    secret = (await _make(graphql, jwt, roles=["SALES_REP"], rateLimitPerMinute=2))["secret"]
    transport = httpx.ASGITransport(app=limited_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

        async def ask(token: str) -> int:
            response = await client.post(
                "/graphql", json={"query": CUSTOMERS}, headers=bearer(token)
            )
            return response.status_code

        assert [await ask(secret) for _ in range(3)] == [200, 200, 429]
        # The owner's own budget is apart from the key's.
        assert await ask(jwt) == 200
