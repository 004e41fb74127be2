"""Where the servers are: the URLs from settings, or embedded servers started on demand."""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from api.embedded import EmbeddedPostgres, EmbeddedRedis
from api.settings import Settings


@dataclass(frozen=True)
class Endpoints:
    database_url: str
    redis_url: str | None


@contextmanager
def endpoints(settings: Settings, *, need_redis: bool = True) -> Iterator[Endpoints]:
    """Yield server URLs, starting embedded servers for those not configured; stops them after."""
    with ExitStack() as stack:
        database_url = settings.database_url
        if database_url is None:
            postgres = EmbeddedPostgres(settings.data_dir)
            database_url = postgres.start()
            stack.callback(postgres.close)
        redis_url = settings.redis_url
        if redis_url is None and need_redis:
            redis = EmbeddedRedis(settings.data_dir)
            redis_url = redis.start()
            stack.callback(redis.stop)
        yield Endpoints(database_url, redis_url)
