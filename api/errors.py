"""Which GraphQL errors reach clients as they are, and what the others become.

An error is shown verbatim only when it was raised deliberately as a `GraphQLError`
(parse, validation and limit errors, our BAD_USER_INPUT / NOT_FOUND / FORBIDDEN /
UNAUTHENTICATED errors): then `original_error` is None or itself a GraphQLError. Every
other exception is masked. A database outage becomes SERVICE_UNAVAILABLE (logged as a
warning, no stack: outages are expected and noisy), a statement that ran into the statement
timeout QUERY_TIMEOUT (the client asked for too much), a wait for a pooled connection that
ran out OVERLOADED (the database is fine; this process is busy), a wait for a row lock past
`lock_timeout` LOCK_TIMEOUT (another change held the row), a connection lost while committing
OUTCOME_UNKNOWN (the change may or may not be saved); anything else INTERNAL_SERVER_ERROR
(logged with its stack). Masked messages carry the request id, which is also in the log line,
so a user's report leads straight to the stack trace.

`extensions.retrySafe` says whether repeating the request as it was is safe: true for the
codes that guarantee nothing was written (a failed transaction rolls back; the commit is the
one step that can end unknown), false for OUTCOME_UNKNOWN, which is safe to repeat only with
the same `idempotencyKey` (the repeat then answers with the first result if it was saved).

This is strawberry's `MaskErrors` idea with our own rule for what to mask, as a
request-level extension (`on_operation` only: no per-field hook). Errors shown as they are
get a code when graphql-core gave them none: GRAPHQL_PARSE_FAILED or
GRAPHQL_VALIDATION_FAILED (invalid documents and variables).
"""

import logging
import re
from collections.abc import Iterator

from graphql import GraphQLError, GraphQLSyntaxError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from domain.core.database_errors import (
    is_commit_outcome_unknown,
    is_database_unavailable,
    is_lock_timeout,
    is_pool_exhausted,
    is_statement_timeout,
)
from domain.core.telemetry import current_request
from schema.core.scalars import InvalidScalar

log = logging.getLogger("bizgraph.errors")

INTERNAL = "INTERNAL_SERVER_ERROR"
UNAVAILABLE = "SERVICE_UNAVAILABLE"
TIMEOUT = "QUERY_TIMEOUT"
OVERLOADED = "OVERLOADED"
LOCK_TIMEOUT = "LOCK_TIMEOUT"
OUTCOME_UNKNOWN = "OUTCOME_UNKNOWN"
BAD_USER_INPUT = "BAD_USER_INPUT"
BAD_REQUEST = "BAD_REQUEST"
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
MESSAGES = {
    INTERNAL: "Internal server error (request id {request_id}).",
    UNAVAILABLE: "The service is temporarily unavailable; retry shortly (request id {request_id}).",
    TIMEOUT: "The query ran longer than the server allows; ask for fewer rows or fields "
    "(request id {request_id}).",
    OVERLOADED: "The server is busy with other requests; retry shortly (request id {request_id}).",
    LOCK_TIMEOUT: "Another change to the same record held it too long; nothing was written, "
    "retry shortly (request id {request_id}).",
    OUTCOME_UNKNOWN: "The database became unreachable while saving; the change may or may not "
    "have been saved. Repeat it with the same idempotencyKey, or read before repeating it "
    "(request id {request_id}).",
}
RETRY_SAFE = {
    UNAVAILABLE: True,
    TIMEOUT: True,
    OVERLOADED: True,
    LOCK_TIMEOUT: True,
    OUTCOME_UNKNOWN: False,
}


def masked_code(error: GraphQLError) -> str | None:
    """None when `error` may be shown as it is, else the code it is masked with."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError | InvalidScalar):
        return None
    if is_commit_outcome_unknown(original):
        return OUTCOME_UNKNOWN
    if is_lock_timeout(original):
        return LOCK_TIMEOUT
    if is_statement_timeout(original):
        return TIMEOUT
    if is_pool_exhausted(original):
        return OVERLOADED
    return UNAVAILABLE if is_database_unavailable(original) else INTERNAL


def error_code(error: GraphQLError) -> str:
    """The code metrics count an error under."""
    code = (error.extensions or {}).get("code")
    if isinstance(code, str):
        return code
    if isinstance(error, GraphQLSyntaxError):
        return PARSE_FAILED
    return VALIDATION_FAILED if error.original_error is None else "UNSPECIFIED"


def typed(error: GraphQLError) -> GraphQLError:
    """`error` with a code when it is the client's and has none.

    graphql-core gives its own errors no code; clients branch on codes, so a document that
    does not parse or validate, or variables that do not fit their types, say so. An error
    met while executing that was not masked is a GraphQLError raised on purpose: without a
    code of its own it is an argument value the field cannot take (an ID that is no ID,
    say) — BAD_USER_INPUT. A server's own failures never arrive here: they are masked.
    """
    message = _clarified(error.message)
    if (error.extensions or {}).get("code") is not None and message == error.message:
        return error
    if (error.extensions or {}).get("code") is not None:
        code = error.extensions["code"]  # type: ignore[index]
    elif error.path is not None:
        code = BAD_USER_INPUT
    else:
        code = PARSE_FAILED if isinstance(error, GraphQLSyntaxError) else VALIDATION_FAILED
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions={**(error.extensions or {}), "code": code},
    )


# strawberry's refusal of an ID argument that is no global ID says only that.
_NOT_A_GLOBAL_ID = re.compile(r'^Value cannot represent a GlobalID: "(?P<value>.*)"\.')


def _clarified(message: str) -> str:
    """A message that says what a good value looks like, where graphql-core's does not."""
    found = _NOT_A_GLOBAL_ID.match(message)
    if found is None:
        return message
    return (
        f'"{found["value"]}" is not a global ID: an ID is the base64 of "Type:key" as every '
        'object\'s `id` field gives it (e.g. "Q3VzdG9tZXI6MQ==" for Customer 1)'
    )


class SingleOperation(SchemaExtension):
    """A document with several operations runs one only when `operationName` names it.

    The GraphQL spec makes a missing name an error there; strawberry would run the first.
    """

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        named = getattr(context, "_provided_operation_name", None)
        if document is not None and named is None:
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if len(operations) > 1:
                raise GraphQLError(
                    "the document holds several operations: name the one to run in `operationName`",
                    extensions={"code": BAD_REQUEST},
                )
        yield


def masked(error: GraphQLError, code: str, request_id: str) -> GraphQLError:
    return GraphQLError(
        MESSAGES[code].format(request_id=request_id),
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={"code": code, "requestId": request_id}
        | ({"retrySafe": RETRY_SAFE[code]} if code in RETRY_SAFE else {}),
    )


def _log(error: GraphQLError, code: str) -> None:
    original = error.original_error
    assert original is not None
    where = ".".join(str(part) for part in error.path or []) or "operation"
    if code == UNAVAILABLE:
        log.warning(
            "database unavailable at %s: %s: %s", where, original.__class__.__name__, original
        )
    elif code == TIMEOUT:
        log.warning("statement timeout at %s", where)
    elif code == OVERLOADED:
        log.warning("no pooled connection free in time at %s", where)
    elif code == LOCK_TIMEOUT:
        log.warning("lock wait timed out at %s", where)
    elif code == OUTCOME_UNKNOWN:
        log.warning("connection lost while committing at %s: %s", where, original)
    else:
        log.error("unexpected error at %s", where, exc_info=original)


def shown(errors: list[GraphQLError], request_id: str) -> list[GraphQLError]:
    """The errors as the client sees them, each counted under its code: the server's own
    failures masked (and logged), the client's typed."""
    stats = current_request.get()
    result: list[GraphQLError] = []
    for error in errors:
        code = masked_code(error)
        if code is not None:
            _log(error, code)
            error = masked(error, code, request_id)
        else:
            error = typed(error)
        if stats is not None:
            stats.error_codes.append(error_code(error))
        result.append(error)
    return result


class ErrorPolicy(SchemaExtension):
    """Masks unexpected errors (see the module docstring) and counts every error's code."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if not errors:
            return
        stats = current_request.get()
        context = self.execution_context.context
        request_id = getattr(context, "request_id", None) or (stats.request_id if stats else "-")
        result.errors = shown(errors, request_id)  # type: ignore[union-attr]
