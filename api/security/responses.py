"""Refusals shaped as GraphQL responses, so clients handle them like any other error."""

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import Response


def graphql_error(
    status: int,
    code: str,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> Response:
    """An HTTP response whose body is a GraphQL error with `extensions.code`."""
    body = {
        "data": None,
        "errors": [{"message": message, "extensions": {"code": code, **extensions}}],
    }
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )
