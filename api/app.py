"""The composition root: builds the Starlette application from settings.

Each concern lives in its own module (GraphQL view, health, metrics, security); this file
only wires them together in order.
"""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import Route

from api.settings import Settings, get_settings
from domain.core.database import create_engine, session_factory
from domain.core.reads import ReadPool
from schema.context import AppState


def create_app(settings: Settings | None = None) -> Starlette:
    """The ASGI application (uvicorn calls this as a factory)."""
    settings = settings or get_settings()
    if not settings.database_url:
        raise RuntimeError("DATABASE_URL is not set (bizgraph serve/dev set it for you)")
    engine = create_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        statement_timeout_ms=settings.statement_timeout_ms,
    )
    reads = ReadPool(
        settings.database_url,
        max_size=settings.db_pool_size + settings.db_max_overflow,
        statement_timeout_ms=settings.statement_timeout_ms,
    )
    state = AppState(
        engine=engine, sessions=session_factory(engine), reads=reads, settings=settings
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await reads.close()
        await engine.dispose()

    from api.graphql_view import graphql_endpoint

    graphql = graphql_endpoint(state)
    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.bizgraph = state
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
