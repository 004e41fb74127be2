"""The composition root: builds the Starlette application from settings.

Each concern lives in its own module (GraphQL view, health, metrics, security); this file
only wires them together in order.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import Route

from api.security.layer import Security
from api.settings import Settings, get_settings
from domain.core.database import create_engine, session_factory
from schema.context import AppState


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
    )
    state = AppState(engine=engine, sessions=session_factory(engine), settings=settings)
    security = Security(settings, engine, graphiql_token=graphiql_token)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await security.close()
        await engine.dispose()

    from api.graphql_view import graphql_endpoint

    graphql = graphql_endpoint(state)
    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, middleware=security.middleware())
    app.state.bizgraph = state
    app.state.security = security
    return app
