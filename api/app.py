"""The composition root: builds the Starlette application from settings.

Each concern lives in its own module (GraphQL view, health, metrics, security); this file
only wires them together in order.
"""

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from api import graphiql_assets, metrics
from api.health import health_routes
from api.observability import RequestObservability
from api.probes import Probes
from api.security.layer import Security
from api.settings import Settings, get_settings
from domain.core.reads import ReadPool
from domain.core.sessions import asyncpg_dsn, create_engine, session_factory
from domain.core.telemetry import track_statements
from domain.integrations.live import EventHub
from schema.core.context import AppState


def create_app(
    settings: Settings | None = None, *, graphiql_token: Callable[[], str] | None = None
) -> Starlette:
    """The ASGI application (uvicorn calls this as a factory).

    `graphiql_token` (dev only) mints the token GraphiQL opens with in its headers.
    """
    settings = settings or get_settings()
    if not settings.database_url:
        raise RuntimeError("DATABASE_URL is not set (bizgraph serve/dev set it for you)")
    engine = create_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        statement_timeout_ms=settings.statement_timeout_ms,
        lock_timeout_ms=settings.lock_timeout_ms,
        connect_timeout_s=settings.db_connect_timeout_s,
        pool_timeout_s=settings.db_pool_timeout_s,
        parallel_workers=settings.db_parallel_workers,
    )
    reads = ReadPool(
        settings.database_url,
        max_size=settings.db_pool_size + settings.db_max_overflow,
        statement_timeout_ms=settings.statement_timeout_ms,
        connect_timeout_s=settings.db_connect_timeout_s,
        pool_timeout_s=settings.db_pool_timeout_s,
        per_owner=settings.db_connections_per_client or None,
        parallel_workers=settings.db_parallel_workers,
    )
    events = EventHub(asyncpg_dsn(settings.database_url))
    state = AppState(
        engine=engine,
        sessions=session_factory(engine),
        reads=reads,
        settings=settings,
        events=events,
    )
    security = Security(settings, engine, graphiql_token=graphiql_token)
    # Operation: per-request SQL accounting, probes for /readyz and /metrics, pool gauges.
    track_statements(engine)
    probes = Probes(settings.database_url, settings.redis_url, settings.queue_name)
    metrics.POOL_CAPACITY.set(settings.db_pool_size + settings.db_max_overflow)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await events.close()
        await security.close()
        await probes.close()
        await reads.close()
        await engine.dispose()
        metrics.forget_this_process()

    from api.graphql_view import graphql_endpoint

    graphql = graphql_endpoint(state, security.identities)
    routes: list[BaseRoute] = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        *health_routes(probes),
        Route("/metrics", metrics.metrics_endpoint(probes, engine, reads), methods=["GET"]),
    ]
    if settings.graphiql_enabled:
        # The page's own files: it works without the internet.
        assets = StaticFiles(directory=graphiql_assets.ROOT)
        routes.append(Mount(graphiql_assets.PATH.rstrip("/"), app=assets))
    # Request ids and logging outermost, so even refusals by the security layer carry one.
    middleware = [
        Middleware(RequestObservability, engine=engine, reads=reads),
        *security.middleware(),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.bizgraph = state
    app.state.security = security
    app.state.probes = probes
    app.state.compiled_requests = graphql.compiled_requests
    _tune_garbage_collector()
    return app


def _tune_garbage_collector() -> None:
    """Fewer, cheaper collections: a large response allocates objects by the hundred thousand.

    With the default threshold (700) a 50-customer page triggered ~60 young and several full
    collections; freezing what exists after start-up (schema, modules) keeps full collections
    from walking it again on every request (docs/PERFORMANCE.md).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 10)
