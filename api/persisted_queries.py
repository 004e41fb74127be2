"""Persisted queries: Apollo's automatic persisted queries (APQ), and a safelist for prod.

**APQ.** A client sends `extensions.persistedQuery = {version: 1, sha256Hash}` without the
query; if this process knows the hash the request runs, otherwise it answers
`PERSISTED_QUERY_NOT_FOUND` (HTTP 200, as Apollo Server does) and the client sends hash and
query together, which runs and is remembered (`MAX_REMEMBERED` per process, least recently
used first out). Registered operations are known to every process.

**Safelist** (`BIZGRAPH_SAFELIST=on`). Only registered operations run: a document whose
SHA-256 is not registered is refused with `PERSISTED_QUERY_NOT_IN_LIST` before it is
validated, whichever way it came (POST, GET, multipart, APQ). Registration is a build step
of each client (`bizgraph operations register DIR`), so the documents a client may send are
exactly those it was built with; introspection, too, runs only if registered.
"""

import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable
from typing import Any
from urllib.parse import urlencode

import orjson
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    parse,
    print_ast,
    validate,
    visit,
)
from graphql.language import Visitor
from starlette.requests import Request
from starlette.responses import Response
from strawberry.extensions import SchemaExtension

from api.security.responses import graphql_error
from domain.core.sessions import SessionFactory
from domain.integrations import persisted
from domain.integrations.persisted import Operation, sha256_of

MAX_REMEMBERED = 10_000
# An unknown hash is asked of the database again at most this often (per hash and process).
MISS_TTL_S = 5.0
NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
NOT_IN_LIST = "PERSISTED_QUERY_NOT_IN_LIST"

log = logging.getLogger(__name__)


class Registry:
    """Registered operations by hash, read from the database once each and kept."""

    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions
        self._known: OrderedDict[str, str] = OrderedDict()
        self._missed: dict[str, float] = {}

    async def document(self, sha256: str) -> str | None:
        found = self._known.get(sha256)
        if found is not None:
            return found
        now = time.monotonic()
        if self._missed.get(sha256, 0.0) > now:
            return None
        async with self.sessions() as session:
            found = (await persisted.documents(session, [sha256])).get(sha256)
        if found is None:
            if len(self._missed) >= MAX_REMEMBERED:
                self._missed.clear()
            self._missed[sha256] = now + MISS_TTL_S
            return None
        self._known[sha256] = found
        return found


class PersistedQueries:
    """Turns APQ requests into ordinary ones (or answers them); one per process."""

    def __init__(self, registry: Registry, *, safelist: bool) -> None:
        self.registry = registry
        self.safelist = safelist
        self._remembered: OrderedDict[str, str] = OrderedDict()

    async def prepare(self, request: Request) -> Response | None:
        """Put the document of an APQ request in its place, or answer it; None for requests
        that run (rewritten or as they came)."""
        if request.method == "GET":
            extensions = _json(request.query_params.get("extensions"))
            query = request.query_params.get("query")
        elif request.method == "POST" and request.headers.get("content-type", "").startswith(
            "application/json"
        ):
            body = _json(await request.body())
            if not isinstance(body, dict):
                return None
            extensions, query = body.get("extensions"), body.get("query")
        else:
            return None
        hashed = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        if not isinstance(hashed, dict):
            return None
        sha256 = hashed.get("sha256Hash")
        if hashed.get("version") != 1 or not isinstance(sha256, str):
            return graphql_error(
                400,
                "PERSISTED_QUERY_NOT_SUPPORTED",
                "persistedQuery must be {version: 1, sha256Hash}",
            )
        if isinstance(query, str):
            if sha256_of(query) != sha256.lower():
                return graphql_error(400, "BAD_REQUEST", "sha256Hash does not match the query")
            self._remember(sha256.lower(), query)
        else:
            query = await self._document(sha256.lower())
            if query is None:
                # Apollo clients look for this message and code, then send the query too.
                return graphql_error(200, NOT_FOUND, "PersistedQueryNotFound")
        _rewrite(request, query)
        return None

    async def _document(self, sha256: str) -> str | None:
        found = self._remembered.get(sha256)
        if found is not None:
            self._remembered.move_to_end(sha256)
            return found
        return await self.registry.document(sha256)

    def _remember(self, sha256: str, query: str) -> None:
        if self.safelist:
            return  # nothing is learnt in safelist mode: only registrations count
        self._remembered[sha256] = query
        self._remembered.move_to_end(sha256)
        while len(self._remembered) > MAX_REMEMBERED:
            self._remembered.popitem(last=False)


class SafelistExtension(SchemaExtension):
    """Refuses every operation whose document is not registered (safelist mode)."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    async def on_operation(self) -> AsyncIterator[None]:
        query = self.execution_context.query
        if query is not None and await self.registry.document(sha256_of(query)) is None:
            raise GraphQLError(
                "only registered operations run on this server (safelist mode); register the "
                "client's documents with `bizgraph operations register`",
                extensions={"code": NOT_IN_LIST},
            )
        yield


def _json(value: str | bytes | None) -> Any:
    if not value:
        return None
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return None  # the view answers malformed JSON itself


def _rewrite(request: Request, query: str) -> None:
    """The request as if the client had sent the document itself (and no APQ extension, so
    the compiled-request path may answer it)."""
    if request.method == "GET":
        params = dict(request.query_params)
        params.pop("extensions", None)
        params["query"] = query
        request.scope["query_string"] = urlencode(params).encode()
        if hasattr(request, "_query_params"):  # Starlette reads them once and keeps them
            del request._query_params
        return
    body = orjson.loads(request._body)
    body.pop("extensions", None)
    body["query"] = query
    request._body = orjson.dumps(body)
    if hasattr(request, "_json"):
        del request._json


def operations_of(documents: dict[str, str], schema: GraphQLSchema) -> list[Operation]:
    """Each operation of a client's documents (by file name), with the fragments it uses
    from any of them, as registered: printed in the canonical form its hash is taken of, and
    checked against the schema. A problem raises ValueError naming where it is."""
    parsed: list[tuple[str, DocumentNode]] = []
    for name, text in documents.items():
        try:
            parsed.append((name, parse(text)))
        except GraphQLError as error:
            raise ValueError(f"{name}: {error.message}") from error
    fragments: dict[str, FragmentDefinitionNode] = {}
    for name, document in parsed:
        for definition in document.definitions:
            if isinstance(definition, FragmentDefinitionNode):
                if definition.name.value in fragments:
                    raise ValueError(f"{name}: fragment {definition.name.value} defined twice")
                fragments[definition.name.value] = definition
    found = []
    for name, document in parsed:
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                found.append(_operation(name, definition, fragments, schema))
    return found


def _operation(
    file_name: str,
    definition: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    schema: GraphQLSchema,
) -> Operation:
    try:
        used = _fragments_used(definition, fragments)
    except KeyError as error:
        raise ValueError(f"{file_name}: unknown fragment {error.args[0]}") from error
    parts = (definition, *(fragments[name] for name in used))
    document = DocumentNode(definitions=parts)
    errors = validate(schema, document)
    if errors:
        raise ValueError(f"{file_name}: " + "; ".join(error.message for error in errors))
    name = definition.name.value if definition.name else ""
    return Operation(document=print_ast(document), names=(name,) if name else ())


def _fragments_used(
    operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> list[str]:
    """The fragments an operation spreads, directly or through others, in name order."""
    seen: set[str] = set()
    pending: list[Any] = [operation]
    while pending:
        names = _spreads(pending.pop())
        for name in names - seen:
            seen.add(name)
            pending.append(fragments[name])
    return sorted(seen)


def _spreads(node: Any) -> set[str]:
    names: set[str] = set()

    class Spreads(Visitor):
        def enter_fragment_spread(self, spread: FragmentSpreadNode, *_: Any) -> None:
            names.add(spread.name.value)

    visit(node, Spreads())
    return names


def manifest(operations: Iterable[Operation]) -> dict[str, Any]:
    """Apollo's persisted query manifest: what a client ships to send hashes only."""
    return {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [
            {
                "id": operation.sha256,
                "name": operation.names[0] if operation.names else "",
                "type": _kind(operation.document),
                "body": operation.document,
            }
            for operation in operations
        ],
    }


def _kind(document: str) -> str:
    parsed = parse(document)
    operation = next(d for d in parsed.definitions if isinstance(d, OperationDefinitionNode))
    return operation.operation.value
