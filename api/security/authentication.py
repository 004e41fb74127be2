"""Authentication middleware: every request carries a valid bearer token, or is refused.

A bearer token is an employee's JWT or a machine client's API key (`bzk_…`,
`api.security.api_keys`).

Open without a token: the health, readiness and metrics endpoints (probes and scrapers
carry no tokens; `/metrics` holds counters, no business data — keep it off the public
network), and, where GraphiQL is enabled, the GraphiQL page itself (a browser cannot send
a header when navigating) and its script and style files. Everything else, including
unknown paths, needs a token.

In `bizgraph dev` the GraphiQL page comes with an admin token in its headers, but only for
a loopback client asking by a loopback name (`_is_local`); any other request for the page
gets a placeholder telling how to mint a token.
"""

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

from starlette.datastructures import Headers, QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from api import graphiql_assets
from api.security.api_keys import ApiKeyDirectory
from api.security.directory import EmployeeDirectory
from api.security.responses import graphql_error
from api.security.tokens import AuthError, TokenVerifier
from domain.core.access import Viewer
from domain.core.database_errors import is_database_unavailable, is_pool_exhausted
from domain.integrations.api_keys import is_api_key

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
GRAPHQL_PATH = "/graphql"
# What GraphiQL's headers editor shows when the page carries no token.
PASTE_A_TOKEN = "Bearer <paste a token: `bizgraph token --employee EMAIL --role ROLE`>"


@dataclass(frozen=True)
class Identity:
    """Who a bearer token stands for, their own rate limit (an API key's) and when the token
    stops being valid (seconds since the epoch; None: not before it is revoked)."""

    viewer: Viewer
    rate_limit: int | None
    expires_at: float | None


class Identities:
    """Bearer tokens to identities: an employee's JWT or a machine client's API key. Shared
    by HTTP requests (`Authentication`) and WebSocket connections (`connection_init`)."""

    def __init__(
        self, verifier: TokenVerifier, directory: EmployeeDirectory, api_keys: ApiKeyDirectory
    ) -> None:
        self.verifier = verifier
        self.directory = directory
        self.api_keys = api_keys

    async def identify(self, token: str) -> Identity:
        """Raises `AuthError` for a token that opens nothing."""
        if is_api_key(token):
            key = await self.api_keys.authenticate(token)
            return Identity(key.viewer, key.rate_limit, key.expires_at)
        claims = await self.verifier.verify(token)
        return Identity(await self.directory.viewer(claims), None, claims.expires_at)


class Authentication:
    """Sets `request.state.viewer` from the bearer token; answers 401/403 otherwise.

    WebSocket connections to /graphql pass: they authenticate in their `connection_init`
    message (`api.graphql_view`), as browsers cannot send headers with a WebSocket.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        identities: Identities,
        graphiql: bool,
        graphiql_token: Callable[[], str] | None = None,
    ) -> None:
        self.app = app
        self.identities = identities
        self.graphiql = graphiql
        self.graphiql_token = graphiql_token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            if scope["path"] == GRAPHQL_PATH:
                await self.app(scope, receive, send)
            else:
                await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        if self.graphiql and scope["path"].startswith(graphiql_assets.PATH):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        state = scope.setdefault("state", {})
        if self.graphiql and _is_graphiql_page(scope, headers):
            state["graphiql_headers"] = (
                {"Authorization": f"Bearer {self.graphiql_token()}"}
                if self.graphiql_token is not None and _is_local(scope, headers)
                else {"Authorization": PASTE_A_TOKEN}
            )
            await self.app(scope, receive, send)
            return
        try:
            identity = await self.identities.identify(bearer_token(headers.get("authorization")))
            state["viewer"], state["rate_limit"] = identity.viewer, identity.rate_limit
        except AuthError as error:
            response = graphql_error(
                error.status, error.code, error.message, headers=_challenge(error)
            )
            await response(scope, receive, send)
            return
        except Exception as error:
            # Looking the employee up needs the database: an outage is "retry later", not a
            # crash, exactly as it would be for the query itself.
            request_id = state.get("request_id")
            if is_pool_exhausted(error):
                response = graphql_error(
                    503,
                    "OVERLOADED",
                    f"The server is busy; retry shortly (request id {request_id}).",
                    headers={"Retry-After": "1"},
                    requestId=request_id,
                )
            elif is_database_unavailable(error):
                response = graphql_error(
                    503,
                    "SERVICE_UNAVAILABLE",
                    f"The database is unavailable; retry shortly (request id {request_id}).",
                    requestId=request_id,
                )
            else:
                raise
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _is_graphiql_page(scope: Scope, headers: Headers) -> bool:
    """Exactly the requests strawberry answers with the GraphiQL page: they execute nothing."""
    accept = headers.get("accept", "")
    return (
        scope["method"] == "GET"
        and scope["path"] == "/graphql"
        and QueryParams(scope.get("query_string", b"")).get("query") is None
        and ("text/html" in accept or "*/*" in accept)
    )


def _is_local(scope: Scope, headers: Headers) -> bool:
    """A browser on this machine asking for this machine by a loopback name.

    Both must hold before a page carries a token. The client address alone is not enough:
    with DNS rebinding, a page from `evil.example` whose name now resolves to 127.0.0.1 is
    loaded by the developer's own browser (a loopback client), but its Host header still
    says `evil.example`, and that page may read what it loads.
    """
    client = scope.get("client")
    if not client:
        return False
    return _is_loopback(str(client[0])) and _is_loopback(_host_name(headers))


def _host_name(headers: Headers) -> str:
    """The host of the Host header without its port: `localhost`, `127.0.0.1`, `::1`."""
    host = headers.get("host", "").strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bearer_token(header: str | None) -> str:
    if header is None:
        raise AuthError("authentication required: send `Authorization: Bearer <token>`")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("the Authorization header must read `Bearer <token>`")
    return token.strip()


def _challenge(error: AuthError) -> dict[str, str]:
    """RFC 6750 §3: tell the client which scheme to use and what went wrong."""
    if error.status == 401:
        description = error.message.replace('"', "'")
        return {
            "WWW-Authenticate": f'Bearer realm="bizgraph", error="invalid_token", '
            f'error_description="{description}"'
        }
    if error.status == 403:
        return {"WWW-Authenticate": 'Bearer realm="bizgraph", error="insufficient_scope"'}
    return {}
