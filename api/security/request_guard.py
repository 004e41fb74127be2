"""What a POST to /graphql must look like before the GraphQL layer reads it.

- `Content-Type: application/json` only. Browsers send forms and `text/plain` cross-site
  without asking; JSON needs a CORS preflight, which only allowed origins pass. So no
  mutation can ride on a form or a link (GET requests may only run queries).
- At most `max_body_bytes`: a declared Content-Length over the limit is refused before
  reading anything, and a chunked body is refused as soon as it grows past the limit.
- A batch (a JSON array of operations) holds at most `max_batch_operations`; with 0,
  batching is off.
- Strict JSON shaped like a GraphQL operation (`api.security.envelope`), for POST bodies
  and for the `variables`/`extensions` parameters of a GET; anything else is a 400 with a
  GraphQL-shaped body and code BAD_REQUEST, before the GraphQL layer sees it.
"""

from starlette.datastructures import Headers, QueryParams
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.security.envelope import MalformedRequest, check_object, check_operation, decode
from api.security.responses import graphql_error


class _TooLarge(Exception):
    pass


class RequestGuard:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_batch_operations: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_batch_operations = max_batch_operations

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "POST"):
            await self.app(scope, receive, send)
            return
        if scope["method"] == "GET":
            refusal = _query_string_refusal(scope)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":
            response = graphql_error(
                415, "BAD_REQUEST", "POST requests must have `Content-Type: application/json`"
            )
            await response(scope, receive, send)
            return
        declared = headers.get("content-length", "")
        try:
            if declared.isdigit() and int(declared) > self.max_body_bytes:
                raise _TooLarge
            body = await self._read_body(receive)
        except _TooLarge:
            await self._too_large(scope, receive, send)
            return
        if body is None:
            return  # the client went away before sending its body
        refusal = self._body_refusal(body)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read_body(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = graphql_error(
            413,
            "LIMIT_EXCEEDED",
            f"the request body is larger than {self.max_body_bytes} bytes",
            limit="body",
            maximum=self.max_body_bytes,
        )
        await response(scope, receive, send)

    def _body_refusal(self, body: bytes) -> Response | None:
        try:
            document = decode(body)
            if not isinstance(document, list):
                check_operation(document)
                return None
        except MalformedRequest as error:
            return _malformed(error)
        if self.max_batch_operations == 0:
            return graphql_error(
                400,
                "LIMIT_EXCEEDED",
                "batching is off: send one operation per request",
                limit="batch",
                maximum=0,
            )
        if len(document) > self.max_batch_operations:
            return graphql_error(
                400,
                "LIMIT_EXCEEDED",
                f"a batch may hold at most {self.max_batch_operations} operations "
                f"(this one has {len(document)})",
                limit="batch",
                maximum=self.max_batch_operations,
            )
        try:
            for position, operation in enumerate(document):
                check_operation(operation, f"operation {position} of the batch")
        except MalformedRequest as error:
            return _malformed(error)
        return None


def _query_string_refusal(scope: Scope) -> Response | None:
    """A GET's `variables` and `extensions` parameters follow the rules of a POST body's."""
    params = QueryParams(scope.get("query_string", b""))
    try:
        for name in ("variables", "extensions"):
            text = params.get(name)
            if text:  # strawberry ignores empty parameters
                check_object(decode(text), name)
    except MalformedRequest as error:
        return _malformed(error)
    return None


def _malformed(error: MalformedRequest) -> Response:
    return graphql_error(400, "BAD_REQUEST", str(error))


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the already-read body to the application, then waits as usual."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
