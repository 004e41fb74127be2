"""Webhook endpoints through the API: kept by admins only, the secret shown once, invalid
URLs and filters refused, and the delivery log readable after a real delivery."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from arq import create_pool
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from domain.core.sessions import asyncpg_dsn
from tests.api.conftest import GraphQL, Tokens
from tests.workers.receiver import running_receiver
from tests.workers.webhook_steps import FAST, commit_events
from workers.relay import relay_pending
from workers.settings import redis_settings
from workers.webhooks import deliver_due

ADMIN_EMAIL = "ada@example.com"
FIELDS = """id url description eventTypes active disabledReason previousSecretExpiresAt
  consecutiveFailures createdBy { email }"""
CREATE = f"""mutation($input: WebhookEndpointCreateInput!) {{ webhookEndpointCreate(input: $input)
  {{ secret webhookEndpoint {{ {FIELDS} }} errors {{ field message code }} }} }}"""
UPDATE = f"""mutation($input: WebhookEndpointUpdateInput!) {{ webhookEndpointUpdate(input: $input)
  {{ webhookEndpoint {{ {FIELDS} }} errors {{ field message code }} }} }}"""
ROTATE = f"""mutation($input: WebhookEndpointRotateSecretInput!) {{
  webhookEndpointRotateSecret(input: $input) {{ secret webhookEndpoint {{ {FIELDS} }}
  errors {{ field message code }} }} }}"""
DELETE = """mutation($input: WebhookEndpointDeleteInput!) { webhookEndpointDelete(input: $input)
  { webhookEndpoint { id } errors { field message code } } }"""
REPLAY = """mutation($input: WebhookReplayInput!) { webhookReplay(input: $input)
  { queued webhookEndpoint { id } errors { field message code } } }"""
ONE = f"""query($id: ID!) {{ webhookEndpoint(id: $id) {{ {FIELDS} }} }}"""
ALL = """query { webhookEndpoints(first: 10) { totalCount edges { node { id url } } } }"""
LOG = """query($endpoint: ID!) {
  webhookEndpoint(id: $endpoint) { deliveries(first: 10) { totalCount } }
  webhookDeliveries(first: 10, filter: {endpoint: $endpoint, status: [DELIVERED]}) {
    edges { node { eventId eventType status attemptCount deliveredAt endpoint { url }
      attempts(first: 5) { edges { node { statusCode latencyMs error responseExcerpt } } } } } } }"""


@pytest.fixture
async def admin(app: Starlette, clean_db: AsyncEngine, database_url: str, tokens: Tokens) -> str:
    """An admin's token; the admin is the one employee (so `graphql`'s default token too)."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await connection.execute(
            "INSERT INTO erp.employee (name, email, title, hire_date, salary, status) "
            "VALUES ('Ada Admin', $1, 'Director', '2020-01-01', 1, 'active')",
            ADMIN_EMAIL,
        )
    finally:
        await connection.close()
    app.state.security.directory.forget()  # employee ids start over after each test
    return tokens.mint(ADMIN_EMAIL, "admin")


async def create(graphql: GraphQL, **input: Any) -> dict[str, Any]:
    answer = await graphql(CREATE, {"input": input})
    result: dict[str, Any] = answer["data"]["webhookEndpointCreate"]
    return result


async def test_an_admin_keeps_endpoints_and_sees_each_secret_once(
    graphql: GraphQL, admin: str
) -> None:
    made = await create(
        graphql, url="https://hooks.example.com/in", eventTypes=["sales_order.*", "invoice.issued"]
    )
    assert made["errors"] == [] and made["secret"].startswith("whsec_")
    endpoint = made["webhookEndpoint"]
    assert endpoint["eventTypes"] == ["sales_order.*", "invoice.issued"]
    assert endpoint["active"] and endpoint["createdBy"] == {"email": ADMIN_EMAIL}
    read = (await graphql(ONE, {"id": endpoint["id"]}))["data"]["webhookEndpoint"]
    assert read == endpoint
    fields = await graphql('{ __type(name: "WebhookEndpoint") { fields { name } } }')
    names = {f["name"] for f in fields["data"]["__type"]["fields"]}
    assert not {name for name in names if "secret" in name.lower()} - {"previousSecretExpiresAt"}
    listed = (await graphql(ALL))["data"]["webhookEndpoints"]
    assert listed["totalCount"] == 1

    changed = (
        await graphql(UPDATE, {"input": {"id": endpoint["id"], "active": False, "eventTypes": []}})
    )["data"]["webhookEndpointUpdate"]
    assert changed["errors"] == []
    assert changed["webhookEndpoint"]["eventTypes"] == []
    assert changed["webhookEndpoint"]["disabledReason"] == "disabled through the API"

    rotated = (await graphql(ROTATE, {"input": {"id": endpoint["id"], "overlapHours": 2}}))["data"][
        "webhookEndpointRotateSecret"
    ]
    assert rotated["errors"] == [] and rotated["secret"] not in (None, made["secret"])
    assert rotated["webhookEndpoint"]["previousSecretExpiresAt"] is not None

    deleted = (await graphql(DELETE, {"input": {"id": endpoint["id"]}}))["data"]
    assert deleted["webhookEndpointDelete"] == {"webhookEndpoint": None, "errors": []}
    assert (await graphql(ALL))["data"]["webhookEndpoints"]["totalCount"] == 0


async def test_every_problem_of_an_endpoint_is_refused_at_once(
    graphql: GraphQL, admin: str
) -> None:
    made = await create(
        graphql,
        url="ftp://me:secret@hooks.example.com/in",
        description="x" * 501,
        eventTypes=["sales_order.placed", "sales_order.shipped", "nothing.*"],
    )
    assert made["webhookEndpoint"] is None and made["secret"] is None
    problems = {e["field"]: (e["code"], e["message"]) for e in made["errors"]}
    assert set(problems) == {"url", "description", "eventTypes.1", "eventTypes.2"}
    assert {code for code, _ in problems.values()} == {"VALIDATION"}
    with_credentials = await create(graphql, url="https://me:secret@hooks.example.com/in")
    assert "credentials" in with_credentials["errors"][0]["message"]
    rotate = await graphql(ROTATE, {"input": {"id": "V2ViaG9va0VuZHBvaW50Ojk5", "overlapHours": 1}})
    assert rotate["data"]["webhookEndpointRotateSecret"]["errors"][0]["code"] == "NOT_FOUND"


async def test_only_admins_read_or_keep_webhooks(
    graphql: GraphQL, admin: str, tokens: Tokens
) -> None:
    manager = tokens.mint(ADMIN_EMAIL, "sales_manager")
    refused = await graphql(CREATE, {"input": {"url": "https://x.example.com"}}, token=manager)
    [error] = refused["data"]["webhookEndpointCreate"]["errors"]
    assert error["code"] == "FORBIDDEN"
    listed = await graphql(ALL, token=manager)
    assert listed["data"]["webhookEndpoints"] is None
    assert listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_delivery_log_shows_each_attempt_and_a_replay_sends_again(
    graphql: GraphQL, admin: str, engine: AsyncEngine, redis_url: str
) -> None:
    async with running_receiver() as receiver:
        made = await create(graphql, url=receiver.url("in"), eventTypes=["segment.created"])
        endpoint = made["webhookEndpoint"]["id"]
        events = await commit_events(engine, "segment.created", 2)
        redis = await create_pool(
            redis_settings(redis_url), default_queue_name=f"test-{uuid.uuid4().hex[:8]}"
        )
        try:
            await relay_pending(engine, redis)
            await deliver_due(engine, FAST)
            log = (await graphql(LOG, {"endpoint": endpoint}))["data"]
            assert log["webhookEndpoint"]["deliveries"]["totalCount"] == 2
            nodes = [edge["node"] for edge in log["webhookDeliveries"]["edges"]]
            assert sorted(node["eventId"] for node in nodes) == [str(e) for e in events]
            for node in nodes:
                assert node["status"] == "DELIVERED" and node["attemptCount"] == 1
                assert node["eventType"] == "segment.created"
                assert node["endpoint"] == {"url": receiver.url("in")}
                [attempt] = [edge["node"] for edge in node["attempts"]["edges"]]
                assert attempt["statusCode"] == 200 and attempt["responseExcerpt"] == "thanks"

            window = {
                "endpoint": endpoint,
                "from": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
                "to": (datetime.now(UTC) + timedelta(minutes=1)).isoformat(),
            }
            replayed = (await graphql(REPLAY, {"input": window}))["data"]["webhookReplay"]
            assert replayed["errors"] == [] and replayed["queued"] == 2
            backwards = {**window, "from": window["to"], "to": window["from"]}
            refused = (await graphql(REPLAY, {"input": backwards}))["data"]["webhookReplay"]
            assert refused["errors"][0]["field"] == "to"
            await relay_pending(engine, redis)
            await deliver_due(engine, FAST)
        finally:
            await redis.aclose()
        assert len(receiver.at("in")) == 4
