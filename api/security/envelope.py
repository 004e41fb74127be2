"""The JSON around a GraphQL operation: what `query`, `variables` and friends must be.

strawberry reads request bodies with the standard `json` module and trusts their shape: a
body of `null` or `5` failed with an AttributeError (HTTP 500), `Infinity` and lone
surrogates (`"\\ud800"`) went through to the database driver, and a deeply nested
`variables` value ran the decoder into a RecursionError. Here every body (and the
`variables`/`extensions` of a GET) is decoded once with orjson, which accepts strict JSON in
valid UTF-8 only (no NaN or Infinity, no number beyond a double, no lone surrogates, at
most 1,024 levels), and its shape is checked; the view decodes with the same function, so
what passes here is exactly what the view reads.
"""

from typing import Any

import orjson

# Inputs of this schema nest a few levels (an order's lines are input → list → object);
# anything far deeper is an attack on the decoder or the validator, not a request.
MAX_JSON_DEPTH = 32
_OPTIONAL_TEXT = ("query", "operationName")
_OPTIONAL_OBJECTS = ("variables", "extensions")


class MalformedRequest(ValueError):
    """A request whose JSON cannot be a GraphQL operation; the message says why."""


def decode(data: str | bytes) -> Any:
    """Strict JSON: valid UTF-8, no NaN/Infinity, no lone surrogates, bounded nesting."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise MalformedRequest(f"the request is not valid JSON: {error}") from error


def check_operation(document: object, where: str = "the request body") -> None:
    """Refuse anything but `{"query": str?, "operationName": str?, "variables": {}?, …}`."""
    if not isinstance(document, dict):
        raise MalformedRequest(f"{where} must be a JSON object with a `query`")
    for name in _OPTIONAL_TEXT:
        if not isinstance(document.get(name), str | None):
            raise MalformedRequest(f"`{name}` must be a string")
    for name in _OPTIONAL_OBJECTS:
        check_object(document.get(name), name)


def check_object(value: object, name: str) -> None:
    """`variables` and `extensions`: absent, null, or an object nested at most MAX_JSON_DEPTH."""
    if value is None:
        return
    if not isinstance(value, dict):
        raise MalformedRequest(f"`{name}` must be a JSON object")
    if depth(value) > MAX_JSON_DEPTH:
        raise MalformedRequest(f"`{name}` is nested more than {MAX_JSON_DEPTH} levels deep")


def depth(value: object) -> int:
    """Levels of arrays and objects in `value`; iterative, so no input can exhaust the stack."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_JSON_DEPTH:
            return deepest  # deep enough to refuse: no need to walk the rest
        stack.extend((child, level + 1) for child in children)
    return deepest
