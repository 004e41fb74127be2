"""Sales history from another system: orders, their lines, deliveries, invoices and payments,
with their own numbers, dates, prices and statuses as recorded.

History is closed business. It is written as it happened and re-runs none of today's rules
that would change it: no price is looked up, no stock moves, no reservation is made, no
event is sent (so no job re-prices, re-ships or mails anyone). What bizgraph derives, it
derives here too, in the same transaction: an order's totals from its lines, an invoice's
amounts from its order, an invoice's status from its payments. An order still open in the
old system (draft, placed, confirmed) is entered with `salesOrderPlace` instead, so that it
reserves stock like any other.

A historical delivery ships, and a historical invoice bills, the whole order: so an order
has at most one delivery that did not fail and one invoice that is not void. Once an order
has been delivered or invoiced, its lines no longer change.

Import in this order: sales_orders, sales_order_lines, deliveries, invoices, payments; then
run `bizgraph recompute` so that metrics and forecasts include the history.
"""

from collections.abc import Mapping
from typing import Any

import asyncpg

from domain.core import validation
from domain.core.errors import Problems
from domain.core.money import money
from domain.erp.delivery_states import DELIVERY_STATUSES
from domain.erp.invoice_states import status_after_payment
from domain.erp.models.invoices import PAYMENT_METHODS
from domain.exchange.kinds.base import (
    WAREHOUSE,
    Kind,
    Reference,
    again_in_file,
    day_value,
    decimal_value,
    external_reference,
    instant_value,
    key_value,
    lowered,
    one_of,
    taken,
    unchangeable,
    whole_value,
)

HISTORICAL_ORDER_STATUSES = ("fulfilled", "cancelled")
NUMBER_CHARS = 20
STATUS_BATCH = 10_000
# Orders and their lines feed every figure of a customer, a campaign, revenue and demand.
ORDER_FEEDS = ("metrics", "customers", "campaigns", "revenue", "demand")


def _number(problems: Problems, record: Mapping[str, Any]) -> str | None:
    return validation.text(
        problems, "number", record.get("number"), max_length=NUMBER_CHARS, required=False
    )


def _moved(table: str, message: str) -> Reference:
    """A delivery or invoice met again naming another order than the one it belongs to."""
    return Reference(
        "order_external_id",
        f"SELECT s.line, s.order_external_id FROM staging s JOIN {table} t "
        "ON t.external_source = $1 AND t.external_id = s.external_id "
        "JOIN erp.sales_order o ON o.id = t.sales_order_id "
        "WHERE (o.external_source, o.external_id) IS DISTINCT FROM ($1::text, s.order_external_id)",
        message,
    )


def _sales_order(problems: Problems, record: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {"number": _number(problems, record)}
    values["customer_external_id"] = key_value(
        problems, "customerExternalId", record.get("customer_external_id")
    )
    values["warehouse"] = key_value(problems, "warehouse", record.get("warehouse"))
    rep = key_value(problems, "salesRepEmail", record.get("sales_rep_email"), required=False)
    values["sales_rep_email"] = rep.lower() if rep else None
    status = lowered(record.get("status"))
    if status not in HISTORICAL_ORDER_STATUSES:
        problems.add(
            "status",
            "must be fulfilled or cancelled: an open order is entered with salesOrderPlace, "
            "so that it reserves stock",
        )
    values["status"] = status
    values["currency"] = validation.currency(
        problems, "currency", str(record.get("currency") or "EUR")
    )
    tax_rate = decimal_value(problems, "taxRate", record.get("tax_rate"))
    if tax_rate is not None and not 0 <= tax_rate < 1:
        problems.add("taxRate", "must be a fraction between 0 and 1 (0.19 for 19 %)")
    values["tax_rate"] = tax_rate if tax_rate is not None else 0
    ordered_at = instant_value(problems, "orderedAt", record.get("ordered_at"), required=True)
    values["ordered_at"] = ordered_at
    for column, field in (("confirmed_at", "confirmedAt"), ("cancelled_at", "cancelledAt")):
        instant = instant_value(problems, field, record.get(column), required=False)
        if instant is not None and ordered_at is not None and instant < ordered_at:
            problems.add(field, "must not be before orderedAt")
        values[column] = instant
    if status == "cancelled" and values["cancelled_at"] is None:
        problems.add("cancelledAt", "must not be empty for a cancelled order")
    if status == "fulfilled" and values["cancelled_at"] is not None:
        problems.add("cancelledAt", "must be empty for a fulfilled order")
    values["notes"] = validation.text(
        problems, "notes", record.get("notes"), max_length=5000, required=False
    )
    return values


SALES_ORDERS = Kind(
    name="sales_orders",
    kept_if_empty=("number",),
    feeds=ORDER_FEEDS,
    table="erp.sales_order",
    staged=(
        ("number", "text"),
        ("customer_external_id", "text"),
        ("warehouse", "text"),
        ("sales_rep_email", "text"),
        ("status", "text"),
        ("currency", "text"),
        ("tax_rate", "numeric"),
        ("ordered_at", "timestamptz"),
        ("confirmed_at", "timestamptz"),
        ("cancelled_at", "timestamptz"),
        ("notes", "text"),
    ),
    check=_sales_order,
    references=(
        external_reference(
            "customer_external_id",
            "crm.customer",
            "no customer of this source has this external_id (import customers first)",
        ),
        WAREHOUSE,
        Reference(
            "sales_rep_email",
            "SELECT s.line, s.sales_rep_email FROM staging s WHERE s.sales_rep_email IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM erp.employee e WHERE e.email = s.sales_rep_email)",
            "no employee has this email",
        ),
        taken("number", "erp.sales_order", "another order has this number"),
        unchangeable("number", "erp.sales_order", "an order's number never changes"),
    ),
    upsert="""
WITH rows AS (
  SELECT s.*, c.id AS customer_id, w.id AS warehouse_id, e.id AS sales_rep_id,
         nextval((SELECT pg_get_serial_sequence('erp.sales_order', 'id'))::regclass) AS new_id
  FROM staging s
  JOIN crm.customer c ON c.external_source = $1 AND c.external_id = s.customer_external_id
  JOIN erp.warehouse w ON w.code = s.warehouse
  LEFT JOIN erp.employee e ON e.email = s.sales_rep_email
  ORDER BY s.line
)
INSERT INTO erp.sales_order AS t (
  id, number, customer_id, sales_rep_id, warehouse_id, status, currency, tax_rate, notes,
  ordered_at, confirmed_at, cancelled_at, external_source, external_id)
SELECT new_id,
       coalesce(number, 'SO-' || to_char(ordered_at AT TIME ZONE 'UTC', 'YYYY') || '-'
                        || lpad(new_id::text, 7, '0')),
       customer_id, sales_rep_id, warehouse_id, status, currency, tax_rate, notes,
       ordered_at, confirmed_at, cancelled_at, $1, external_id
FROM rows
ON CONFLICT (external_source, external_id) DO UPDATE SET
  customer_id = excluded.customer_id, sales_rep_id = excluded.sales_rep_id,
  warehouse_id = excluded.warehouse_id, status = excluded.status, currency = excluded.currency,
  tax_rate = excluded.tax_rate, notes = excluded.notes, ordered_at = excluded.ordered_at,
  confirmed_at = excluded.confirmed_at, cancelled_at = excluded.cancelled_at,
  version = t.version + 1, updated_at = now()
WHERE (t.customer_id, t.sales_rep_id, t.warehouse_id, t.status, t.currency, t.tax_rate,
       t.notes, t.ordered_at, t.confirmed_at, t.cancelled_at)
  IS DISTINCT FROM
      (excluded.customer_id, excluded.sales_rep_id, excluded.warehouse_id, excluded.status,
       excluded.currency, excluded.tax_rate, excluded.notes, excluded.ordered_at,
       excluded.confirmed_at, excluded.cancelled_at)
RETURNING t.id, (xmax = 0) AS inserted""",
    export="""
SELECT coalesce(o.external_id, o.number) AS external_id, o.number,
       coalesce(c.external_id, c.code) AS customer_external_id, w.code AS warehouse,
       e.email AS sales_rep_email, o.status, o.currency, o.tax_rate, o.ordered_at,
       o.confirmed_at, o.cancelled_at, o.notes
FROM erp.sales_order o
JOIN crm.customer c ON c.id = o.customer_id
JOIN erp.warehouse w ON w.id = o.warehouse_id
LEFT JOIN erp.employee e ON e.id = o.sales_rep_id
WHERE o.status IN ('fulfilled', 'cancelled') AND ($1::text IS NULL OR o.external_source = $1)""",
    example="external_id,number,customer_external_id,warehouse,sales_rep_email,status,currency,"
    "tax_rate,ordered_at,confirmed_at,cancelled_at,notes",
)


def _order_line(problems: Problems, record: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "order_external_id": key_value(
            problems, "orderExternalId", record.get("order_external_id")
        ),
        "stock_item_external_id": key_value(
            problems, "stockItemExternalId", record.get("stock_item_external_id")
        ),
    }
    line_no = whole_value(problems, "lineNo", record.get("line_no"), None)
    if line_no is None or line_no < 1:
        problems.add("lineNo", "must be a whole number from 1")
    values["line_no"] = line_no
    quantity = whole_value(problems, "quantity", record.get("quantity"), None)
    values["quantity"] = (
        validation.quantity(problems, "quantity", quantity) if quantity is not None else None
    )
    if quantity is None:
        problems.add("quantity", "must not be empty")
    unit_price = validation.amount(
        problems, "unitPrice", decimal_value(problems, "unitPrice", record.get("unit_price"))
    )
    if unit_price is None and record.get("unit_price") in (None, ""):
        problems.add("unitPrice", "must not be empty")
    list_price = validation.amount(
        problems, "listPrice", decimal_value(problems, "listPrice", record.get("list_price"))
    )
    discount = decimal_value(problems, "discountPercent", record.get("discount_percent"))
    if discount is not None and not 0 <= discount <= 100:
        problems.add("discountPercent", "must be between 0 and 100")
    tax_amount = validation.amount(
        problems, "taxAmount", decimal_value(problems, "taxAmount", record.get("tax_amount"))
    )
    values["unit_price"] = unit_price
    values["list_price"] = list_price if list_price is not None else unit_price
    values["discount_percent"] = discount if discount is not None else 0
    values["tax_amount"] = tax_amount if tax_amount is not None else 0
    # The line's amount as an order line always has it: unit price × quantity, in cents.
    if unit_price is not None and isinstance(quantity, int):
        values["line_total"] = money(unit_price * quantity)
    return values


async def _order_totals(connection: asyncpg.Connection, source: str) -> None:
    """The totals of the orders whose lines were written: sums of the lines' rounded amounts,
    as `domain.erp.pricing.order_totals` adds them up (a test holds the two together)."""
    await connection.execute(
        """
UPDATE erp.sales_order o
SET subtotal = t.subtotal, discount_total = t.discount_total, tax_total = t.tax_total,
    total = t.subtotal + t.tax_total
FROM (
  SELECT l.sales_order_id, sum(l.line_total) AS subtotal,
         sum(round(l.list_price * l.quantity, 2) - l.line_total) AS discount_total,
         sum(l.tax_amount) AS tax_total
  FROM erp.sales_order_line l
  WHERE l.sales_order_id IN (SELECT id FROM written)
  GROUP BY l.sales_order_id
) t
WHERE o.id = t.sales_order_id
  AND (o.subtotal, o.discount_total, o.tax_total) IS DISTINCT FROM
      (t.subtotal, t.discount_total, t.tax_total)"""
    )


# Orders whose lines are settled: something of them was delivered or invoiced.
_SETTLED = (
    "EXISTS (SELECT 1 FROM erp.delivery d WHERE d.sales_order_id = {order}) "
    "OR EXISTS (SELECT 1 FROM erp.invoice i WHERE i.sales_order_id = {order})"
)

SALES_ORDER_LINES = Kind(
    name="sales_order_lines",
    also_writes=("erp.sales_order",),
    feeds=ORDER_FEEDS,
    table="erp.sales_order_line",
    staged=(
        ("order_external_id", "text"),
        ("line_no", "int"),
        ("stock_item_external_id", "text"),
        ("quantity", "int"),
        ("list_price", "numeric"),
        ("discount_percent", "numeric"),
        ("unit_price", "numeric"),
        ("tax_amount", "numeric"),
        ("line_total", "numeric"),
    ),
    check=_order_line,
    references=(
        external_reference(
            "order_external_id",
            "erp.sales_order",
            "no order of this source has this external_id (import sales_orders first)",
        ),
        external_reference(
            "stock_item_external_id",
            "erp.stock_item",
            "no stock item of this source has this external_id (import stock_items first)",
        ),
        again_in_file(
            "line_no", "order_external_id, line_no", "", "the order has this line number twice"
        ),
        Reference(
            "line_no",
            "SELECT s.line, s.line_no FROM staging s "
            "JOIN erp.sales_order o ON o.external_source = $1 "
            "AND o.external_id = s.order_external_id "
            "JOIN erp.sales_order_line l ON l.sales_order_id = o.id AND l.line_no = s.line_no "
            "WHERE (l.external_source, l.external_id) IS DISTINCT FROM ($1::text, s.external_id)",
            "the order has another line with this number",
        ),
        Reference(
            "order_external_id",
            "SELECT s.line, s.order_external_id FROM staging s "
            "JOIN erp.sales_order o ON o.external_source = $1 "
            "AND o.external_id = s.order_external_id "
            "LEFT JOIN erp.sales_order_line l ON l.external_source = $1 "
            "AND l.external_id = s.external_id "
            f"WHERE ({_SETTLED.format(order='o.id')}) AND (l.id IS NULL OR "
            "(l.sales_order_id, l.line_no, l.quantity, l.list_price, l.discount_percent, "
            "l.unit_price, l.tax_amount) IS DISTINCT FROM "
            "(o.id, s.line_no, s.quantity, s.list_price, s.discount_percent, s.unit_price, "
            "s.tax_amount) OR l.stock_item_id <> (SELECT i.id FROM erp.stock_item i WHERE "
            "i.external_source = $1 AND i.external_id = s.stock_item_external_id))",
            "the order has been delivered or invoiced: its lines no longer change",
        ),
    ),
    upsert="""
INSERT INTO erp.sales_order_line AS t (
  sales_order_id, line_no, stock_item_id, quantity, list_price, discount_percent, unit_price,
  line_total, tax_amount, external_source, external_id)
SELECT o.id, s.line_no, i.id, s.quantity, s.list_price, s.discount_percent, s.unit_price,
       s.line_total, s.tax_amount, $1, s.external_id
FROM staging s
JOIN erp.sales_order o ON o.external_source = $1 AND o.external_id = s.order_external_id
JOIN erp.stock_item i ON i.external_source = $1 AND i.external_id = s.stock_item_external_id
ON CONFLICT (external_source, external_id) DO UPDATE SET
  sales_order_id = excluded.sales_order_id, line_no = excluded.line_no,
  stock_item_id = excluded.stock_item_id, quantity = excluded.quantity,
  list_price = excluded.list_price, discount_percent = excluded.discount_percent,
  unit_price = excluded.unit_price, line_total = excluded.line_total,
  tax_amount = excluded.tax_amount
WHERE (t.sales_order_id, t.line_no, t.stock_item_id, t.quantity, t.list_price,
       t.discount_percent, t.unit_price, t.tax_amount)
  IS DISTINCT FROM
      (excluded.sales_order_id, excluded.line_no, excluded.stock_item_id, excluded.quantity,
       excluded.list_price, excluded.discount_percent, excluded.unit_price, excluded.tax_amount)
RETURNING t.sales_order_id AS id, (xmax = 0) AS inserted""",
    export="""
SELECT coalesce(l.external_id, o.number || '/' || l.line_no) AS external_id,
       coalesce(o.external_id, o.number) AS order_external_id, l.line_no,
       coalesce(i.external_id, i.sku) AS stock_item_external_id, l.quantity, l.list_price,
       l.discount_percent, l.unit_price, l.tax_amount
FROM erp.sales_order_line l
JOIN erp.sales_order o ON o.id = l.sales_order_id
JOIN erp.stock_item i ON i.id = l.stock_item_id
WHERE o.status IN ('fulfilled', 'cancelled') AND ($1::text IS NULL OR l.external_source = $1)""",
    example="external_id,order_external_id,line_no,stock_item_external_id,quantity,list_price,"
    "discount_percent,unit_price,tax_amount",
    after=_order_totals,
    derived=("line_total",),
)


def _delivery(problems: Problems, record: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {"number": _number(problems, record)}
    values["order_external_id"] = key_value(
        problems, "orderExternalId", record.get("order_external_id")
    )
    values["warehouse"] = key_value(problems, "warehouse", record.get("warehouse"), required=False)
    status = one_of(problems, "status", lowered(record.get("status")), DELIVERY_STATUSES)
    values["status"] = status
    shipped = instant_value(problems, "shippedAt", record.get("shipped_at"), required=True)
    values["shipped_at"] = shipped
    for column, field, needed in (
        ("delivered_at", "deliveredAt", "delivered"),
        ("failed_at", "failedAt", "failed"),
    ):
        instant = instant_value(problems, field, record.get(column), required=False)
        if status == needed and instant is None:
            problems.add(field, f"must not be empty for a {needed} delivery")
        elif status != needed and instant is not None:
            problems.add(field, f"must be empty unless the delivery is {needed}")
        elif instant is not None and shipped is not None and instant < shipped:
            problems.add(field, "must not be before shippedAt")
        values[column] = instant
    # A promise may lie in the future (a shipment still in transit).
    values["expected_at"] = instant_value(
        problems, "expectedAt", record.get("expected_at"), required=False, past=False
    )
    values["carrier"] = validation.text(
        problems, "carrier", record.get("carrier"), max_length=50, required=False
    )
    values["tracking_number"] = validation.text(
        problems, "trackingNumber", record.get("tracking_number"), max_length=60, required=False
    )
    values["failure_reason"] = validation.text(
        problems, "failureReason", record.get("failure_reason"), max_length=500, required=False
    )
    return values


async def _delivery_lines(connection: asyncpg.Connection, source: str) -> None:
    """A new historical delivery carries every line of its order in full."""
    await connection.execute(
        """
INSERT INTO erp.delivery_line (delivery_id, sales_order_line_id, quantity)
SELECT d.id, l.id, l.quantity
FROM written w
JOIN erp.delivery d ON d.id = w.id
JOIN erp.sales_order_line l ON l.sales_order_id = d.sales_order_id
WHERE w.inserted"""
    )


DELIVERIES = Kind(
    name="deliveries",
    kept_if_empty=("number",),
    also_writes=("erp.delivery_line",),
    feeds=("metrics",),
    table="erp.delivery",
    staged=(
        ("number", "text"),
        ("order_external_id", "text"),
        ("warehouse", "text"),
        ("status", "text"),
        ("carrier", "text"),
        ("tracking_number", "text"),
        ("shipped_at", "timestamptz"),
        ("expected_at", "timestamptz"),
        ("delivered_at", "timestamptz"),
        ("failed_at", "timestamptz"),
        ("failure_reason", "text"),
    ),
    check=_delivery,
    references=(
        external_reference(
            "order_external_id",
            "erp.sales_order",
            "no order of this source has this external_id (import sales_orders first)",
        ),
        WAREHOUSE,
        Reference(
            "order_external_id",
            "SELECT s.line, s.order_external_id FROM staging s JOIN erp.sales_order o "
            "ON o.external_source = $1 AND o.external_id = s.order_external_id "
            "WHERE o.status <> 'fulfilled' "
            "OR NOT EXISTS (SELECT 1 FROM erp.sales_order_line l WHERE l.sales_order_id = o.id)",
            "only a fulfilled order with lines ships (import its lines first)",
        ),
        again_in_file(
            "order_external_id",
            "order_external_id",
            "status <> 'failed'",
            "the order has two deliveries that did not fail: a historical delivery ships "
            "the whole order",
        ),
        Reference(
            "order_external_id",
            "SELECT s.line, s.order_external_id FROM staging s "
            "JOIN erp.sales_order o ON o.external_source = $1 "
            "AND o.external_id = s.order_external_id "
            "JOIN erp.delivery d ON d.sales_order_id = o.id AND d.status <> 'failed' "
            "WHERE s.status <> 'failed' "
            "AND (d.external_source, d.external_id) IS DISTINCT FROM ($1::text, s.external_id)",
            "the order has another delivery that did not fail: a historical delivery ships "
            "the whole order",
        ),
        taken("number", "erp.delivery", "another delivery has this number"),
        unchangeable("number", "erp.delivery", "a delivery's number never changes"),
        _moved("erp.delivery", "a delivery never moves to another order"),
    ),
    upsert="""
WITH rows AS (
  SELECT s.*, o.id AS sales_order_id, coalesce(w.id, o.warehouse_id) AS warehouse_id,
         nextval((SELECT pg_get_serial_sequence('erp.delivery', 'id'))::regclass) AS new_id
  FROM staging s
  JOIN erp.sales_order o ON o.external_source = $1 AND o.external_id = s.order_external_id
  LEFT JOIN erp.warehouse w ON w.code = s.warehouse
  ORDER BY s.line
)
INSERT INTO erp.delivery AS t (
  id, number, sales_order_id, warehouse_id, status, carrier, tracking_number, shipped_at,
  expected_at, delivered_at, failed_at, failure_reason, external_source, external_id)
SELECT new_id, coalesce(number, 'DL-' || lpad(new_id::text, 8, '0')), sales_order_id,
       warehouse_id, status, carrier, tracking_number, shipped_at, expected_at, delivered_at,
       failed_at, failure_reason, $1, external_id
FROM rows
ON CONFLICT (external_source, external_id) DO UPDATE SET
  warehouse_id = excluded.warehouse_id, status = excluded.status, carrier = excluded.carrier,
  tracking_number = excluded.tracking_number, shipped_at = excluded.shipped_at,
  expected_at = excluded.expected_at, delivered_at = excluded.delivered_at,
  failed_at = excluded.failed_at, failure_reason = excluded.failure_reason
WHERE (t.warehouse_id, t.status, t.carrier, t.tracking_number, t.shipped_at, t.expected_at,
       t.delivered_at, t.failed_at, t.failure_reason)
  IS DISTINCT FROM
      (excluded.warehouse_id, excluded.status, excluded.carrier, excluded.tracking_number,
       excluded.shipped_at, excluded.expected_at, excluded.delivered_at, excluded.failed_at,
       excluded.failure_reason)
RETURNING t.id, (xmax = 0) AS inserted""",
    export="""
SELECT coalesce(d.external_id, d.number) AS external_id, d.number,
       coalesce(o.external_id, o.number) AS order_external_id, w.code AS warehouse, d.status,
       d.carrier, d.tracking_number, d.shipped_at, d.expected_at, d.delivered_at, d.failed_at,
       d.failure_reason
FROM erp.delivery d
JOIN erp.sales_order o ON o.id = d.sales_order_id
JOIN erp.warehouse w ON w.id = d.warehouse_id
WHERE o.status IN ('fulfilled', 'cancelled') AND ($1::text IS NULL OR d.external_source = $1)""",
    example="external_id,number,order_external_id,warehouse,status,carrier,tracking_number,"
    "shipped_at,expected_at,delivered_at,failed_at,failure_reason",
    after=_delivery_lines,
)


def _invoice(problems: Problems, record: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {"number": _number(problems, record)}
    values["order_external_id"] = key_value(
        problems, "orderExternalId", record.get("order_external_id")
    )
    issued = day_value(problems, "issuedOn", record.get("issued_on"), required=True)
    due = day_value(problems, "dueOn", record.get("due_on"), required=False) or issued
    if issued is not None and due is not None and due < issued:
        problems.add("dueOn", "must not be before issuedOn")
    values["issued_on"], values["due_on"] = issued, due
    voided_at = instant_value(problems, "voidedAt", record.get("voided_at"), required=False)
    reason = validation.text(
        problems, "voidReason", record.get("void_reason"), max_length=500, required=False
    )
    if voided_at is not None and reason is None:
        problems.add("voidReason", "must not be empty for a void invoice")
    if voided_at is None and reason is not None:
        problems.add("voidReason", "must be empty unless the invoice is void (voidedAt)")
    values["voided_at"], values["void_reason"] = voided_at, reason
    return values


async def _invoice_statuses(connection: asyncpg.Connection, source: str) -> None:
    """Each written invoice (or invoice of a written payment) that is not void gets the
    status its payments give it (`status_after_payment`), in batches: memory stays flat."""
    query = """
SELECT i.id, i.status, i.total, coalesce(sum(p.amount), 0) AS paid
FROM erp.invoice i
LEFT JOIN erp.payment p ON p.invoice_id = i.id
WHERE i.id IN (SELECT id FROM written) AND i.status <> 'void'
GROUP BY i.id"""
    ids: list[int] = []
    statuses: list[str] = []
    async for row in connection.cursor(query, prefetch=STATUS_BATCH):
        status = status_after_payment(row["total"], row["paid"])
        if status != row["status"]:
            ids.append(row["id"])
            statuses.append(status)
            if len(ids) >= STATUS_BATCH:
                await _set_statuses(connection, ids, statuses)
                ids, statuses = [], []
    if ids:
        await _set_statuses(connection, ids, statuses)


async def _invoiced(connection: asyncpg.Connection, source: str) -> None:
    """A new historical invoice bills every line of its order as ordered; every written
    invoice takes the status its payments give it."""
    await connection.execute(
        """
INSERT INTO erp.invoice_line (
  invoice_id, sales_order_line_id, description, quantity, unit_price, line_total, tax_amount)
SELECT i.id, l.id, 'Order ' || o.number || ' line ' || l.line_no, l.quantity, l.unit_price,
       l.line_total, l.tax_amount
FROM written w
JOIN erp.invoice i ON i.id = w.id
JOIN erp.sales_order o ON o.id = i.sales_order_id
JOIN erp.sales_order_line l ON l.sales_order_id = o.id
WHERE w.inserted"""
    )
    await _invoice_statuses(connection, source)


INVOICES = Kind(
    name="invoices",
    kept_if_empty=("number",),
    also_writes=("erp.invoice_line",),
    feeds=("metrics",),
    table="erp.invoice",
    staged=(
        ("number", "text"),
        ("order_external_id", "text"),
        ("issued_on", "date"),
        ("due_on", "date"),
        ("voided_at", "timestamptz"),
        ("void_reason", "text"),
    ),
    check=_invoice,
    references=(
        external_reference(
            "order_external_id",
            "erp.sales_order",
            "no order of this source has this external_id (import sales_orders first)",
        ),
        Reference(
            "order_external_id",
            "SELECT s.line, s.order_external_id FROM staging s JOIN erp.sales_order o "
            "ON o.external_source = $1 AND o.external_id = s.order_external_id "
            "WHERE o.status = 'cancelled' "
            "OR NOT EXISTS (SELECT 1 FROM erp.sales_order_line l WHERE l.sales_order_id = o.id)",
            "only an order with lines that was not cancelled is invoiced (import its lines first)",
        ),
        again_in_file(
            "order_external_id",
            "order_external_id",
            "voided_at IS NULL",
            "the order has two invoices that are not void: a historical invoice bills the "
            "whole order",
        ),
        Reference(
            "order_external_id",
            "SELECT s.line, s.order_external_id FROM staging s "
            "JOIN erp.sales_order o ON o.external_source = $1 "
            "AND o.external_id = s.order_external_id "
            "JOIN erp.invoice i ON i.sales_order_id = o.id AND i.status <> 'void' "
            "WHERE s.voided_at IS NULL "
            "AND (i.external_source, i.external_id) IS DISTINCT FROM ($1::text, s.external_id)",
            "the order has another invoice that is not void: a historical invoice bills the "
            "whole order",
        ),
        Reference(
            "voided_at",
            "SELECT s.line, s.voided_at FROM staging s JOIN erp.invoice i "
            "ON i.external_source = $1 AND i.external_id = s.external_id "
            "WHERE s.voided_at IS NOT NULL "
            "AND EXISTS (SELECT 1 FROM erp.payment p WHERE p.invoice_id = i.id)",
            "an invoice with payments cannot be voided",
        ),
        taken("number", "erp.invoice", "another invoice has this number"),
        unchangeable("number", "erp.invoice", "an invoice's number never changes"),
        _moved("erp.invoice", "an invoice never moves to another order"),
    ),
    # Amounts come from the order; a void invoice is `void`, any other starts `issued` and
    # takes the status its payments give it (`_invoice_statuses`).
    upsert="""
WITH rows AS (
  SELECT s.*, o.id AS sales_order_id, o.customer_id, o.currency, o.subtotal, o.tax_total,
         o.total,
         nextval((SELECT pg_get_serial_sequence('erp.invoice', 'id'))::regclass) AS new_id
  FROM staging s
  JOIN erp.sales_order o ON o.external_source = $1 AND o.external_id = s.order_external_id
  ORDER BY s.line
)
INSERT INTO erp.invoice AS t (
  id, number, customer_id, sales_order_id, status, currency, issued_on, due_on, subtotal,
  tax_total, total, voided_at, void_reason, external_source, external_id)
SELECT new_id, coalesce(number, 'INV-' || lpad(new_id::text, 8, '0')), customer_id,
       sales_order_id, CASE WHEN voided_at IS NULL THEN 'issued' ELSE 'void' END, currency,
       issued_on, due_on, subtotal, tax_total, total, voided_at, void_reason, $1, external_id
FROM rows
ON CONFLICT (external_source, external_id) DO UPDATE SET
  status = CASE WHEN excluded.status = 'void' THEN 'void'
                WHEN t.status = 'void' THEN 'issued' ELSE t.status END,
  issued_on = excluded.issued_on, due_on = excluded.due_on, voided_at = excluded.voided_at,
  void_reason = excluded.void_reason
WHERE (t.issued_on, t.due_on, t.voided_at, t.void_reason)
  IS DISTINCT FROM (excluded.issued_on, excluded.due_on, excluded.voided_at, excluded.void_reason)
RETURNING t.id, (xmax = 0) AS inserted""",
    export="""
SELECT coalesce(i.external_id, i.number) AS external_id, i.number,
       coalesce(o.external_id, o.number) AS order_external_id, i.issued_on, i.due_on,
       i.voided_at, i.void_reason
FROM erp.invoice i
JOIN erp.sales_order o ON o.id = i.sales_order_id
WHERE o.status IN ('fulfilled', 'cancelled') AND ($1::text IS NULL OR i.external_source = $1)""",
    example="external_id,number,order_external_id,issued_on,due_on,voided_at,void_reason",
    after=_invoiced,
)


def _payment(problems: Problems, record: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {"number": _number(problems, record)}
    values["invoice_external_id"] = key_value(
        problems, "invoiceExternalId", record.get("invoice_external_id")
    )
    amount = decimal_value(problems, "amount", record.get("amount"))
    if amount is None and record.get("amount") in (None, ""):
        problems.add("amount", "must not be empty")
    values["amount"] = validation.amount(problems, "amount", amount, allow_zero=False)
    values["method"] = one_of(
        problems, "method", lowered(record.get("method")) or "bank_transfer", PAYMENT_METHODS
    )
    values["reference"] = validation.text(
        problems, "reference", record.get("reference"), max_length=100, required=False
    )
    values["received_at"] = instant_value(
        problems, "receivedAt", record.get("received_at"), required=True
    )
    return values


async def _set_statuses(
    connection: asyncpg.Connection, ids: list[int], statuses: list[str]
) -> None:
    await connection.execute(
        "UPDATE erp.invoice i SET status = u.status "
        "FROM unnest($1::bigint[], $2::text[]) AS u(id, status) WHERE i.id = u.id",
        ids,
        statuses,
    )


PAYMENTS = Kind(
    name="payments",
    kept_if_empty=("number",),
    also_writes=("erp.invoice",),
    feeds=("metrics",),
    table="erp.payment",
    staged=(
        ("number", "text"),
        ("invoice_external_id", "text"),
        ("amount", "numeric"),
        ("method", "text"),
        ("reference", "text"),
        ("received_at", "timestamptz"),
    ),
    check=_payment,
    references=(
        external_reference(
            "invoice_external_id",
            "erp.invoice",
            "no invoice of this source has this external_id (import invoices first)",
        ),
        Reference(
            "invoice_external_id",
            "SELECT s.line, s.invoice_external_id FROM staging s JOIN erp.invoice i "
            "ON i.external_source = $1 AND i.external_id = s.invoice_external_id "
            "WHERE i.status = 'void'",
            "a void invoice takes no money",
        ),
        Reference(
            "amount",
            # Every payment of an invoice once: those in the file, and those already held
            # that the file does not name again.
            """
WITH filed AS (
  SELECT invoice_external_id, sum(amount) AS amount FROM staging GROUP BY invoice_external_id
), kept AS (
  SELECT p.invoice_id, sum(p.amount) AS amount
  FROM filed f
  JOIN erp.invoice i ON i.external_source = $1 AND i.external_id = f.invoice_external_id
  JOIN erp.payment p ON p.invoice_id = i.id
  WHERE NOT EXISTS (
    SELECT 1 FROM staging s WHERE p.external_source = $1 AND s.external_id = p.external_id)
  GROUP BY p.invoice_id
), over AS (
  SELECT f.invoice_external_id
  FROM filed f
  JOIN erp.invoice i ON i.external_source = $1 AND i.external_id = f.invoice_external_id
  LEFT JOIN kept k ON k.invoice_id = i.id
  WHERE f.amount + coalesce(k.amount, 0) > i.total
)
SELECT s.line, s.amount FROM staging s JOIN over USING (invoice_external_id)""",
            "the invoice's payments would come to more than its total",
        ),
        taken("number", "erp.payment", "another payment has this number"),
        unchangeable("number", "erp.payment", "a payment's number never changes"),
    ),
    upsert="""
WITH rows AS (
  SELECT s.*, i.id AS invoice_id, i.customer_id, i.currency,
         nextval((SELECT pg_get_serial_sequence('erp.payment', 'id'))::regclass) AS new_id
  FROM staging s
  JOIN erp.invoice i ON i.external_source = $1 AND i.external_id = s.invoice_external_id
  ORDER BY s.line
)
INSERT INTO erp.payment AS t (
  id, number, invoice_id, customer_id, amount, currency, method, reference, received_at,
  external_source, external_id)
SELECT new_id, coalesce(number, 'PAY-' || lpad(new_id::text, 8, '0')), invoice_id,
       customer_id, amount, currency, method, reference, received_at, $1, external_id
FROM rows
ON CONFLICT (external_source, external_id) DO UPDATE SET
  invoice_id = excluded.invoice_id, customer_id = excluded.customer_id,
  amount = excluded.amount, currency = excluded.currency, method = excluded.method,
  reference = excluded.reference, received_at = excluded.received_at
WHERE (t.invoice_id, t.amount, t.method, t.reference, t.received_at)
  IS DISTINCT FROM
      (excluded.invoice_id, excluded.amount, excluded.method, excluded.reference,
       excluded.received_at)
RETURNING t.invoice_id AS id, (xmax = 0) AS inserted""",
    export="""
SELECT coalesce(p.external_id, p.number) AS external_id, p.number,
       coalesce(i.external_id, i.number) AS invoice_external_id, p.amount, p.method,
       p.reference, p.received_at
FROM erp.payment p
JOIN erp.invoice i ON i.id = p.invoice_id
JOIN erp.sales_order o ON o.id = i.sales_order_id
WHERE o.status IN ('fulfilled', 'cancelled') AND ($1::text IS NULL OR p.external_source = $1)""",
    example="external_id,number,invoice_external_id,amount,method,reference,received_at",
    after=_invoice_statuses,
)


HISTORY = (SALES_ORDERS, SALES_ORDER_LINES, DELIVERIES, INVOICES, PAYMENTS)
