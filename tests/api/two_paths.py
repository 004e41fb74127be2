"""Fixtures of the tests that run both read paths themselves: an app with compiled reads, one
on the general path, and tokens both accept (not tied to the suite's execution modes).

Each app is closed with its module (its lifespan closes its pools): the suite runs close to
the database server's connection limit.
"""

from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette

from api.app import create_app
from tests.api.conftest import Tokens, _settings


async def _running(app: Starlette) -> AsyncIterator[Starlette]:
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="module")
async def compiled_app(database_url: str, redis_url: str) -> AsyncIterator[Starlette]:
    async for app in _running(create_app(_settings(database_url, redis_url, "compiled"))):
        yield app


@pytest.fixture(scope="module")
async def general_app(database_url: str, redis_url: str) -> AsyncIterator[Starlette]:
    async for app in _running(create_app(_settings(database_url, redis_url, "general"))):
        yield app


@pytest.fixture(scope="module")
def tokens(database_url: str, redis_url: str) -> Tokens:
    return Tokens(_settings(database_url, redis_url, "compiled"), database_url)
