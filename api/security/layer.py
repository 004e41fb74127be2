"""Everything that guards the API, built once per process and wired in front of it.

Order of the middleware, outermost first, and why:
1. CORS — answers preflights before anything else, and adds its headers to refusals too,
   so a browser app can read why it was refused.
2. Admission (`api.admission`) — a burst waits its turn here, before anything in it needs a
   database connection (authentication may).
3. Authentication — no token, no further work (the body is not even read).
4. Rate limit — needs the authenticated viewer.
5. Request guard — content type, body size and batch size of POSTs; who may upload files.
"""

import logging
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from api.admission import Admission, AdmissionQueue
from api.security.api_keys import ApiKeyDirectory
from api.security.authentication import Authentication, Identities
from api.security.cursor_key import configure_cursors, cursor_secret_problem
from api.security.directory import EmployeeDirectory
from api.security.rate_limit import RateLimit, RateLimiter
from api.security.request_guard import RequestGuard
from api.security.tokens import TokenVerifier, configuration_problem, hs256_secret
from api.settings import Settings
from domain.core.permissions import can_upload
from domain.core.sessions import session_factory

log = logging.getLogger(__name__)


class InsecureConfiguration(RuntimeError):
    """Settings that would leave the API open: the process refuses to start."""


def check(settings: Settings) -> None:
    """Refuse settings that cannot authenticate anyone safely (see `configuration_problem`)
    or could not seal page cursors alike in every process (`cursor_secret_problem`)."""
    problem = configuration_problem(settings) or cursor_secret_problem(settings)
    if problem is not None:
        raise InsecureConfiguration(problem)


class Security:
    def __init__(
        self,
        settings: Settings,
        engine: AsyncEngine,
        *,
        graphiql_token: Callable[[], str] | None = None,
    ) -> None:
        check(settings)
        if graphiql_token is not None and settings.is_prod:
            raise InsecureConfiguration("GraphiQL never carries a token in prod")
        self.settings = settings
        secret = hs256_secret(settings, settings.data_dir)
        self.verifier = TokenVerifier(settings, secret=secret)
        configure_cursors(settings, secret)
        self.directory = EmployeeDirectory(engine)
        self.api_keys = ApiKeyDirectory(session_factory(engine))
        self.identities = Identities(self.verifier, self.directory, self.api_keys)
        self.graphiql_token = graphiql_token
        self.rate_limiter: RateLimiter | None = None
        # With Redis, always: an API key may carry its own limit even with no general one.
        if settings.redis_url:
            self.rate_limiter = RateLimiter(settings.redis_url, settings.rate_limit_per_minute)
        elif settings.rate_limit_per_minute:
            log.warning("no REDIS_URL: the per-token rate limit is not enforced")

    def middleware(self) -> list[Middleware]:
        settings = self.settings
        stack = [
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_allow_list,
                allow_origin_regex=settings.cors_origin_pattern,
                allow_methods=["GET", "POST"],
                # Apollo Client names itself in these (Apollo Studio's client awareness).
                allow_headers=[
                    "Authorization",
                    "Content-Type",
                    "X-Request-ID",
                    "apollographql-client-name",
                    "apollographql-client-version",
                ],
                expose_headers=["Retry-After", "X-Request-ID"],
                allow_credentials=False,  # bearer tokens, never cookies
                max_age=600,
            ),
            Middleware(
                Admission,
                queue=AdmissionQueue(
                    capacity=settings.admission_capacity,
                    depth=settings.admission_depth,
                    max_wait_s=settings.admission_wait_s,
                ),
            ),
            Middleware(
                Authentication,
                identities=self.identities,
                graphiql=settings.graphiql_enabled,
                graphiql_token=self.graphiql_token,
            ),
        ]
        if self.rate_limiter is not None:
            stack.append(Middleware(RateLimit, limiter=self.rate_limiter))
        stack.append(
            Middleware(
                RequestGuard,
                max_body_bytes=settings.max_body_bytes,
                max_batch_operations=settings.max_batch_operations,
                # The file, and room for its operation, map and multipart framing.
                max_upload_bytes=settings.import_max_bytes + settings.max_body_bytes,
                may_upload=can_upload,
            )
        )
        return stack

    async def close(self) -> None:
        await self.api_keys.close()
        if self.rate_limiter is not None:
            await self.rate_limiter.close()
