"""`/metrics` parses as Prometheus text and shows the request, SQL, pool and backlog series."""

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.settings import Settings
from domain.core.sessions import asyncpg_dsn
from tests.api.conftest import StatementCounter, Tokens, bearer

QUERY = "query TopCustomers { customers(first: 5) { edges { node { name accountManager { email } } } } }"
BALANCES = "query Balances { customers(first: 5) { edges { node { name openBalance } } } }"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
async def ops_rows(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """Two pending outbox events, recorded job runs and a finished forecast run."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    await connection.execute(
        """
        INSERT INTO ops.outbox (topic, aggregate_type, aggregate_id, created_at)
        VALUES ('test.event', 'test', 1, now() - interval '90 seconds'),
               ('test.event', 'test', 2, now());
        INSERT INTO ops.job_run (name, started_at, finished_at, status)
        VALUES ('test_job', now() - interval '10 minutes', now() - interval '9 minutes', 'succeeded'),
               ('test_job', now() - interval '5 minutes', now() - interval '5 minutes', 'failed');
        INSERT INTO analytics.forecast_run (scope, key, status, started_at, finished_at)
        VALUES ('company', '', 'succeeded', now() - interval '61 minutes', now() - interval '60 minutes');
        """
    )
    yield connection
    await connection.execute(
        "DELETE FROM ops.outbox WHERE topic = 'test.event';"
        "DELETE FROM ops.job_run WHERE name = 'test_job';"
        "DELETE FROM analytics.forecast_run WHERE scope = 'company';"
    )
    await connection.close()


@pytest.mark.usefixtures("demo")
async def test_metrics_show_requests_sql_batches_pool_and_backlog(
    admin_client: httpx.AsyncClient,
    statements: StatementCounter,
    ops_rows: asyncpg.Connection,
    settings: Settings,
    tokens: Tokens,
) -> None:
    before = await scrape(admin_client)
    statements.reset()
    for _ in range(3):
        await admin_client.post("/graphql", json={"query": QUERY})
    ran = statements.count
    await admin_client.post("/graphql", json={"query": "query Broken { nope }"})
    support = bearer(tokens.mint(await tokens.first_active_employee(), "support"))
    denied = await admin_client.post("/graphql", json={"query": BALANCES}, headers=support)
    after = await scrape(admin_client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    top = {"operation": "TopCustomers"}
    assert delta("bizgraph_graphql_requests_total", status="200", **top) == 3
    assert delta("bizgraph_graphql_request_duration_seconds_count", **top) == 3
    assert delta("bizgraph_graphql_request_duration_seconds_sum", **top) > 0
    assert delta("bizgraph_sql_statements_per_request_sum", **top) == ran
    assert delta("bizgraph_sql_seconds_per_request_sum", **top) > 0
    assert (
        delta("bizgraph_graphql_errors_total", operation="Broken", code="GRAPHQL_VALIDATION_FAILED")
        == 1
    )
    # Every error counts, however many one request holds: one per customer here.
    forbidden = [e for e in denied.json()["errors"] if e["extensions"]["code"] == "FORBIDDEN"]
    assert len(forbidden) == 5
    assert delta("bizgraph_graphql_errors_total", operation="Balances", code="FORBIDDEN") == 5
    managers = {"loader": "by_id:erp.employee"}
    if settings.compiled_reads:  # one statement per request, no DataLoader
        assert ran == 3
        assert delta("bizgraph_dataloader_batch_size_count", **managers) == 0
    else:
        assert delta("bizgraph_dataloader_batch_size_count", **managers) == 3
        assert 3 <= delta("bizgraph_dataloader_batch_size_sum", **managers) <= 15
    assert value(after, "bizgraph_db_pool_connections", state="in_use") == 0
    assert value(after, "bizgraph_db_pool_capacity") >= 1

    assert value(after, "bizgraph_database_up") == 1
    assert value(after, "bizgraph_redis_up") == 1
    assert ("bizgraph_queue_jobs", frozenset()) in after
    pending = await ops_rows.fetchval("SELECT count(*) FROM ops.outbox WHERE processed_at IS NULL")
    assert value(after, "bizgraph_outbox_backlog_events") == pending >= 2
    assert 90 <= value(after, "bizgraph_outbox_oldest_event_age_seconds") < 3600
    job = {"job": "test_job"}
    assert value(after, "bizgraph_job_runs_24h", status="succeeded", **job) == 1
    assert value(after, "bizgraph_job_runs_24h", status="failed", **job) == 1
    assert 540 <= value(after, "bizgraph_job_last_success_age_seconds", **job) < 600
    assert value(after, "bizgraph_job_last_duration_seconds", **job) == 0
    assert 3600 <= value(after, "bizgraph_forecast_age_seconds", scope="company") < 3700
