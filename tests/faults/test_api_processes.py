"""`bizgraph serve` as deployed: several processes behind one port, JSON logs, graceful stop."""

import asyncio
import json
import signal
from pathlib import Path

import asyncpg
import httpx
from prometheus_client.parser import text_string_to_metric_families

from api.embedded import EmbeddedRedis
from domain.core.sessions import asyncpg_dsn
from tests.api.conftest import TEST_SECRET
from tests.faults.processes import BizgraphProcess, free_port, wait_until

QUERY = "query Spread { customers(first: 3) { edges { node { name } } } }"


def _server(
    database_url: str, redis_url: str, tmp_path: Path, workers: int, **settings: str
) -> tuple[BizgraphProcess, str]:
    port = free_port()
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "BIZGRAPH_ENV": "prod",
        "BIZGRAPH_PORT": str(port),
        "BIZGRAPH_JWT_SECRET": TEST_SECRET,
        **settings,
    }
    process = BizgraphProcess(["serve", "--workers", str(workers)], env, tmp_path / "api.log")
    return process, f"http://127.0.0.1:{port}"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _samples(text: str, name: str) -> list[float]:
    return [
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and sample.labels.get("operation", "Spread") == "Spread"
    ]


async def test_processes_share_metrics_and_log_json_lines(
    database_url: str, redis_url: str, tmp_path: Path, served_api_token: str
) -> None:
    metrics_dir = tmp_path / "metrics"
    server, base = _server(
        database_url, redis_url, tmp_path, 2, BIZGRAPH_METRICS_DIR=str(metrics_dir)
    )
    server.start()
    try:

        async def both_started() -> bool:
            return server.log().count("Application startup complete") == 2

        await wait_until(both_started, within=60, what="both processes started")
        await server.ready(base)
        async with httpx.AsyncClient(base_url=base, headers=_bearer(served_api_token)) as http:
            for _ in range(20):
                # A new connection per request, so the processes share the requests.
                response = await http.post(
                    "/graphql", json={"query": QUERY}, headers={"Connection": "close"}
                )
                assert response.status_code == 200 and "errors" not in response.json()
            scrapes = [(await http.get("/metrics")).text for _ in range(4)]
        for text in scrapes:  # whichever process answers, it reports every process's samples
            assert _samples(text, "bizgraph_graphql_requests_total") == [20]
            # Two live processes, each with a pool of 10 + 10.
            assert _samples(text, "bizgraph_db_pool_capacity") == [40]
        assert len(list(metrics_dir.glob("gauge_livesum_*.db"))) == 2

        server.signal(signal.SIGTERM)
        assert await server.exit_code() == 0
        lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
        requests = [entry for entry in lines if entry.get("operation") == "Spread"]
        assert len(requests) == 20
        for entry in requests:
            assert entry["logger"] == "bizgraph.request"
            assert entry["status"] == 200 and entry["statements"] >= 1
            assert len(entry["request_id"]) == 32 and entry["duration_ms"] > 0
        assert not [line for line in server.log().splitlines() if line and line[0] not in "{"]
    finally:
        server.stop()


async def test_sigterm_lets_an_in_flight_request_finish(
    database_url: str, redis_url: str, tmp_path: Path, served_api_token: str
) -> None:
    # The request waits on a lock for as long as the test needs: no statement timeout cuts it.
    server, base = _server(
        database_url, redis_url, tmp_path, 1, BIZGRAPH_STATEMENT_TIMEOUT_MS="120000"
    )
    server.start()
    holder = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await server.ready(base)
        await holder.execute("BEGIN; LOCK TABLE crm.customer IN ACCESS EXCLUSIVE MODE")
        async with httpx.AsyncClient(
            base_url=base, timeout=60, headers=_bearer(served_api_token)
        ) as http:
            in_flight = asyncio.create_task(http.post("/graphql", json={"query": QUERY}))

            async def blocked() -> bool:
                # Inside a transaction pg_stat_activity is a snapshot taken at first use.
                await holder.execute("SELECT pg_stat_clear_snapshot()")
                return bool(
                    await holder.fetchval(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
                    )
                )

            await wait_until(blocked, within=30, what="the request waiting for the lock")
            server.signal(signal.SIGTERM)
            await server.wait_for_log("Waiting for connections to close")
            await holder.execute("ROLLBACK")
            response = await in_flight
        assert response.status_code == 200
        assert "errors" not in response.json()
        # uvicorn re-raises the signal after its graceful shutdown; the CLI exits 128 + 15.
        assert await server.exit_code() == 128 + signal.SIGTERM
        assert "Finished server process" in server.log()
    finally:
        server.stop()
        await holder.close()


async def test_sigterm_also_stops_the_embedded_servers_serve_started(tmp_path: Path) -> None:
    data = tmp_path / "data"
    port = free_port()
    env = {"BIZGRAPH_DATA_DIR": str(data), "BIZGRAPH_PORT": str(port)}
    server = BizgraphProcess(
        ["serve"], env, tmp_path / "api.log", unset=("DATABASE_URL", "REDIS_URL")
    )
    server.start()
    try:

        async def alive() -> bool:
            assert server.alive(), server.log()[-3000:]
            try:
                async with httpx.AsyncClient() as http:
                    return (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200
            except httpx.TransportError:
                return False

        await wait_until(alive, within=60, what="the API answering /healthz", interval=0.2)
        assert (data / "postgres" / "postmaster.pid").exists()
        redis_socket = EmbeddedRedis(data).socket_path
        assert redis_socket.exists()
        server.signal(signal.SIGTERM)
        assert await server.exit_code() == 128 + signal.SIGTERM
        assert not (data / "postgres" / "postmaster.pid").exists()
        assert not redis_socket.exists()
    finally:
        server.stop()
