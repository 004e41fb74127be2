"""Normalized client caches (Apollo, Relay, urql) merge objects by `__typename` and `id`:
every object a client caches below a record has an id, unique across the graph, on both
read paths. (tests/clients runs Apollo Client itself over these.)"""

import pytest
from graphql import GraphQLObjectType, get_named_type
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.relay import from_base64

from domain.analytics import recompute
from schema.build import build_schema
from tests.api.conftest import DEMO_TODAY, GraphQL

# Objects below a record that keep no id, and why a cache may hold them as values.
VALUES = {
    "CustomerStatement": "an answer for the period its arguments ask for",
    "AuditChange": "part of an audit entry, which never changes",
}
PLUMBING = ("Connection", "Edge", "Payload")


def test_every_object_below_a_record_has_an_id() -> None:
    schema = build_schema()._schema
    without: dict[str, str] = {}
    for name, graphql_type in schema.type_map.items():
        if not isinstance(graphql_type, GraphQLObjectType) or "id" not in graphql_type.fields:
            continue
        for field_name, field in graphql_type.fields.items():
            target = get_named_type(field.type)
            if (
                isinstance(target, GraphQLObjectType)
                and "id" not in target.fields
                and not target.name.endswith(PLUMBING)
                and target.name != "PageInfo"
            ):
                without[target.name] = f"{name}.{field_name}"
    assert set(without) == set(VALUES), without


FIGURES = """{
  customers(first: 30) { edges { node {
    id metrics { id } forecast { id } campaigns { performance { id } }
  } } }
  stockItems(first: 30) { edges { node {
    id replenishment { id } stockLevels { id replenishment { id } }
  } } }
  segments(first: 5) { edges { node { id figures { id } } } }
}"""


@pytest.mark.usefixtures("demo")
async def test_figures_are_identified_by_what_they_are_about(
    graphql: GraphQL, engine: AsyncEngine
) -> None:
    for step in ("metrics", "customers", "campaigns", "demand"):
        await recompute.run_step(engine, step, as_of=DEMO_TODAY)
    result = await graphql(FIGURES)
    assert "errors" not in result, result["errors"]
    data = result["data"]
    seen: list[str] = []
    for edge in data["customers"]["edges"]:
        customer = edge["node"]
        key = from_base64(customer["id"])[1]
        for part, type_name in (("metrics", "CustomerMetrics"), ("forecast", "CustomerForecast")):
            if customer[part] is not None:
                assert from_base64(customer[part]["id"]) == (type_name, key)
                seen.append(customer[part]["id"])
    items = [edge["node"] for edge in data["stockItems"]["edges"]]
    replenishments = [item["replenishment"] for item in items if item["replenishment"]]
    replenishments += [
        level["replenishment"]
        for item in items
        for level in item["stockLevels"]
        if level["replenishment"]
    ]
    # An item's suggestion and a warehouse's part of it are different objects.
    kinds = {from_base64(r["id"])[1].split(":")[0] for r in replenishments}
    assert kinds == {"item", "level"}
    seen += [r["id"] for r in replenishments]
    seen += [level["id"] for item in items for level in item["stockLevels"]]
    for edge in data["segments"]["edges"]:
        segment = edge["node"]
        assert from_base64(segment["figures"]["id"]) == (
            "SegmentFigures",
            from_base64(segment["id"])[1],
        )
    assert seen and len(seen) == len(set(seen)), "an id names two objects"
