"""Every place a restricted value can surface, derived from the permission table, per role.

The places come from `domain/core/permissions.py` and the schema, never from the code under
test: each restricted fact's fields (on a node, nested in metrics or replenishment, a root
list), its sorts and filters, every cursor, the error messages next to a denial, and the
payloads of mutations a role may run without reading everything they return. A new field,
sort or mutation exposing a fact is covered the day it is added — or the static checks below
fail until it is declared.
"""

import json
from collections.abc import Callable, Iterator
from typing import Any

import asyncpg
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLNonNull,
    GraphQLObjectType,
    get_named_type,
)
from strawberry.relay import to_base64

from domain.core.access import ROLES
from domain.core.permissions import FACT_FIELDS, FACTS, PERMISSIONS, RESTRICTED_INPUTS
from domain.core.sessions import asyncpg_dsn
from schema.core.permissions import input_readers, may_reveal
from tests.api import test_authorization as matrix
from tests.api import test_read_leaks as leaks

Run = matrix.Run
CORE = matrix.CORE
cast = matrix.cast
run_as = matrix.run_as
figures = leaks.figures


def _object(name: str) -> GraphQLObjectType:
    found = CORE.type_map[name]
    assert isinstance(found, GraphQLObjectType)
    return found


def read_side_fields() -> Iterator[tuple[GraphQLObjectType, str, GraphQLField]]:
    """Every field a query can reach (mutation inputs are writes, not reads)."""
    for name, graphql_type in CORE.type_map.items():
        if (
            isinstance(graphql_type, GraphQLObjectType)
            and not name.startswith("__")
            and graphql_type is not CORE.mutation_type
        ):
            yield from ((graphql_type, f, field) for f, field in graphql_type.fields.items())


def _input_members(input_type: GraphQLInputType, seen: set[str]) -> Iterator[tuple[str, str]]:
    named = get_named_type(input_type)
    if named.name in seen:
        return
    seen.add(named.name)
    if isinstance(named, GraphQLEnumType):
        yield from ((named.name, value) for value in named.values)
    elif isinstance(named, GraphQLInputObjectType):
        for name, field in named.fields.items():
            yield named.name, name
            yield from _input_members(field.type, seen)


def _squashed(name: str) -> str:
    return name.replace("_", "").lower()


def test_every_sort_and_filter_on_a_restricted_field_is_declared() -> None:
    """An argument named after a fact's field (`LIFETIME_REVENUE`, `openBalanceAbove`,
    `paymentStatus: [PAID]`) sorts or filters by that fact: it must be declared with it."""
    seen: set[str] = set()
    members = {
        member
        for _, _, field in read_side_fields()
        for argument in field.args.values()
        for member in _input_members(argument.type, seen)
    }
    facts = {(field, FACTS[fact]) for (t, field), fact in FACT_FIELDS.items() if t != "Query"}
    undeclared = []
    for type_name, member in sorted(members):
        for field, fact in facts:
            if _squashed(field) in _squashed(member):
                # Declared in the table (sorts, flat filters) or derived from it (`where`).
                readers = input_readers(type_name, member)
                if readers is None or not readers <= fact.readers:
                    undeclared.append((type_name, member, fact.label))
    assert undeclared == []
    assert ("CustomerOrderField", "LIFETIME_REVENUE") in RESTRICTED_INPUTS


def test_fields_taking_a_revealing_argument_are_nullable() -> None:
    """A refused sort nulls its own field only (the page), never the parent."""
    revealing = [
        (parent.name, name)
        for parent, name, field in read_side_fields()
        if any(may_reveal(argument.type) for argument in field.args.values())
    ]
    assert ("Query", "customers") in revealing
    for parent, name in revealing:
        assert not isinstance(_object(parent).fields[name].type, GraphQLNonNull), (parent, name)


def _carrier(type_name: str) -> tuple[str, str]:
    """A node type and its field leading to `type_name` (Customer.metrics: CustomerMetrics)."""
    for node in matrix.NODE_TYPES:
        for name, field in _object(node).fields.items():
            if get_named_type(field.type).name == type_name and not field.args:
                return node, name
    raise AssertionError(f"no node type leads to {type_name}")


def _root_of(node: str) -> str | None:
    return next(
        (
            name
            for name, field in CORE.query_type.fields.items()  # type: ignore[union-attr]
            if get_named_type(field.type).name == f"{node}Connection"
            and not any(isinstance(a.type, GraphQLNonNull) for a in field.args.values())
        ),
        None,
    )


def places(type_name: str, field: str) -> list[tuple[str, list[str], list[str]]]:
    """(document, path to the value, guarded types on the way) for every road to a field."""
    if type_name == "Query":
        return [
            (
                f"{{ {field}(first: 3) {{ totalCount edges {{ cursor node {{ id }} }} }} }}",
                [field],
                [],
            )
        ]
    if type_name in matrix.NODE_TYPES:
        node, inner, via = type_name, f"secret: {field}", ["secret"]
    else:
        node, relation = _carrier(type_name)
        inner, via = f"{relation} {{ secret: {field} }}", [relation, "secret"]
    found = [
        (
            f"query($id: ID!) {{ node(id: $id) {{ ... on {node} {{ {inner} }} }} }}",
            ["node", *via],
            [node, type_name],
        )
    ]
    root = _root_of(node)
    if root is not None:
        found.append(
            (
                f"{{ {root}(first: 5) {{ edges {{ cursor node {{ {inner} }} }} }} }}",
                [root, "edges", "node", *via],
                [node, type_name],
            )
        )
    return found


def values_at(data: Any, path: list[str]) -> list[Any]:
    """The values at `path`, through lists (a page's edges); None where a parent is null."""
    if not path:
        return [data]
    if data is None:
        return [None]
    if isinstance(data, list):
        return [value for item in data for value in values_at(item, path)]
    return values_at(data.get(path[0]), path[1:])


def _texts(value: Any) -> set[str]:
    """Recognisable renderings of a value (short numbers could be anything)."""
    if value is None or isinstance(value, bool):
        return set()
    if isinstance(value, (dict, list)):
        return set().union(
            *(_texts(v) for v in (value.values() if isinstance(value, dict) else value))
        )
    text = str(value)
    return {text} if len(text) >= 4 else set()


def _cursors(data: Any) -> list[str]:
    if isinstance(data, dict):
        own = [v for k, v in data.items() if k in ("cursor", "endCursor", "startCursor") and v]
        return own + [c for v in data.values() for c in _cursors(v)]
    if isinstance(data, list):
        return [c for v in data for c in _cursors(v)]
    return []


def _readable(cursor: str) -> str:
    return leaks._readable(cursor)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


RESTRICTED = sorted((key, fact) for key, fact in FACT_FIELDS.items())


@pytest.mark.parametrize(("key", "fact"), RESTRICTED, ids=[".".join(k) for k, _ in RESTRICTED])
async def test_a_restricted_field_on_every_road_for_every_role(
    key: tuple[str, str],
    fact: str,
    run_as: Callable[[str], Run],
    cast: dict[str, Any],
    figures: dict[str, Any],
) -> None:
    type_name, field = key
    readers = FACTS[fact].readers
    shown_to_admin = 0  # the roads must carry a value, or the check below proves nothing
    for document, path, guarded in places(type_name, field):
        node = guarded[0] if guarded else None
        variables = {"id": cast["ids"][node]} if node and "$id" in document else {}
        truth = await run_as("admin")(document, **variables)
        assert truth.errors is None, (key, truth.errors)
        secrets = set().union(*(_texts(v) for v in values_at(truth.data, path)))
        shown_to_admin += sum(v is not None for v in values_at(truth.data, path))
        for role in ROLES:
            result = await run_as(role)(document, **variables)
            may_pass = all(role in PERMISSIONS[t].read for t in guarded if t in PERMISSIONS)
            codes = [(e.extensions or {}).get("code") for e in result.errors or []]
            if may_pass and role in readers:
                assert "FORBIDDEN" not in codes, (role, key, document, result.errors)
                continue
            assert all(v is None for v in values_at(result.data, path)), (role, key, document)
            assert "FORBIDDEN" in codes, (role, key, document)
            messages = " ".join(e.message for e in result.errors or [])
            shown = " ".join(_readable(c) for c in _cursors(result.data))
            leaked = {s for s in secrets if s in messages or s in shown}
            assert leaked == set(), (role, key, leaked)
    assert shown_to_admin > 0, key


def _value_naming(input_type: GraphQLInputType, target: tuple[str, str]) -> Any:
    """A variable value of `input_type` that uses `target` (an enum value or input field)."""
    named = get_named_type(input_type)
    if isinstance(named, GraphQLEnumType):
        return target[1] if named.name == target[0] else next(iter(named.values))
    assert isinstance(named, GraphQLInputObjectType)
    value = {
        name: matrix._sample(field.type)
        for name, field in named.fields.items()
        if isinstance(field.type, GraphQLNonNull) and field.default_value is not None
    }
    for name, field in named.fields.items():
        if (named.name, name) == target:
            value[name] = matrix._sample(field.type)
        elif may_reveal(field.type) and any(
            member == target for member in _input_members(field.type, set())
        ):
            value[name] = _value_naming(field.type, target)
    return value


SORTS = sorted(RESTRICTED_INPUTS)


@pytest.mark.parametrize("target", SORTS, ids=[".".join(t) for t in SORTS])
async def test_a_restricted_sort_or_filter_for_every_role(
    target: tuple[str, str], run_as: Callable[[str], Run], figures: dict[str, Any]
) -> None:
    readers = RESTRICTED_INPUTS[target]
    roads = [
        (name, argument_name, argument)
        for name, field in CORE.query_type.fields.items()  # type: ignore[union-attr]
        for argument_name, argument in field.args.items()
        if any(member == target for member in _input_members(argument.type, set()))
    ]
    assert roads, target
    for name, argument_name, argument in roads:
        node_type = matrix.guarded(get_named_type(CORE.query_type.fields[name].type).name)  # type: ignore[union-attr]
        document = (
            f"query($v: {argument.type}) {{ {name}({argument_name}: $v, first: 3) "
            "{ edges { cursor node { id } } pageInfo { endCursor } } }"
        )
        value = _value_naming(argument.type, target)
        for role in ROLES:
            result = await run_as(role)(document, v=value)
            if node_type is not None and role not in PERMISSIONS[node_type].read:
                continue  # the whole list is closed to them (the matrix checks it)
            if role in readers:
                assert result.errors is None, (role, target, result.errors)
                assert not any(_is_json(_readable(c)) for c in _cursors(result.data))
                continue
            assert result.data == {name: None}, (role, target)
            [error] = result.errors
            assert error.extensions == {"code": "FORBIDDEN", "argument": argument_name}


async def test_no_cursor_of_any_connection_is_readable(
    run_as: Callable[[str], Run], cast: dict[str, Any], figures: dict[str, Any]
) -> None:
    """Root connections and every connection one level below a node, as admin."""
    documents = [
        f"{{ {root}(first: 2) {{ edges {{ cursor }} pageInfo {{ startCursor endCursor }} }} }}"
        for root in matrix.ROOT_CONNECTIONS
    ]
    for node in matrix.NODE_TYPES:
        for name, field in _object(node).fields.items():
            if get_named_type(field.type).name.endswith("Connection"):
                documents.append(
                    f'{{ node(id: "{cast["ids"][node]}") {{ ... on {node} {{ {name}(first: 2) '
                    "{ edges { cursor } pageInfo { endCursor } } } } }"
                )
    seen = 0
    for document in documents:
        result = await run_as("admin")(document)
        assert result.errors is None, (document, result.errors)
        for cursor in _cursors(result.data):
            seen += 1
            assert not _is_json(_readable(cursor)), (document, cursor)
    assert seen > len(matrix.ROOT_CONNECTIONS)


def _reached(type_name: str, depth: int) -> Iterator[tuple[tuple[str, str], list[str]]]:
    """Restricted fields reachable from a payload's object, with the types passed on the way."""
    for name, field in _object(type_name).fields.items():
        if (type_name, name) in FACT_FIELDS:
            yield (type_name, name), [type_name]
        target = get_named_type(field.type)
        if (
            depth > 0
            and isinstance(target, GraphQLObjectType)
            and not target.name.endswith("Connection")
            and not any(isinstance(a.type, GraphQLNonNull) for a in field.args.values())
        ):
            for key, via in _reached(target.name, depth - 1):
                yield key, [type_name, *via]


def payload_exposures() -> set[tuple[str, str]]:
    """(role, fact) for every mutation a role may run whose payload, one relation deep,
    holds a fact the role may not read: each must be shown closed by a real run below."""
    found = set()
    for name in matrix.MUTATIONS:
        payload = get_named_type(CORE.mutation_type.fields[name].type)  # type: ignore[union-attr]
        assert isinstance(payload, GraphQLObjectType)
        entity = get_named_type(next(f for n, f in payload.fields.items() if n != "errors").type)
        for role in ROLES:
            if role == "admin" or role not in PERMISSIONS[entity.name].write:
                continue
            for key, via in _reached(entity.name, 1):
                readable = all(role in PERMISSIONS[t].read for t in via if t in PERMISSIONS)
                if readable and role not in FACTS[FACT_FIELDS[key]].readers:
                    found.add((role, FACT_FIELDS[key]))
    return found


async def _mutation_runs(database_url: str, cast: dict[str, Any], admin: Run) -> list[Any]:
    """(role, selection, input type, input, entity) of mutations that succeed."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        delivery = await connection.fetchval(
            "SELECT min(id) FROM erp.delivery WHERE status = 'in_transit'"
        )
    finally:
        await connection.close()
    customer = to_base64("Customer", cast["customer"])
    version = (await admin("query($id: ID!) { customer(id: $id) { version } }", id=customer)).data
    customer_reads = "creditLimit openBalance metrics { openBalance overdueBalance }"
    # Another customer for finance's change, so the two updates' versions do not collide.
    page = await admin("{ customers(first: 2) { edges { node { id version } } } }")
    other = next(e["node"] for e in page.data["customers"]["edges"] if e["node"]["id"] != customer)
    return [
        (
            "marketing",
            f"customerUpdate(input: $input) {{ customer {{ {customer_reads} "
            "accountManager { salary } } errors { code } }",
            "CustomerUpdateInput",
            {"id": customer, "version": version["customer"]["version"], "industry": "Retail"},
            "customer",
        ),
        (
            "finance",
            "customerUpdate(input: $input) { customer { accountManager { salary } } "
            "errors { code } }",
            "CustomerUpdateInput",
            {"id": other["id"], "version": other["version"], "industry": "Wholesale"},
            "customer",
        ),
        (
            "support",
            "ticketOpen(input: $input) { ticket { customer { creditLimit openBalance } "
            "salesOrder { paymentStatus } assignee { salary } } errors { code } }",
            "TicketOpenInput",
            {
                "customer": customer,
                "subject": "Where is my parcel?",
                "category": "QUESTION",
                "salesOrder": cast["ids"]["SalesOrder"],
                "assignee": cast["ids"]["Employee"],
            },
            "ticket",
        ),
        *(
            (
                role,
                "opportunityCreate(input: $input) { opportunity { owner { salary } "
                "customer { creditLimit openBalance } } errors { code } }",
                "OpportunityCreateInput",
                {"customer": customer, "name": f"Matrix upsell by {role}", "amount": "1200.00"},
                "opportunity",
            )
            for role in ("sales_rep", "sales_manager")
        ),
        (
            "warehouse",
            "apiKeyCreate(input: $input) { apiKey { owner { salary } } errors { code } }",
            "ApiKeyCreateInput",
            {"name": "Matrix", "roles": ["WAREHOUSE"]},
            "apiKey",
        ),
        (
            "warehouse",
            "deliveryMarkFailed(input: $input) { delivery { salesOrder { paymentStatus } } "
            "errors { code } }",
            "DeliveryMarkFailedInput",
            {"id": to_base64("Delivery", delivery), "reason": "Address not found"},
            "delivery",
        ),
    ]


async def test_mutation_payloads_show_no_fact_the_role_may_not_read(
    run_as: Callable[[str], Run], cast: dict[str, Any], database_url: str
) -> None:
    covered = set()
    for role, selection, input_type, value, entity in await _mutation_runs(
        database_url, cast, run_as("admin")
    ):
        name = selection.split("(", 1)[0]
        result = await run_as(role)(
            f"mutation($input: {input_type}!) {{ {selection} }}", input=value
        )
        payload = result.data[name]
        assert payload["errors"] == [], (role, name, payload["errors"])
        assert payload[entity] is not None, (role, name)
        for error in result.errors or []:
            assert (error.extensions or {}).get("code") == "FORBIDDEN", (role, error)
            *parents, leaf = error.path
            owner = _object(get_named_type(CORE.mutation_type.fields[name].type).name)  # type: ignore[union-attr]
            for step in parents[1:]:
                owner = _object(get_named_type(owner.fields[step].type).name)
            fact = FACT_FIELDS.get((owner.name, leaf))
            assert fact is not None and role not in FACTS[fact].readers, (role, error.path)
            assert values_at(result.data, list(error.path)) == [None]
            covered.add((role, fact))
    assert payload_exposures() <= covered
