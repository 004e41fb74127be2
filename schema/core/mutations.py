"""What every mutation shares, in one helper: `mutation` makes the field, its payload and its run.

A mutation is declared by its input type, the node it returns and the domain call it makes:

    customer_create = mutation(
        CustomerCreateInput, Customer, "Register a customer or lead.",
        lambda input, session, journal: customers.create(...),
    )

`mutation` names the operation and its payload after the input (`CustomerCreateInput` →
`customerCreate` → `CustomerCreatePayload { customer errors }`) and runs the call through
`domain.core.operations.perform`: permission check (of the type and of every restricted
field the input names), idempotency when the input carries an `idempotencyKey`, the
service, audit and outbox rows, commit — or, on any expected failure, a rollback and typed
payload errors. The payload's node is read back as any client would see it (the viewer's
record rules, its row values) inside the transaction, so a committed change is never reported
as failed; what the payload selects below the node is read after the commit, with everything
this request loaded before it forgotten.
"""

import inspect
from collections.abc import Awaitable, Callable, Mapping
from enum import Enum
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry.types import Info
from strawberry.types.base import get_object_definition

from domain.core.errors import ERROR_CODES, DomainError, Rejected
from domain.core.journal import Journal
from domain.core.operations import Identified, perform
from domain.core.sessions import Session
from schema.core.enums import vocabulary_enum
from schema.core.nodes import TableNode
from schema.core.relations import ESTIMATED_ITEMS

I = TypeVar("I")  # noqa: E741 - the input type of a mutation

# The domain call of a mutation: its input, the transaction's session and journal.
Call = Callable[[I, Session, Journal], Awaitable[Identified]]

MutationErrorCode = vocabulary_enum(
    "MutationErrorCode",
    tuple(code.lower() for code in ERROR_CODES),
    "Why a mutation was refused. Codes are stable: clients may branch on them.",
)

INPUT = strawberry.argument(description="The operation's input; see its type for each field.")


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


def _lower_first(name: str) -> str:
    return name[0].lower() + name[1:]


def payload_type(operation: str, node: type[TableNode], entity: str) -> Any:
    """The payload type `<Operation>Payload { <entity>: Node, errors: [MutationError!]! }`."""
    name = operation[0].upper() + operation[1:] + "Payload"
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
    }
    return strawberry.type(type(name, (), namespace), description=f"Result of {operation}.")


def mutation(
    input_type: type[I],
    node: type[TableNode],
    description: str,
    call: Call[I],
    *,
    entity: str | None = None,
    writes: str | None = None,
) -> Any:
    """The mutation field taking one `input` of `input_type` and returning `node`'s payload.

    `entity` names the payload's node field (default: the node type's name, `salesOrder`);
    `writes` the type the viewer must be allowed to change (default: the node type).
    """
    operation = operation_name(input_type)
    entity = entity or _lower_first(node.__name__)
    payload = payload_type(operation, node, entity)

    async def resolve(info: Info, input: Any) -> Any:
        key = getattr(input, "idempotency_key", None)
        return await run_mutation(
            info,
            input,
            call,
            node=node,
            payload=payload,
            entity=entity,
            writes=writes or node.__name__,
            request=strawberry.asdict(input) if key is not None else None,
        )

    resolve.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("info", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Info),
            inspect.Parameter(
                "input", inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[input_type, INPUT]
            ),
        ],
        return_annotation=payload,
    )
    return strawberry.mutation(resolver=resolve, description=description)


def operation_name(input_type: type) -> str:
    """The mutation an input type is for (`CustomerCreateInput` → `customerCreate`)."""
    return _lower_first(input_type.__name__.removesuffix("Input"))


async def run_mutation(
    info: Info,
    input: I,
    call: Call[I],
    *,
    node: type[TableNode],
    payload: Any,
    entity: str,
    writes: str,
    request: Mapping[str, Any] | None,
) -> Any:
    """Run `call` through `perform` and answer with `payload`: what every mutation field does
    (`mutation`'s, and a hand-written resolver's that needs more than its input).

    `request` is what an idempotency key's repeat must match (None without a key).
    """
    context = info.context
    loaders = context.loaders
    operation = operation_name(type(input))

    async def read_back(session: Session, entity_id: int) -> Any:
        return await loaders.read_in(session, node, entity_id)

    try:
        performed = await perform(
            lambda session, journal: call(input, session, journal),
            sessions=context.sessions,
            viewer=context.viewer,
            request_id=context.request_id,
            operation=operation,
            writes=writes,
            fields=named_fields(info, input),
            read_back=read_back,
            idempotency_key=getattr(input, "idempotency_key", None),
            request=request,
        )
    except DomainError as error:
        return payload(errors=[MutationError.of(error)])
    except Rejected as rejected:
        return payload(errors=[MutationError.of(error) for error in rejected.errors])
    loaders.forget()
    row = performed.read
    if row is not None:
        loaders.by_id(node).prime(performed.entity_id, row)
    return payload(**{entity: None if row is None else node.from_row(row)})


async def run_mutation_showing(
    info: Info,
    input: I,
    call: Call[I],
    *,
    node: type[TableNode],
    payload: Any,
    entity: str,
    writes: str,
    shown: Mapping[str, list[Any]],
) -> Any:
    """`run_mutation` for a payload that also shows what the call made and nothing keeps (a
    secret, shown once): the call appends each such value to its `shown` list, and the
    payload's field of that name gets it on success. No retry key: a repeat could not show
    it again."""
    result = await run_mutation(
        info, input, call, node=node, payload=payload, entity=entity, writes=writes, request=None
    )
    if not result.errors:
        for name, values in shown.items():
            setattr(result, name, values[0] if values else None)
    return result


def retry_key(repeat: str) -> Any:
    """The `idempotencyKey` field of an input whose operation must not happen twice."""
    return strawberry.field(
        default=None,
        description="Retry key, yours alone: the same key with the same input returns the "
        f"first result without {repeat}. Send one whenever you may retry (a lost answer, "
        "a time-out).",
    )


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
