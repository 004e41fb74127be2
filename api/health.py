"""`/healthz` (the process answers) and `/readyz` (it can serve: database, schema, queue).

`/readyz` is 503 when PostgreSQL is unreachable or its schema is behind the migrations'
head: a load balancer should stop sending requests to this process. A schema *ahead* of
this version is fine (a rolling upgrade migrates first; see docs/DEPLOYMENT.md). Redis is reported
but does not make the API unready: reads and mutations work without it (the outbox in
PostgreSQL holds pending work), so taking every replica out of rotation during a Redis
outage would turn a delay of background work into a full outage. Nor does a saturated
connection pool: the probes have connections of their own, so a replica busy with requests
stays in rotation (its saturation is the `bizgraph_read_pool_connections{state="waiting"}`
and `bizgraph_db_pool_connections` gauges on `/metrics`).
"""

import asyncio
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.probes import Probes


async def healthz(_: Request) -> JSONResponse:
    return JSONResponse({"status": "alive"})


def readyz_endpoint(probes: Probes) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def readyz(_: Request) -> JSONResponse:
        (postgres, migrations), redis = await asyncio.gather(probes.database(), probes.redis_ping())
        ready = postgres.ok and migrations.ok
        status = ("ready" if redis.ok else "degraded") if ready else "unavailable"
        body = {
            "status": status,
            "checks": {
                "postgres": postgres.as_json(),
                "migrations": migrations.as_json(),
                "redis": redis.as_json(),
            },
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    return readyz


def health_routes(probes: Probes) -> list[Route]:
    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz_endpoint(probes), methods=["GET"]),
    ]
