"""Quotes: priced as an order would be, sent, accepted into an order (or declined, or left to
expire), by the sales team for its own customers."""

from typing import Any

import asyncpg

from tests.mutations.conftest import Execute, World, row_counts
from tests.mutations.operations import (
    CUSTOMER_CREATE,
    ERRORS,
    create_customer,
    create_item,
    place,
)

QUOTE = """id number status currency subtotal discountTotal taxTotal total validUntil version
  lines { lineNo quantity listPrice discountPercent unitPrice lineTotal taxAmount }"""
CREATE = f"""mutation($input: QuoteCreateInput!) {{ quoteCreate(input: $input) {{
  quote {{ {QUOTE} }} {ERRORS} }} }}"""
SEND = f"""mutation($id: ID!) {{ quoteSend(input: {{id: $id}}) {{
  quote {{ status sentAt version }} {ERRORS} }} }}"""
ACCEPT = f"""mutation($id: ID!) {{ quoteAccept(input: {{id: $id}}) {{
  quote {{ status decidedAt salesOrder {{ status subtotal taxTotal total notes
    lines {{ quantity unitPrice lineTotal taxAmount }} }} }} {ERRORS} }} }}"""
DECLINE = f"""mutation($id: ID!) {{ quoteDecline(input: {{id: $id, reason: "Too dear"}}) {{
  quote {{ status declineReason }} {ERRORS} }} }}"""
READ = """query($id: ID!) { node(id: $id) { ... on Quote { status } } }"""
ITEM = """query($id: ID!) { node(id: $id) { ... on StockItem { onHand reserved } } }"""


async def quote(
    execute: Execute, customer: str, lines: list[tuple[str, int]], **extra: Any
) -> dict[str, Any]:
    viewer = extra.pop("viewer", None)
    result = await execute(
        CREATE,
        {
            "input": {
                "customer": customer,
                "lines": [{"stockItem": item, "quantity": qty} for item, qty in lines],
                **extra,
            }
        },
        viewer=viewer,
    )
    return result["quoteCreate"]  # type: ignore[no-any-return]


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


async def test_a_quote_is_priced_as_an_order_and_accepted_into_one_at_its_prices(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    customer = await create_customer(execute, tier="GOLD", country="DE")
    item = await create_item(execute, world, sku="PUMP-Q", price="100.00", stock=30)
    created = await quote(execute, customer["id"], [(item, 12)])
    assert created["errors"] == []
    offer = created["quote"]
    # Priced exactly as an order placed now: GOLD from 10 units is 12.5 % off, 19 % VAT.
    order = (await place(execute, world, customer["id"], [(item, 12)]))["salesOrder"]
    assert [
        {key: line[key] for key in ("quantity", "listPrice", "discountPercent", "unitPrice")}
        for line in offer["lines"]
    ] == [
        {key: line[key] for key in ("quantity", "listPrice", "discountPercent", "unitPrice")}
        for line in order["lines"]
    ]
    assert (
        (offer["subtotal"], offer["taxTotal"], offer["total"])
        == (
            order["subtotal"],
            order["taxTotal"],
            order["total"],
        )
        == ("1050.00", "199.50", "1249.50")
    )
    assert offer["status"] == "DRAFT"
    assert (await execute(ITEM, {"id": item}))["node"] == {"onHand": 30, "reserved": 12}

    # A draft is not an offer yet: only a sent quote can be accepted.
    assert codes((await execute(ACCEPT, {"id": offer["id"]}))["quoteAccept"]) == [
        "INVALID_TRANSITION"
    ]
    sent = (await execute(SEND, {"id": offer["id"]}))["quoteSend"]
    assert (sent["errors"], sent["quote"]["status"]) == ([], "SENT")

    # The list price doubles after the quote went out: the quote's prices still hold.
    await db.execute("UPDATE erp.stock_item SET unit_price = 200")
    accepted = (await execute(ACCEPT, {"id": offer["id"]}))["quoteAccept"]
    assert accepted["errors"] == []
    assert accepted["quote"]["status"] == "ACCEPTED"
    placed = accepted["quote"]["salesOrder"]
    assert (placed["status"], placed["total"]) == ("PLACED", "1249.50")
    assert placed["lines"] == [
        {"quantity": 12, "unitPrice": "87.50", "lineTotal": "1050.00", "taxAmount": "199.50"}
    ]
    assert placed["notes"] == f"From quote {offer['number']}"
    assert (await execute(ITEM, {"id": item}))["node"] == {"onHand": 30, "reserved": 24}
    again = (await execute(ACCEPT, {"id": offer["id"]}))["quoteAccept"]
    assert codes(again) == ["INVALID_TRANSITION"]


async def test_an_expired_or_declined_quote_cannot_be_accepted(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    customer = await create_customer(execute, country="DE")
    item = await create_item(execute, world, sku="VALVE-Q", price="10.00", stock=10)
    late = (await quote(execute, customer["id"], [(item, 1)]))["quote"]
    await execute(SEND, {"id": late["id"]})
    # Its last valid day has passed: it reads as expired, without any job marking it.
    await db.execute("UPDATE erp.quote SET valid_until = current_date - 1")
    assert (await execute(READ, {"id": late["id"]}))["node"]["status"] == "EXPIRED"
    listed = await execute(
        "query { quotes(first: 5, filter: {expired: true}) { edges { node { number } } } }"
    )
    assert [edge["node"]["number"] for edge in listed["quotes"]["edges"]] == [late["number"]]
    before = await row_counts(db)
    assert codes((await execute(ACCEPT, {"id": late["id"]}))["quoteAccept"]) == [
        "INVALID_TRANSITION"
    ]
    assert await row_counts(db) == before

    declined = (await quote(execute, customer["id"], [(item, 1)]))["quote"]
    await execute(SEND, {"id": declined["id"]})
    answer = (await execute(DECLINE, {"id": declined["id"]}))["quoteDecline"]
    assert answer["quote"] == {"status": "DECLINED", "declineReason": "Too dear"}
    assert codes((await execute(ACCEPT, {"id": declined["id"]}))["quoteAccept"]) == [
        "INVALID_TRANSITION"
    ]
    past = await quote(execute, customer["id"], [(item, 1)], validUntil="2020-01-01")
    assert [(e["field"], e["code"]) for e in past["errors"]] == [("validUntil", "VALIDATION")]


async def test_accepting_places_the_order_or_nothing(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    customer = await create_customer(execute, country="DE", creditLimit="100.00")
    item = await create_item(execute, world, sku="BOLT-Q", price="10.00", stock=50)
    big = (await quote(execute, customer["id"], [(item, 20)]))["quote"]
    await execute(SEND, {"id": big["id"]})
    before = await row_counts(db)
    refused = (await execute(ACCEPT, {"id": big["id"]}))["quoteAccept"]
    assert codes(refused) == ["CREDIT_LIMIT_EXCEEDED"]
    assert await row_counts(db) == before
    assert (await execute(READ, {"id": big["id"]}))["node"]["status"] == "SENT"


async def test_a_sales_rep_quotes_only_own_customers(execute: Execute, world: World) -> None:
    mine = await execute(CUSTOMER_CREATE, {"input": {"name": "Sam's GmbH"}}, viewer=world.rep)
    customer = mine["customerCreate"]["customer"]["id"]
    item = await create_item(execute, world, sku="NUT-Q", price="1.00", stock=5)
    theirs = await quote(execute, customer, [(item, 1)], viewer=world.other_rep)
    assert [(e["field"], e["code"]) for e in theirs["errors"]] == [("customer", "NOT_FOUND")]
    own = await quote(execute, customer, [(item, 1)], viewer=world.rep)
    assert own["errors"] == []
    hidden = await execute(
        "query { quotes(first: 5) { edges { node { number } } } }", viewer=world.other_rep
    )
    assert hidden["quotes"]["edges"] == []
    stolen = (await execute(SEND, {"id": own["quote"]["id"]}, viewer=world.other_rep))["quoteSend"]
    assert codes(stolen) == ["NOT_FOUND"]
    sent = (await execute(SEND, {"id": own["quote"]["id"]}, viewer=world.rep))["quoteSend"]
    assert sent["errors"] == []
