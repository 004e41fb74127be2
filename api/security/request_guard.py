"""What a POST to /graphql must look like before the GraphQL layer reads it.

- `Content-Type: application/json` only. Browsers send forms and `text/plain` cross-site
  without asking; JSON needs a CORS preflight, which only allowed origins pass. So no
  mutation can ride on a form or a link (GET requests may only run queries).
- At most `max_body_bytes`: a declared Content-Length over the limit is refused before
  reading anything, and a chunked body is refused as soon as it grows past the limit.
- A batch (a JSON array of operations) holds at most `max_batch_operations`; with 0,
  batching is off.
- One exception to JSON: a GraphQL multipart request (`multipart/form-data`, a file
  upload), from a viewer whose roles may send files (`domain.core.permissions.can_upload`)
  — anyone else is refused before the body is read — of at most `max_upload_bytes`, checked
  the same way as a JSON body's size; its form is checked by the view
  (`api.security.uploads`).
- Strict JSON shaped like a GraphQL operation (`api.security.envelope`), for POST bodies
  and for the `variables`/`extensions` parameters of a GET; anything else is a 400 with a
  GraphQL-shaped body and code BAD_REQUEST, before the GraphQL layer sees it.
"""

from collections.abc import Callable
from typing import Any

from starlette.datastructures import Headers, QueryParams
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.security.envelope import MalformedRequest, check_object, check_operation, decode
from api.security.responses import graphql_error
from api.security.uploads import is_multipart


class _TooLarge(Exception):
    pass


class RequestGuard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_batch_operations: int,
        max_upload_bytes: int = 0,
        may_upload: Callable[[Any], bool] | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_batch_operations = max_batch_operations
        # 0: no uploads at all (multipart requests are refused like any other non-JSON).
        self.max_upload_bytes = max_upload_bytes
        self.may_upload = may_upload or (lambda viewer: False)

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
        content_type = headers.get("content-type", "")
        if self.max_upload_bytes and is_multipart(content_type):
            await self._upload(scope, receive, send, headers)
            return
        media_type = content_type.split(";")[0].strip().lower()
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

    async def _too_large(
        self, scope: Scope, receive: Receive, send: Send, *, upload: bool = False
    ) -> None:
        maximum = self.max_upload_bytes if upload else self.max_body_bytes
        response = graphql_error(
            413,
            "LIMIT_EXCEEDED",
            f"the request body is larger than {maximum} bytes"
            + (" (a file upload with its operation)" if upload else ""),
            limit="upload" if upload else "body",
            maximum=maximum,
        )
        await response(scope, receive, send)

    async def _upload(self, scope: Scope, receive: Receive, send: Send, headers: Headers) -> None:
        """A multipart request: refused unless the viewer may upload and it is small enough;
        otherwise passed on as it streams in (files are spooled to disk as they are parsed),
        cut off with a 413 once it grows past the limit."""
        viewer = scope.get("state", {}).get("viewer")
        if viewer is None or not self.may_upload(viewer):
            refusal = graphql_error(403, "FORBIDDEN", "your roles may not upload files")
            await refusal(scope, receive, send)
            return
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_upload_bytes:
            await self._too_large(scope, receive, send, upload=True)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_upload_bytes:
                raise _TooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if started:  # the body is read before any answer starts; never seen here
                raise
            await self._too_large(scope, receive, send, upload=True)

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
