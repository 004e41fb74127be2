"""The mutation the fault tests place orders with: the real `salesOrderPlace` over the API."""

import httpx
from strawberry.relay import to_base64

PLACE = """mutation($input: SalesOrderPlaceInput!) {
  salesOrderPlace(input: $input) { salesOrder { number } errors { code message } } }"""


async def place_order(client: httpx.AsyncClient, customer_id: int, stock_item_id: int) -> str:
    """Place a one-unit order through GraphQL; returns its number (the change and its outbox
    event commit together, which is all the fault tests rely on)."""
    order = {
        "customer": to_base64("Customer", customer_id),
        "lines": [{"stockItem": to_base64("StockItem", stock_item_id), "quantity": 1}],
    }
    response = await client.post("/graphql", json={"query": PLACE, "variables": {"input": order}})
    payload = response.json()["data"]["salesOrderPlace"]
    assert payload["errors"] == [], payload["errors"]
    return str(payload["salesOrder"]["number"])
