"""Archived records are left out of lists — root lists, nested lists and pages — on every read
path alike (the `graphql` fixture compares compiled and general answers), and listed again
with `includeArchived`."""

from typing import Any

import pytest

from tests.api.conftest import GraphQL

LISTS = """query($all: Boolean) {
  customers(first: 100, filter: {includeArchived: $all}) {
    totalCount edges { node { id archivedAt } } }
  stockItems(first: 100, filter: {includeArchived: $all}) { totalCount }
  suppliers(first: 100) { edges { node { id stockItems { id } } } }
}"""
CUSTOMER = """query($id: ID!) { customer(id: $id) { id archivedAt contacts { id } } }"""


async def _archive(graphql: GraphQL, kind: str, node: dict[str, Any]) -> dict[str, Any]:
    operation = f"{kind}Archive"
    result = await graphql(
        f"""mutation($id: ID!, $v: Int!) {{ {operation}(input: {{id: $id, version: $v}}) {{
          errors {{ code }} }} }}""",
        {"id": node["id"], "v": node["version"]},
    )
    assert result["data"][operation]["errors"] == [], result
    return result


@pytest.mark.usefixtures("demo")
async def test_archived_records_leave_every_list(graphql: GraphQL) -> None:
    before = (await graphql(LISTS))["data"]
    first = (
        await graphql(
            "{ customers(first: 1) { edges { node { id version contacts { id version } } } } }"
        )
    )["data"]["customers"]["edges"][0]["node"]
    item = (
        await graphql("{ stockItems(first: 1) { edges { node { id version supplier { id } } } } }")
    )["data"]["stockItems"]["edges"][0]["node"]
    await _archive(graphql, "customer", first)
    await _archive(graphql, "stockItem", item)
    if first["contacts"]:
        await _archive(graphql, "contact", first["contacts"][0])

    after = (await graphql(LISTS))["data"]
    listed = [edge["node"]["id"] for edge in after["customers"]["edges"]]
    assert first["id"] not in listed
    assert after["customers"]["totalCount"] == before["customers"]["totalCount"] - 1
    assert after["stockItems"]["totalCount"] == before["stockItems"]["totalCount"] - 1
    supplied = {
        stocked["id"]
        for edge in after["suppliers"]["edges"]
        for stocked in edge["node"]["stockItems"]
    }
    assert item["id"] not in supplied

    everything = (await graphql(LISTS, {"all": True}))["data"]
    assert everything["customers"]["totalCount"] == before["customers"]["totalCount"]
    [archived] = [
        edge["node"]
        for edge in everything["customers"]["edges"]
        if edge["node"]["id"] == first["id"]
    ]
    assert archived["archivedAt"] is not None

    # By its ID it is still there, with what is left of its contacts.
    customer = (await graphql(CUSTOMER, {"id": first["id"]}))["data"]["customer"]
    assert customer["archivedAt"] == archived["archivedAt"]
    assert len(customer["contacts"]) == max(len(first["contacts"]) - 1, 0)
