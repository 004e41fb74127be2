"""What every mutation shares: payload errors, ID decoding, and one transaction per call.

A mutation resolver only translates its input into a domain call; `run` does the rest:
permission check (of the type and of every restricted field the input names), idempotency,
the domain service, audit and outbox rows, commit — or, on any expected failure, a rollback
and typed payload errors.
"""

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any

import strawberry
from asyncpg.exceptions import UniqueViolationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.relay import GlobalID, GlobalIDValueError
from strawberry.types import Info
from strawberry.types.base import get_object_definition

from domain.core import idempotency
from domain.core.errors import ERROR_CODES, DomainError, Rejected
from domain.core.journal import Journal
from domain.core.permissions import ensure_can_write
from schema.base import TableNode, parse_key
from schema.enums import vocabulary_enum
from schema.relations import ESTIMATED_ITEMS

Work = Callable[[AsyncSession, Journal], Awaitable[Any]]

MutationErrorCode = vocabulary_enum(
    "MutationErrorCode",
    tuple(code.lower() for code in ERROR_CODES),
    "Why a mutation was refused. Codes are stable: clients may branch on them.",
)


@strawberry.type(description="A reason a mutation was refused; nothing was written.")
class MutationError:
    field: str | None = strawberry.field(
        description="The input field at fault as a path (e.g. `lines.2.quantity`), if any."
    )
    message: str = strawberry.field(description="What is wrong, for people.")
    code: MutationErrorCode = strawberry.field(description="What is wrong, for programs.")

    @classmethod
    def of(cls, error: DomainError) -> "MutationError":
        return cls(
            field=error.field, message=error.message, code=MutationErrorCode(error.code.lower())
        )


def payload(name: str, entity: str, node: type[TableNode], description: str) -> Any:
    """A payload type `<name> { <entity>: Node, errors: [MutationError!]! }`."""
    namespace = {
        "__annotations__": {entity: node | None, "errors": list[MutationError]},
        entity: strawberry.field(
            default=None, description=f"The {node.__name__} after the change; null on errors."
        ),
        "errors": strawberry.field(
            default_factory=list,
            description="Why nothing was changed; empty on success.",
            metadata={ESTIMATED_ITEMS: 5},
        ),
        "ENTITY": entity,
        "NODE": node,
        # `salesOrderPlace` for `SalesOrderPlacePayload`: scopes idempotency keys.
        "OPERATION": name[0].lower() + name[1:].removesuffix("Payload"),
    }
    return strawberry.type(type(name, (), namespace), description=description)


def decode(value: strawberry.ID | None, type_name: str, field: str) -> int:
    """The key of a global ID of `type_name`; a payload error on `field` otherwise."""
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


def given(input_object: object, *names: str) -> dict[str, Any]:
    """The fields a client actually sent (UNSET ones are left out: they keep their value)."""
    return {
        name: getattr(input_object, name)
        for name in names
        if getattr(input_object, name) is not strawberry.UNSET
    }


def enum_value(value: Enum | None) -> Any:
    return None if value is None or value is strawberry.UNSET else value.value


def named_fields(info: Info, input_object: object) -> list[str]:
    """The GraphQL names of the input's fields the client set, null included.

    A field defaulting to UNSET is absent unless sent; one with a real default always counts
    as set, so an input must not give a restricted field a default.
    """
    definition = get_object_definition(input_object, strict=True)
    converter = info.schema.config.name_converter
    return [
        converter.get_graphql_name(field)
        for field in definition.fields
        if getattr(input_object, field.python_name) is not strawberry.UNSET
    ]


async def run(
    info: Info,
    payload_type: Any,
    work: Work,
    *,
    input: object,
    writes: str | None = None,
    idempotency_key: str | None = None,
) -> Any:
    """Run `work` in one transaction and build the payload (see the module docstring).

    `input` is the mutation's input: the permission table checks each field it names (as a
    field of the written type), and an idempotency key binds its fingerprint. `writes` names
    the type the viewer must be allowed to change (default: the payload's node type).
    """
    context = info.context
    journal = Journal(actor=context.viewer, request_id=context.request_id)
    operation = payload_type.OPERATION
    try:
        async with context.sessions() as session, session.begin():
            ensure_can_write(
                context.viewer, writes or payload_type.NODE.__name__, named_fields(info, input)
            )
            principal = context.viewer.principal
            entity_id = await _replayed(session, principal, operation, idempotency_key, input)
            if entity_id is None:
                entity_id = (await work(session, journal)).id
                await journal.write(session)
                if idempotency_key is not None:
                    await idempotency.remember(
                        session,
                        principal=principal,
                        operation=operation,
                        key=idempotency_key,
                        result={"id": entity_id},
                    )
    except DomainError as error:
        return payload_type(errors=[MutationError.of(error)])
    except Rejected as rejected:
        return payload_type(errors=[MutationError.of(error) for error in rejected.errors])
    except IntegrityError as error:
        # Our checks run first; a unique violation here means a concurrent request won a race.
        if isinstance(error.orig, Exception) and isinstance(
            error.orig.__cause__, UniqueViolationError
        ):
            duplicate = DomainError("DUPLICATE", "a concurrent change created the same record")
            return payload_type(errors=[MutationError.of(duplicate)])
        raise
    # Read back as any client would see it (through the loaders and the viewer's rules).
    [node] = await payload_type.NODE.resolve_nodes(info=info, node_ids=[str(entity_id)])
    return payload_type(**{payload_type.ENTITY: node})


async def _replayed(
    session: AsyncSession, principal: str, operation: str, key: str | None, request: object
) -> int | None:
    if key is None:
        return None
    fingerprint = idempotency.request_hash(strawberry.asdict(request))
    stored = await idempotency.claim(
        session, principal=principal, operation=operation, key=key, fingerprint=fingerprint
    )
    return None if stored is None else int(stored["id"])


INPUT = strawberry.argument(description="The operation's input; see its type for each field.")
