"""Repeated queries that compiled reads answer whole, answered without strawberry.

Once every root field of a query was answered by its compiled statement
(`schema.core.compiled`), the same document is known by its text and operation name. When it
comes again as a plain JSON POST, this answers it directly: the variables are coerced, the
request-dependent limits checked again (the estimated rows, the input limits), each root
field's cached plan bound and run, and PostgreSQL's JSON spliced into the response. What it
skips is the machinery around that, which cost about as much as the rest of a Customer 360
request: strawberry's request parsing, its extension hooks, the parse and validation caches'
lookups and graphql-core's executor set-up.

What passed once passes again without being checked, because it depends on the document
alone: parsing, validation (the document limits of `api.security.query_limits` included) and
the disabled introspection. What depends on the request is checked as on the general path:
the authentication, admission, rate limit and request guard middleware run before this, the
limits and variable coercion here. Anything unusual answers `None` and the request takes the
general path from the start, which then reports it as always: variables that do not coerce,
a limit exceeded, a role or variables shape with no plan yet, a node that does not exist or
is hidden, an answer over the row limit, a batch, a GET, a streaming `Accept` header. A
statement that fails is reported here, as the general path would (its error masked by the
same policy), since running it again could only fail again and cost twice.

The differential tests send every query of the API tests twice in the compiled run: the
second answer, from here, must equal the first.
"""

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import GraphQLError, GraphQLNonNull, GraphQLSchema
from graphql.error import located_error
from graphql.execution.collect_fields import FieldDetails, collect_fields
from graphql.execution.values import VariableValues, get_variable_values
from starlette.requests import Request

from api import errors
from api.security import envelope
from api.security.input_limits import InputLimits
from api.security.query_limits import QueryLimits
from domain.core.access import Viewer
from domain.core.telemetry import current_request
from schema.core.compiled.runner import (
    COMPILED_READS,
    CompiledOperation,
    CompiledReads,
    Entry,
    bind,
    finished,
    rows_at_most,
)
from schema.core.loaders import Loaders

KNOWN_DOCUMENTS = 256
MAX_COERCION_ERRORS = 50  # graphql-core's default; only whether there is one matters here


@dataclass(frozen=True)
class _Field:
    key: str
    details: list[FieldDetails]
    entry: Entry
    values: dict[str, Any]
    non_null: bool


@dataclass(frozen=True)
class Answer:
    """What a compiled request answers: the GraphQL response, before it is encoded."""

    data: dict[str, Any] | None
    errors: list[GraphQLError]

    def response_data(self) -> dict[str, Any]:
        if not self.errors:
            return {"data": self.data}
        return {"data": self.data, "errors": [error.formatted for error in self.errors]}


class _Declined(Exception):
    """The request takes the general path."""


class CompiledRequests:
    def __init__(
        self,
        schema: GraphQLSchema,
        query_limits: QueryLimits,
        input_limits: InputLimits,
        loaders: Callable[[Viewer], Loaders],
        max_rows: int | None,
    ) -> None:
        reads = schema.extensions.get(COMPILED_READS)
        assert isinstance(reads, CompiledReads), "compiled reads are off"
        self.schema = schema
        self.reads = reads
        self.query_limits = query_limits
        self.input_limits = input_limits
        self.loaders = loaders
        self.max_rows = max_rows
        self.known: OrderedDict[tuple[str, str | None], CompiledOperation] = OrderedDict()
        self.answered = 0  # requests answered here (tests and benchmarks read it)

    def learn(self, request: Request, operation: CompiledOperation) -> None:
        """Remember a document the general path answered with compiled reads alone."""
        body = request.scope.get("bizgraph.body")
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return
        self.known[(body["query"], body.get("operationName"))] = operation
        self.known.move_to_end((body["query"], body.get("operationName")))
        if len(self.known) > KNOWN_DOCUMENTS:
            self.known.popitem(last=False)

    def knows(self, query: str, operation_name: str | None = None) -> bool:
        return (query, operation_name) in self.known

    async def answer(self, request: Request, viewer: Viewer, request_id: str) -> Answer | None:
        """The answer to a POSTed query known to compile whole; None for the general path."""
        try:
            body = envelope.decode(await request.body())
        except envelope.MalformedRequest:
            return None
        request.scope["bizgraph.body"] = body
        if not isinstance(body, dict) or body.get("extensions"):
            return None
        key = (body.get("query"), body.get("operationName"))
        known = self.known.get(key)  # type: ignore[arg-type]
        inputs = body.get("variables") or {}
        if known is None or not isinstance(inputs, dict):
            return None
        name = key[1]
        try:
            fields = self._fields(known, inputs, viewer)
        except _Declined:
            return None
        self.known.move_to_end(key)  # type: ignore[arg-type]
        loaders = self.loaders(viewer)
        runs = await asyncio.gather(*(self._run(loaders, field) for field in fields))
        if any(run is None for run in runs):
            return None  # a node that is missing or hidden: the general path answers
        texts = [run[0] for run in runs if run is not None and isinstance(run[0], str)]
        if self.max_rows is not None and sum(map(rows_at_most, texts)) > self.max_rows:
            return None  # maybe too many rows: the general path counts them exactly
        data: dict[str, Any] = {}
        found: list[GraphQLError] = []
        null_data = False
        for field, run in zip(fields, runs, strict=True):
            assert run is not None
            text, field_errors = run
            data[field.key] = orjson.Fragment(text) if text is not None else None
            null_data = null_data or (text is None and field.non_null)
            found.extend(field_errors)
        stats = current_request.get()
        if stats is not None:
            stats.operation = name or _operation_name(known) or "anonymous"
        self.answered += 1
        shown = errors.shown(found, request_id) if found else []
        # A non-null root field that failed nulls the whole answer, as graphql-core does.
        return Answer(None if null_data else data, shown)

    def _fields(self, known: CompiledOperation, inputs: dict[str, Any], viewer: Viewer) -> Any:
        """Each root field with its plan and bound values; _Declined when one has none."""
        operation = known.operation
        variables = get_variable_values(
            self.schema, operation.variable_definitions or (), inputs, MAX_COERCION_ERRORS
        )
        if not isinstance(variables, VariableValues):
            raise _Declined
        try:
            self.query_limits.check_rows(self.schema, known.document, operation, inputs)
            self.input_limits.check(self.schema, known.document, operation, inputs)
        except GraphQLError:
            raise _Declined from None
        root = self.schema.query_type
        assert root is not None
        collected = collect_fields(self.schema, known.fragments, variables, root, operation)
        if collected.new_defer_usages:
            raise _Declined
        fields = []
        for key, details in collected.grouped_field_set.items():
            entry = self.reads.planned(operation, known.fragments, variables, key, viewer)
            values = bind(entry, variables) if entry is not None else None
            if entry is None or values is None:
                raise _Declined
            definition = root.fields[details[0].node.name.value]
            non_null = isinstance(definition.type, GraphQLNonNull)
            fields.append(_Field(key, details, entry, values, non_null))
        if not fields:
            raise _Declined
        return fields

    async def _run(
        self, loaders: Loaders, field: _Field
    ) -> tuple[str | None, list[GraphQLError]] | None:
        """The field's JSON text and errors; None when the node is missing or hidden."""
        try:
            rows = await loaders.fetch(field.entry.statement, **field.values)
            if not rows:
                return None
            return finished(field.entry, rows[0]["data"], field.key)
        except Exception as error:
            nodes = [detail.node for detail in field.details]
            return None, [located_error(error, nodes, [field.key])]


def _operation_name(known: CompiledOperation) -> str | None:
    name = known.operation.name
    return name.value if name is not None else None
