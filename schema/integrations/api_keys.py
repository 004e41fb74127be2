"""API keys through the API: make one (its secret shown once), list them, revoke one.

Everyone may make keys for themselves with some of their own roles; admins see and revoke
everyone's (`domain.integrations.api_keys`, `domain.core.access.OWNED_BY_EMPLOYEE`).
"""

from datetime import UTC, datetime
from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from domain.core.access import ROLES
from domain.core.journal import Journal
from domain.core.ops import ApiKey as ApiKeyModel
from domain.core.sessions import Session
from domain.integrations import api_keys
from schema.core.connections import by_date, root_connection
from schema.core.enums import vocabulary_enum
from schema.core.ids import decode
from schema.core.mutations import (
    INPUT,
    MutationError,
    enum_value,
    mutation,
    run_mutation_showing,
)
from schema.core.nodes import TableNode, desc
from schema.core.relations import ESTIMATED_ITEMS, ToOne
from schema.erp.employees import Employee

Role = vocabulary_enum("Role", ROLES, "A role an employee's token or an API key grants.")
ApiKeyStatus = vocabulary_enum(
    "ApiKeyStatus", ("active", "revoked", "expired"), "Whether a key still opens the API."
)


@strawberry.type(
    description="A credential for a machine client (`Authorization: Bearer bzk_…`): it acts "
    "as its owner, with the roles it was given."
)
class ApiKey(TableNode):
    MODEL = ApiKeyModel
    id: relay.NodeID[int]
    name: str = desc("What the key is for.")
    prefix: str = desc("The key's first characters, to tell keys apart (the rest is secret).")
    read_only: bool = desc("The key may read, and change nothing.")
    rate_limit_per_minute: int | None = desc(
        "Requests a minute the key may make; null: the API's general limit."
    )
    expires_at: datetime | None = desc("When it stops working; null: never.")
    created_at: datetime = desc("When it was made.")
    revoked_at: datetime | None = desc("When it was revoked; null while it is not.")
    last_used_at: datetime | None = desc("When it was last used (to the minute); null: never.")

    owner: Employee | None = ToOne[Employee]("owner_id").field(
        "Who made it: requests with it act as this employee."
    )

    @strawberry.field(description="The roles it grants.", metadata={ESTIMATED_ITEMS: 8})
    def roles(self) -> list[Role]:
        return [Role(role) for role in self.__dict__["roles"]]

    @strawberry.field(description="Whether it opens the API now.")
    def status(self) -> ApiKeyStatus:
        if self.__dict__["revoked_at"] is not None:
            return ApiKeyStatus("revoked")
        expires = self.__dict__["expires_at"]
        if expires is not None and expires <= datetime.now(UTC):
            return ApiKeyStatus("expired")
        return ApiKeyStatus("active")


@strawberry.type
class ApiKeyQueries:
    api_keys = root_connection(
        ApiKey,
        description="API keys, newest first: your own; an admin's, everyone's.",
        sort=by_date("created_at"),
    )


@strawberry.input(description="A new API key for yourself.")
class ApiKeyCreateInput:
    name: str = strawberry.field(description="What it is for (at most 100 characters).")
    roles: list[Role] = strawberry.field(
        description="The roles it grants: some of your own, never more."
    )
    read_only: bool = strawberry.field(default=False, description="It may change nothing.")
    expires_at: datetime | None = strawberry.field(
        default=None, description="When it stops working; null: never (revoke it by hand)."
    )
    rate_limit_per_minute: int | None = strawberry.field(
        default=None, description="Its own limit of requests a minute; null: the general one."
    )


@strawberry.type(description="Result of apiKeyCreate.")
class ApiKeyCreatePayload:
    api_key: ApiKey | None = strawberry.field(
        default=None, description="The key made; null on errors."
    )
    secret: str | None = strawberry.field(
        default=None,
        description="The key itself, shown this once: only its hash is kept. Send it as "
        "`Authorization: Bearer <secret>`.",
    )
    errors: list[MutationError] = strawberry.field(
        default_factory=list,
        description="Why nothing was made; empty on success.",
        metadata={ESTIMATED_ITEMS: 5},
    )


@strawberry.input(description="A key to revoke.")
class ApiKeyRevokeInput:
    id: strawberry.ID = strawberry.field(description="The key: yours, or anyone's for an admin.")


@strawberry.type
class ApiKeyMutations:
    @strawberry.mutation(
        description="Make an API key for a machine client, acting as you with some of your "
        "roles. The secret is in the payload, once; store it where the client reads it."
    )
    async def api_key_create(
        self, info: Info, input: Annotated[ApiKeyCreateInput, INPUT]
    ) -> ApiKeyCreatePayload:
        secret: list[str] = []

        async def make(input: ApiKeyCreateInput, session: Session, journal: Journal) -> Any:
            issued = await api_keys.create(
                session=session,
                journal=journal,
                name=input.name,
                roles=[enum_value(role) for role in input.roles],
                read_only=input.read_only,
                expires_at=input.expires_at,
                rate_limit_per_minute=input.rate_limit_per_minute,
            )
            secret.append(issued.secret)
            return issued.key

        return await run_mutation_showing(
            info,
            input,
            make,
            node=ApiKey,
            payload=ApiKeyCreatePayload,
            entity="api_key",
            writes="ApiKey",
            shown={"secret": secret},
        )

    api_key_revoke = mutation(
        ApiKeyRevokeInput,
        ApiKey,
        "Revoke an API key: requests with it are refused from then on (within seconds in "
        "every API process).",
        lambda input, session, journal: api_keys.revoke(
            session=session, journal=journal, key_id=decode(input.id, "ApiKey", "id")
        ),
    )
