"""The executor's shortcuts never skip what a field's extensions (permissions) must do."""

from typing import Any

import strawberry
from strawberry.permission import BasePermission

from schema import relations as r
from schema.base import FromRow
from schema.execution import ExecutionContext, install_prefetched_resolvers

SECRET = r.derived("Thing.secret", lambda loaders, ids: None)  # type: ignore[arg-type, return-value]
LEVEL = SECRET.picking(lambda value: value)


class Nobody(BasePermission):
    message = "not for you"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return False


@strawberry.type
class Thing(FromRow):
    RELATIONS = {"secret": SECRET, "level": LEVEL}
    name: str

    @strawberry.field(permission_classes=[Nobody])
    def secret(self, info: strawberry.Info) -> int | None:
        return r.related(self, info, SECRET)  # type: ignore[no-any-return]

    @strawberry.field
    def level(self, info: strawberry.Info) -> int | None:
        return r.related(self, info, LEVEL)  # type: ignore[no-any-return]


@strawberry.type
class Query:
    @strawberry.field
    def thing(self) -> Thing:
        thing = Thing.from_row({"name": "box"})  # type: ignore[arg-type]
        r.store(thing, SECRET.name, 42)  # as if prefetched
        return thing


async def test_a_prefetched_field_with_a_permission_still_checks_it() -> None:
    schema = strawberry.Schema(query=Query, execution_context_class=ExecutionContext)
    install_prefetched_resolvers(schema._schema)
    result = await schema.execute("{ thing { name level secret } }")
    assert result.data == {"thing": {"name": "box", "level": 42, "secret": None}}
    assert [error.message for error in result.errors or []] == ["not for you"]
