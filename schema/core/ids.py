"""Global IDs: the database key a Relay ID names, decoded once for every argument and input.

Arguments of queries (`filter: {customer: …}`) get a GraphQL error naming the argument;
inputs of mutations get a payload error naming the input field, like every other rule a
mutation checks.
"""

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.relay import GlobalID, GlobalIDValueError

from domain.core.errors import DomainError

BIGINT_MAX = 2**63 - 1
_MAX_KEY_DIGITS = len(str(BIGINT_MAX))


def parse_key(node_id: str) -> int | None:
    """The database key a node ID's key part names, or None when it cannot name one.

    Only ASCII digits, as we issue them: Python's `int()` also takes signs, spaces, `_` and
    non-ASCII digits, and keys past bigint reach the driver, which fails on them (a 500).
    """
    if not (node_id.isascii() and node_id.isdigit()) or len(node_id) > _MAX_KEY_DIGITS:
        return None
    key = int(node_id)
    return key if key <= BIGINT_MAX else None


def as_key(node_id: str) -> int:
    """The database key of a node ID's key part; -1 (no such row) for anything else."""
    key = parse_key(node_id)
    return -1 if key is None else key


def any_node(value: relay.GlobalID | str, field: str) -> tuple[str, int]:
    """The type name and database key of a global ID of any type, or a clear error."""
    try:
        global_id = value if isinstance(value, GlobalID) else GlobalID.from_id(value)
    except GlobalIDValueError:
        global_id = None
    key = parse_key(global_id.node_id) if global_id is not None else None
    if global_id is None or key is None:
        raise GraphQLError(
            f"`{field}` is not a valid ID", extensions={"code": "BAD_USER_INPUT", "argument": field}
        )
    return global_id.type_name, key


def decode_id(value: relay.GlobalID | None, type_name: str, field: str) -> int | None:
    """The database key of a global ID of `type_name`, or a clear error naming the field."""
    if value is None:
        return None
    if value.type_name != type_name:
        raise GraphQLError(
            f"`{field}` must be a {type_name} ID, got a {value.type_name} ID",
            extensions={"code": "BAD_USER_INPUT", "argument": field},
        )
    key = parse_key(value.node_id)
    if key is None:
        raise GraphQLError(
            f"`{field}` is not a valid ID", extensions={"code": "BAD_USER_INPUT", "argument": field}
        )
    return key


def decode(value: strawberry.ID | None, type_name: str, field: str) -> int:
    """The key of a global ID of `type_name` in a mutation input; a payload error on `field`."""
    if value is None:
        raise DomainError("VALIDATION", "is required", field)
    try:
        global_id = GlobalID.from_id(value)
    except GlobalIDValueError as error:
        raise DomainError("VALIDATION", "is not a valid ID", field) from error
    key = parse_key(global_id.node_id)
    if key is None:
        raise DomainError("VALIDATION", "is not a valid ID", field)
    if global_id.type_name != type_name:
        raise DomainError(
            "NOT_FOUND", f"must be a {type_name} ID, got a {global_id.type_name} ID", field
        )
    return key


def decode_optional(value: strawberry.ID | None, type_name: str, field: str) -> int | None:
    return None if value is None else decode(value, type_name, field)
