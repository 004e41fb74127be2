"""The executor's shortcuts only skip work: extensions still run, and a schema extension whose
`resolve()` hook they would skip is refused while they are on."""

from collections.abc import Callable
from typing import Any

import pytest
import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.permission import BasePermission

from schema.build import ShortcutConflict, build_schema
from schema.core import sql
from schema.core.execution import ShortcutExecutionContext, install_prefetched_resolvers
from schema.core.nodes import FromRow
from schema.core.relations import Computed, bind_relations

# Never read from the database: the test stores the values as the prefetch would.
VALUES = sql.row_per_key("thing_values", lambda keys: None, key="id")
SECRET: Computed[int | None] = Computed(VALUES, "secret", None)
LEVEL: Computed[int | None] = Computed(VALUES, "level", None)


class Nobody(BasePermission):
    message = "not for you"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return False


@strawberry.type
class Thing(FromRow):
    name: str
    secret: int | None = SECRET.field("A secret.", permission_classes=[Nobody])
    level: int | None = LEVEL.field("A level.")


@strawberry.type
class Query:
    @strawberry.field
    def thing(self) -> Thing:
        thing = Thing.from_row({"name": "box"})
        thing.remember(SECRET, 42)  # as if prefetched
        thing.remember(LEVEL, 42)
        return thing


async def test_a_prefetched_field_with_a_permission_still_checks_it() -> None:
    schema = strawberry.Schema(query=Query, execution_context_class=ShortcutExecutionContext)
    bind_relations(schema._schema)
    install_prefetched_resolvers(schema._schema)
    result = await schema.execute("{ thing { name level secret } }")
    assert result.data == {"thing": {"name": "box", "level": 42, "secret": None}}
    assert [error.message for error in result.errors or []] == ["not for you"]


class CountsResolutions(SchemaExtension):
    """A schema extension hooking every field's resolution."""

    seen: list[str]

    def resolve(
        self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any
    ) -> Any:
        CountsResolutions.seen.append(info.field_name)
        return _next(root, info, *args, **kwargs)


def test_a_resolve_hook_is_refused_while_the_shortcuts_are_on() -> None:
    with pytest.raises(ShortcutConflict, match="CountsResolutions"):
        build_schema(extensions=[CountsResolutions])
    with pytest.raises(ShortcutConflict, match="CountsResolutions"):
        build_schema(extensions=[lambda: CountsResolutions()])


async def test_without_the_shortcuts_a_resolve_hook_sees_every_field() -> None:
    CountsResolutions.seen = []
    schema = build_schema(extensions=[CountsResolutions], shortcuts=False)
    # No viewer, so no roles: the guarded fields are refused, the rest still resolve.
    result = await schema.execute('{ __typename node(id: "Q3VzdG9tZXI6MQ==") { id } }')
    assert CountsResolutions.seen == ["__typename", "node"]
    assert result.errors is not None
    assert [error.extensions for error in result.errors] == [{"code": "FORBIDDEN"}]
