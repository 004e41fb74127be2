"""Every surface computes each read rule the same way, for every row of a seeded company.

The rules are defined once (`domain.erp.receivables`, `fulfilment_status`, `stock_position`,
`on_order`); this test reads them back through each surface that shows or uses them and
asserts they agree row by row:

- invoice amount paid / due, overdue, days overdue: the GraphQL fields, the `overdue`
  filter (true and false), the domain batch read, the payment check (its OVERPAYMENT
  limit), the credit check's unpaid part, `Customer.openBalance`, the customer metrics
  (open and overdue balance, stored and through GraphQL) and `bi.invoices_aging`;
- order delivery and payment status: the GraphQL fields against the order's invoices as
  the API shows them, the shipped quantities of `bi.sales_order_lines` and of the domain's
  shipping progress;
- stock available, on order, purchase orders still expecting an item and the reorder
  signal: the GraphQL fields and `belowReorderPoint` filter, the reorder rule's inputs
  (`domain.analytics.replenishment`) and `bi.inventory_status`.

On top of the demo data it adds the cases where surfaces used to disagree: an invoice of
zero past its due date (issued, yet nothing due), an open invoice not yet due, a partly
received purchase order whose line for one item is complete, an order whose only delivery
failed and one partly shipped, an item short of stock whose
purchase order makes up for it, and one exactly at its reorder point.
"""

from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from strawberry.relay import from_base64

from domain.analytics import metrics, replenishment
from domain.core.sessions import asyncpg_dsn
from domain.erp import credit, progress, receivables
from tests.api.conftest import GraphQL

pytestmark = pytest.mark.usefixtures("demo")

INVOICES = """query($after: String, $filter: InvoiceFilter) {
  invoices(first: 100, after: $after, filter: $filter) {
    pageInfo { hasNextPage endCursor }
    edges { node { id status amountPaid amountDue isOverdue daysOverdue
                   customer { id } } } } }"""
CUSTOMERS = """query($after: String) {
  customers(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id openBalance metrics { openBalance overdueBalance } } } } }"""
ORDERS = """query($after: String) {
  salesOrders(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id deliveryStatus paymentStatus lines { id quantity }
                   deliveries { status lines { quantity } }
                   invoices { status amountDue amountPaid isOverdue } } } } }"""
ITEMS = """query($after: String, $filter: StockItemFilter) {
  stockItems(first: 100, after: $after, filter: $filter) {
    pageInfo { hasNextPage endCursor }
    edges { node { id onHand reserved available reorderPoint
                   stockLevels { available }
                   openPurchaseOrders { id status
                       lines { quantity quantityReceived stockItem { id } } } } } } }"""
PAY = """mutation($input: PaymentRecordInput!) {
  paymentRecord(input: $input) { payment { id } errors { code message } } }"""


def key(global_id: str) -> int:
    return int(from_base64(global_id)[1])


async def every(graphql: GraphQL, document: str, root: str, **variables: Any) -> list[Any]:
    """All nodes of a root connection, page by page."""
    nodes: list[Any] = []
    after = None
    while True:
        result = await graphql(document, {"after": after, **variables})
        assert "errors" not in result, result["errors"]
        page = result["data"][root]
        nodes += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


@pytest.fixture(scope="module")
async def company(database_url: str, engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    """The demo company, the edge cases added, and its customer metrics computed."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    today = await connection.fetchval("SELECT current_date")
    customer = await connection.fetchval("SELECT min(id) FROM crm.customer")
    made: dict[str, list[int]] = {"erp.invoice": [], "erp.purchase_order": [], "erp.delivery": []}
    items: list[asyncpg.Record] = []
    try:
        for number, total, due_on in (
            ("EDGE-ZERO", Decimal("0.00"), today - timedelta(days=40)),
            ("EDGE-LATER", Decimal("120.00"), today + timedelta(days=10)),
        ):
            made["erp.invoice"].append(
                await connection.fetchval(
                    "INSERT INTO erp.invoice (number, customer_id, status, issued_on, due_on, "
                    "subtotal, tax_total, total) VALUES ($1, $2, 'issued', $3, $4, $5, 0, $5) "
                    "RETURNING id",
                    number,
                    customer,
                    due_on - timedelta(days=30),
                    due_on,
                    total,
                )
            )
        items = await connection.fetch(
            "SELECT stock_item_id AS id, available, on_order, reorder_point "
            "FROM bi.inventory_status WHERE available > 0 ORDER BY stock_item_id LIMIT 3"
        )
        purchase_order = await connection.fetchval(
            "INSERT INTO erp.purchase_order (number, supplier_id, warehouse_id, status, "
            "ordered_at) VALUES ('EDGE-PO', (SELECT min(id) FROM erp.supplier), "
            "(SELECT min(id) FROM erp.warehouse), 'partially_received', now()) RETURNING id"
        )
        made["erp.purchase_order"].append(purchase_order)
        await connection.executemany(
            "INSERT INTO erp.purchase_order_line (purchase_order_id, stock_item_id, quantity, "
            "quantity_received, unit_cost) VALUES ($1, $2, $3, $4, 1)",
            [(purchase_order, items[0]["id"], 5, 5), (purchase_order, items[1]["id"], 7, 2)],
        )
        # An order whose only delivery failed, and one partly on its way.
        unshipped = await connection.fetch(
            "SELECT o.id, o.warehouse_id, min(l.id) AS line FROM erp.sales_order o "
            "JOIN erp.sales_order_line l ON l.sales_order_id = o.id AND l.quantity > 1 "
            "WHERE o.status = 'confirmed' AND NOT EXISTS (SELECT FROM erp.delivery d "
            "WHERE d.sales_order_id = o.id) GROUP BY o.id ORDER BY o.id LIMIT 2"
        )
        assert len(unshipped) == 2
        for order, (number, status) in zip(
            unshipped, (("EDGE-FAILED", "failed"), ("EDGE-PART", "in_transit")), strict=True
        ):
            delivery = await connection.fetchval(
                "INSERT INTO erp.delivery (number, sales_order_id, warehouse_id, status, "
                "shipped_at, failed_at) VALUES ($1, $2, $3, $4::text, now(), "
                "CASE WHEN $4::text = 'failed' THEN now() END) RETURNING id",
                number,
                order["id"],
                order["warehouse_id"],
                status,
            )
            made["erp.delivery"].append(delivery)
            await connection.execute(
                "INSERT INTO erp.delivery_line (delivery_id, sales_order_line_id, quantity) "
                "VALUES ($1, $2, 1)",
                delivery,
                order["line"],
            )
        # Short of stock but replenished by what is on order (items[1] gets 5 more from EDGE-PO),
        # and at its reorder point with what is on order counted.
        await connection.executemany(
            "UPDATE erp.stock_item SET reorder_point = $2 WHERE id = $1",
            [
                (items[1]["id"], items[1]["available"] + 3),
                (items[2]["id"], items[2]["available"] + items[2]["on_order"]),
            ],
        )
        async with engine.begin() as sa_connection:
            await metrics.recompute_all(sa_connection)
        yield connection
    finally:
        await connection.executemany(
            "UPDATE erp.stock_item SET reorder_point = $2 WHERE id = $1",
            [(row["id"], row["reorder_point"]) for row in items[1:]],
        )
        for table, ids in made.items():
            await connection.execute(f"DELETE FROM {table} WHERE id = ANY($1)", ids)
        await connection.close()


async def test_invoice_amounts_agree_on_every_surface(
    graphql: GraphQL, company: asyncpg.Connection, engine: AsyncEngine
) -> None:
    invoices = {key(node["id"]): node for node in await every(graphql, INVOICES, "invoices")}
    assert len(invoices) > 100
    due = {i: Decimal(node["amountDue"]) for i, node in invoices.items()}
    overdue = {i for i, node in invoices.items() if node["isOverdue"]}
    edge = {
        r["number"]: r["id"]
        for r in await company.fetch(
            "SELECT number, id FROM erp.invoice WHERE number LIKE 'EDGE-%'"
        )
    }
    # The cases the surfaces used to disagree on, and a healthy mix of the rest.
    assert edge["EDGE-ZERO"] not in overdue and due[edge["EDGE-ZERO"]] == 0
    assert edge["EDGE-LATER"] not in overdue and due[edge["EDGE-LATER"]] > 0
    assert overdue and {i for i, d in due.items() if d == 0} - {edge["EDGE-ZERO"]}
    assert {node["status"] for node in invoices.values()} >= {"VOID", "PAID", "ISSUED"}
    for i, node in invoices.items():
        assert (node["daysOverdue"] > 0) == (i in overdue), node
        if node["status"] == "VOID":
            assert due[i] == 0, node

    # The filter selects exactly the invoices the field calls overdue (and the rest).
    for flag, expected in ((True, overdue), (False, set(invoices) - overdue)):
        filtered = await every(graphql, INVOICES, "invoices", filter={"overdue": flag})
        assert {key(node["id"]) for node in filtered} == expected, flag

    # The domain batch read (payments, credit) and its overdue and days.
    async with AsyncSession(engine) as session:
        assert await receivables.amounts_due(session, list(invoices)) == due
        rows = await session.execute(
            receivables.invoice_amounts(receivables.id_array(list(invoices)))
        )
        for row in rows:
            node = invoices[row.id]
            assert (Decimal(row.paid), row.overdue, row.days_overdue) == (
                Decimal(node["amountPaid"]),
                node["isOverdue"],
                node["daysOverdue"],
            )

    # The BI view: one row per invoice with something due, the same figures.
    aging = {r["invoice_id"]: r for r in await company.fetch("SELECT * FROM bi.invoices_aging")}
    assert set(aging) == {i for i, d in due.items() if d > 0}
    for i, row in aging.items():
        node = invoices[i]
        assert (row["amount_due"], row["amount_paid"], row["days_overdue"]) == (
            due[i],
            Decimal(node["amountPaid"]),
            node["daysOverdue"],
        )
        assert (row["aging_bucket"] == "current") == (i not in overdue)


async def test_balances_agree_on_every_surface(
    graphql: GraphQL, company: asyncpg.Connection, engine: AsyncEngine
) -> None:
    invoices = await every(graphql, INVOICES, "invoices")
    open_balance: dict[int, Decimal] = defaultdict(Decimal)
    overdue_balance: dict[int, Decimal] = defaultdict(Decimal)
    for node in invoices:
        customer = key(node["customer"]["id"])
        open_balance[customer] += Decimal(node["amountDue"])
        if node["isOverdue"]:
            overdue_balance[customer] += Decimal(node["amountDue"])
    customers = {key(node["id"]): node for node in await every(graphql, CUSTOMERS, "customers")}
    stored = {
        r["customer_id"]: r for r in await company.fetch("SELECT * FROM analytics.customer_metrics")
    }
    assert set(stored) == set(customers)
    assert any(overdue_balance.values()) and any(
        open_balance[c] > overdue_balance[c] for c in customers
    )
    async with AsyncSession(engine) as session:
        for customer, node in customers.items():
            expected = (open_balance[customer], overdue_balance[customer])
            assert Decimal(node["openBalance"]) == expected[0], customer
            assert (stored[customer]["open_balance"], stored[customer]["overdue_balance"]) == (
                expected
            ), customer
            assert tuple(Decimal(v) for v in node["metrics"].values()) == expected, customer
            assert await credit.unpaid(session, customer) == expected[0], customer


async def test_payments_take_exactly_what_the_api_says_is_due(
    graphql: GraphQL, company: asyncpg.Connection
) -> None:
    invoices = await every(graphql, INVOICES, "invoices")
    partly = [node for node in invoices if node["status"] == "PARTIALLY_PAID"][:3]
    unpaid = [
        node for node in invoices if node["status"] == "ISSUED" and node["amountDue"] != "0.00"
    ]
    assert partly and unpaid
    for node in [*partly, *unpaid[:3]]:
        over = Decimal(node["amountDue"]) + Decimal("0.01")
        result = await graphql(PAY, {"input": {"invoice": node["id"], "amount": str(over)}})
        (error,) = result["data"]["paymentRecord"]["errors"]
        assert error["code"] == "OVERPAYMENT"
        assert error["message"].startswith(f"only {node['amountDue']} "), error


def _payment_status(invoices: list[dict[str, Any]]) -> str:
    billed = [i for i in invoices if i["status"] != "VOID"]
    if not billed:
        return "NOT_INVOICED"
    if sum(Decimal(i["amountDue"]) for i in billed) <= 0:
        return "PAID"
    if any(i["isOverdue"] for i in billed):
        return "OVERDUE"
    if sum(Decimal(i["amountPaid"]) for i in billed) > 0:
        return "PARTIALLY_PAID"
    return "UNPAID"


def _delivery_status(ordered: int, shipped: int, deliveries: list[dict[str, Any]]) -> str:
    statuses = {d["status"] for d in deliveries}
    if shipped == 0:
        return "FAILED" if "FAILED" in statuses else "NOT_SHIPPED"
    if shipped < ordered:
        return "PARTIALLY_SHIPPED"
    return "IN_TRANSIT" if "IN_TRANSIT" in statuses else "DELIVERED"


async def test_order_statuses_agree_with_invoices_and_shipments(
    graphql: GraphQL, company: asyncpg.Connection, engine: AsyncEngine
) -> None:
    orders = {key(node["id"]): node for node in await every(graphql, ORDERS, "salesOrders")}
    shipped_by_line = {
        r["line_id"]: r["shipped_quantity"]
        for r in await company.fetch("SELECT line_id, shipped_quantity FROM bi.sales_order_lines")
    }
    seen = set()
    for node in orders.values():
        assert node["paymentStatus"] == _payment_status(node["invoices"]), node
        ordered = sum(line["quantity"] for line in node["lines"])
        shipped = sum(shipped_by_line[key(line["id"])] for line in node["lines"])
        assert node["deliveryStatus"] == _delivery_status(ordered, shipped, node["deliveries"])
        seen |= {node["deliveryStatus"], node["paymentStatus"]}
    assert seen >= {"NOT_SHIPPED", "FAILED", "PARTIALLY_SHIPPED", "DELIVERED"}
    assert seen >= {"NOT_INVOICED", "PAID", "OVERDUE"}
    # What the domain ships and fulfils from counts shipped units the same way.
    sample = sorted(orders)[:: max(len(orders) // 40, 1)]
    async with AsyncSession(engine) as session:
        for order_id in sample:
            by_line = await progress.shipped_by_line(session, order_id)
            for line in orders[order_id]["lines"]:
                assert by_line.get(key(line["id"]), 0) == shipped_by_line[key(line["id"])]


async def test_stock_and_on_order_agree_on_every_surface(
    graphql: GraphQL, company: asyncpg.Connection, engine: AsyncEngine
) -> None:
    items = {key(node["id"]): node for node in await every(graphql, ITEMS, "stockItems")}
    on_order: dict[int, int] = {}
    for item, node in items.items():
        assert node["available"] == node["onHand"] - node["reserved"]
        assert node["available"] == sum(level["available"] for level in node["stockLevels"])
        outstanding = 0
        for order in node["openPurchaseOrders"]:
            assert order["status"] in ("ORDERED", "PARTIALLY_RECEIVED"), order
            mine = [line for line in order["lines"] if key(line["stockItem"]["id"]) == item]
            left = sum(line["quantity"] - line["quantityReceived"] for line in mine)
            assert left > 0, (item, order)  # an order listed still expects this item
            outstanding += left
        on_order[item] = outstanding
    below = {
        i for i, node in items.items() if node["available"] + on_order[i] <= node["reorderPoint"]
    }
    filtered = await every(graphql, ITEMS, "stockItems", filter={"belowReorderPoint": True})
    assert {key(node["id"]) for node in filtered} == below
    assert any(on_order.values()) and below and set(items) - below

    async with engine.connect() as connection:
        reorder_inputs = {row.id: row for row in await replenishment.items_with_stock(connection)}
    bi = {r["stock_item_id"]: r for r in await company.fetch("SELECT * FROM bi.inventory_status")}
    assert set(reorder_inputs) == set(bi) == set(items)
    for item, node in items.items():
        row = bi[item]
        assert (row["on_hand"], row["reserved"], row["available"]) == (
            node["onHand"],
            node["reserved"],
            node["available"],
        ), item
        assert row["on_order"] == on_order[item] == reorder_inputs[item].on_order, item
        assert reorder_inputs[item].available == node["available"], item
        assert row["below_reorder_point"] == (item in below), item
