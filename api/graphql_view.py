"""The GraphQL endpoint: a strawberry ASGI view with a fresh context per request."""

import asyncio
import time
import uuid
from collections.abc import Mapping
from contextlib import suppress
from datetime import timedelta
from typing import Any, cast

import orjson
from cross_web import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.relay import to_base64
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from api import graphiql, graphiql_assets
from api.compiled_requests import CompiledRequests
from api.errors import ErrorPolicy, SingleOperation
from api.observability import OperationName
from api.persisted_queries import PersistedQueries, Registry, SafelistExtension
from api.security import envelope, query_limits, uploads
from api.security.authentication import PASTE_A_TOKEN, Identities, bearer_token
from api.security.input_limits import InputLimits, InputLimitsExtension
from api.security.responses import graphql_error
from api.security.tokens import AuthError
from domain.core.access import Viewer
from schema.build import build_schema
from schema.core.context import AppState, Context
from schema.core.loaders import Loaders

# graphql-transport-ws leaves codes 4000-4999 to the server: 4401 tells the client to come
# back with a fresh token.
TOKEN_EXPIRED = 4401


class TextFrames(ASGIWebSocketAdapter):
    """WebSocket messages as text frames. strawberry sends bytes from `encode_json` (ours
    returns orjson's bytes) as binary frames, which graphql-ws in a browser refuses ("Message
    is missing the 'type' property"): GraphiQL and Apollo saw no updates."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as error:
            raise WebSocketDisconnected from error


class GraphQLView(GraphQL[Context, None]):
    websocket_adapter_class = TextFrames

    def __init__(self, state: AppState, identities: Identities | None = None) -> None:
        settings = state.settings
        input_limits = InputLimits.from_settings(settings)
        limits = query_limits.QueryLimits.from_settings(settings)
        registry = Registry(state.sessions)
        safelist = [lambda: SafelistExtension(registry)] if settings.safelist else []
        schema = build_schema(
            production=settings.is_prod,
            # Naming and error policy first: they wrap everything, the limits included.
            extensions=[
                OperationName,
                ErrorPolicy,
                SingleOperation,
                # Before the limits: an unregistered document costs nothing more.
                *safelist,
                *query_limits.extension_factories(settings, limits),
                lambda: InputLimitsExtension(input_limits),
            ],
            max_batch_operations=settings.max_batch_operations,
            shortcuts=settings.execution_shortcuts,
            compiled_reads=settings.compiled_reads,
        )
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            allow_queries_via_get=True,
            # File uploads (`importUpload`): the request guard lets only those who may send
            # files through, and `_read_upload` checks the form before strawberry reads it.
            multipart_uploads_enabled=True,
            # Subscriptions: graphql-transport-ws, and the older graphql-ws for old clients
            # (strawberry speaks both). A connection authenticates in `connection_init`.
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
            connection_init_wait_timeout=timedelta(seconds=10),
            keep_alive=True,
            keep_alive_interval=15,
        )
        if settings.graphiql_enabled:
            graphiql_assets.check(self.graphql_ide_html)
        self.max_subscriptions_per_connection = settings.max_subscriptions_per_connection
        self.identities = identities
        self.state = state
        self.persisted = PersistedQueries(registry, safelist=settings.safelist)
        self.compiled_requests = (
            CompiledRequests(
                schema._schema,
                limits,
                input_limits,
                loaders=self._loaders,
                max_rows=settings.max_nodes,
            )
            if settings.compiled_reads
            else None
        )

    def _loaders(self, viewer: Viewer) -> Loaders:
        return Loaders(
            self.state.reads,
            viewer,
            statement_budget_ms=self.state.settings.request_statement_budget_ms,
        )

    async def get_context(self, request: Request, response: Any) -> Context:  # type: ignore[override]
        viewer = _viewer(request)
        context = Context(
            state=self.state,
            viewer=viewer,
            request_id=_request_id(request),
            request=request,
            response=response,
            loaders=self._loaders(viewer),
            max_rows=self.state.settings.max_nodes,
        )
        request.scope["bizgraph.context"] = context
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Authenticate a WebSocket connection by the token in its `connection_init` payload
        (`{"Authorization": "Bearer …"}`, or `{"token": "…"}`); a refusal closes it (4403).
        The connection is closed with 4401 when the token expires."""
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        header = params.get("Authorization") or params.get("authorization")
        token = params.get("token")
        if self.identities is None:
            raise ConnectionRejectionError()
        try:
            raw = f"Bearer {token}" if isinstance(token, str) and not header else header
            identity = await self.identities.identify(
                bearer_token(raw if isinstance(raw, str) else None)
            )
        except AuthError as error:
            raise ConnectionRejectionError(
                {"message": error.message, "code": error.code}
            ) from error
        context.viewer = identity.viewer
        context.loaders = self._loaders(identity.viewer)
        if identity.expires_at is not None:
            _close_when_expired(context.request, identity.expires_at)
        return UNSET

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self.persisted.prepare(request)
            if response is None:
                response = await self._read_upload(request)
            if response is None:
                response = await self._compiled(request)
            if response is None:
                response = await self.run(request)
                self._learn(request)
        except HTTPException as error:
            # strawberry answers its own refusals (405, 404, an operation GET may not run)
            # in plain text; clients get them shaped like every other GraphQL error.
            response = graphql_error(error.status_code, "BAD_REQUEST", error.reason)
        except ClientDisconnect:
            return  # gone while sending its body: nobody to answer
        finally:
            await request.close()  # an uploaded file spooled to disk goes with the request
        await response(scope, receive, send)

    async def _read_upload(self, request: Request) -> Response | None:
        """A refusal of a multipart request whose form is not a proper GraphQL multipart
        request (`api.security.uploads`); None for a good one, and for any other request."""
        if request.method != "POST" or not uploads.is_multipart(
            request.headers.get("content-type", "")
        ):
            return None
        try:
            await uploads.read_form(request, max_field_bytes=self.state.settings.max_body_bytes)
        except envelope.MalformedRequest as error:
            return graphql_error(400, "BAD_REQUEST", str(error))
        return None

    async def _compiled(self, request: Request) -> Response | None:
        """The answer of `api.compiled_requests`, for a plain JSON POST of a query it knows."""
        if (
            self.compiled_requests is None
            or request.method != "POST"
            or uploads.is_multipart(request.headers.get("content-type", ""))
            or self._get_stream_transport_from_headers(request.headers) is not None
        ):
            return None
        answer = await self.compiled_requests.answer(
            request, _viewer(request), _request_id(request)
        )
        if answer is None:
            return None
        if answer.errors:
            self.schema.process_errors(answer.errors)
        data = cast(GraphQLHTTPResponse, answer.response_data())
        return self.create_response(data, await self.get_sub_response(request))

    def _learn(self, request: Request) -> None:
        context = request.scope.get("bizgraph.context")
        operation = getattr(context, "compiled_operation", None)
        if self.compiled_requests is not None and operation is not None:
            self.compiled_requests.learn(request, operation)

    def decode_json(self, data: str | bytes) -> object:
        # The request guard checked the body with this same decoder (api.security.envelope).
        try:
            return envelope.decode(data)
        except envelope.MalformedRequest as error:
            raise HTTPException(400, str(error)) from error

    def encode_json(self, data: object) -> bytes:
        # orjson is several times faster than the standard encoder on large responses.
        encoded = orjson.dumps(data)
        limit = self.state.settings.max_response_bytes
        if len(encoded) > limit:
            # The estimate and the row count stop almost every such query before it runs;
            # this is the last word on what a client may be sent (wide rows, long texts).
            refused = query_limits.limit_error(
                "response",
                limit,
                f"the response would be larger than {limit} bytes; ask for fewer fields or "
                "smaller pages",
            )
            return orjson.dumps({"data": None, "errors": [refused.formatted]})
        return encoded

    async def render_graphql_ide(self, request: Request) -> Response:
        sample = await self._sample_customer_id()
        headers = getattr(request.state, "graphiql_headers", None) or {}
        hint = headers.get("Authorization") == PASTE_A_TOKEN
        html = graphiql.customize(
            graphiql_assets.localize(self.graphql_ide_html),
            variables={"id": sample},
            headers=headers,
            hint=hint,
        )
        # In dev the page may carry a token: no cache may keep it. It loads nothing from
        # elsewhere and sends requests nowhere else.
        return HTMLResponse(
            html,
            headers={
                "Cache-Control": "no-store",
                "Content-Security-Policy": graphiql.CONTENT_SECURITY_POLICY,
            },
        )

    async def _sample_customer_id(self) -> str:
        async with self.state.engine.connect() as connection:
            found = await graphiql.showcase_customer(connection)
        return to_base64("Customer", found if found is not None else 1)


def _viewer(request: Request) -> Viewer:
    # Authentication lets no operation through without a viewer; the GraphiQL page, the
    # one unauthenticated request that reaches this view, runs nothing and gets no roles.
    return getattr(request.state, "viewer", None) or Viewer(employee_id=None, email="")


def _request_id(request: Request) -> str:
    return getattr(request.state, "request_id", None) or uuid.uuid4().hex


def _authorization(params: object) -> str | None:
    """The `Authorization` value a `connection_init` payload carries, as a header would."""
    if not isinstance(params, dict):
        return None
    header = params.get("Authorization") or params.get("authorization")
    token = params.get("token")
    if isinstance(header, str):
        return header
    return f"Bearer {token}" if isinstance(token, str) else None


def _close_when_expired(websocket: Any, expires_at: float) -> None:
    async def close() -> None:
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        with suppress(Exception):  # already closed by the client: nothing to do
            await websocket.close(code=TOKEN_EXPIRED, reason="the token expired")

    task = asyncio.create_task(close())
    # Ends with the connection: the handler's task is the one running this.
    websocket.state.expiry = task


def graphql_endpoint(state: AppState, identities: Identities | None = None) -> GraphQLView:
    return GraphQLView(state, identities)
