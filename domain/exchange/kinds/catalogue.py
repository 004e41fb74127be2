"""What a company sells and what it has: stock items, price lists and their rules, and the
stock on hand on the day bizgraph takes over (see `domain.exchange.kinds.base`)."""

from collections.abc import Mapping
from typing import Any

import asyncpg

from domain.core import validation
from domain.core.errors import Problems
from domain.erp import price_lists, stock_items
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
    taken,
    unchangeable,
    whole_value,
)


def _stock_item(problems: Problems, record: Mapping[str, Any]) -> dict[str, Any]:
    given: dict[str, Any] = {"name": record.get("name"), "description": record.get("description")}
    category = record.get("category")
    given["category"] = category.strip().lower() if isinstance(category, str) else category
    given["unit_price"] = decimal_value(problems, "unitPrice", record.get("unit_price"))
    given["unit_cost"] = decimal_value(problems, "unitCost", record.get("unit_cost"))
    given["reorder_point"] = whole_value(problems, "reorderPoint", record.get("reorder_point"), 0)
    given["pack_size"] = whole_value(problems, "packSize", record.get("pack_size"), 1)
    values = stock_items.checked(problems, given)
    values["sku"] = validation.text(problems, "sku", record.get("sku"), max_length=40)
    values["currency"] = validation.currency(
        problems, "currency", str(record.get("currency") or "EUR").strip().upper()
    )
    supplier = record.get("supplier_external_id")
    values["supplier_external_id"] = str(supplier).strip() if supplier not in (None, "") else None
    return values


STOCK_ITEMS = Kind(
    name="stock_items",
    feeds=("demand",),
    table="erp.stock_item",
    staged=(
        ("sku", "text"),
        ("name", "text"),
        ("description", "text"),
        ("category", "text"),
        ("unit_price", "numeric"),
        ("unit_cost", "numeric"),
        ("currency", "text"),
        ("reorder_point", "int"),
        ("pack_size", "int"),
        ("supplier_external_id", "text"),
    ),
    check=_stock_item,
    references=(
        taken("sku", "erp.stock_item", "another item has this SKU"),
        unchangeable("sku", "erp.stock_item", "an item's SKU never changes (orders name it)"),
        unchangeable(
            "currency",
            "erp.stock_item",
            "an item's currency never changes (orders are priced in it)",
        ),
        external_reference(
            "supplier_external_id",
            "erp.supplier",
            "no supplier of this source has this external_id (import suppliers first)",
        ),
    ),
    upsert="""
INSERT INTO erp.stock_item AS t (
  sku, name, description, category, unit_price, unit_cost, currency, reorder_point, pack_size,
  supplier_id, external_source, external_id)
SELECT s.sku, s.name, s.description, s.category, s.unit_price, s.unit_cost, s.currency,
       s.reorder_point, s.pack_size, p.id, $1, s.external_id
FROM staging s
LEFT JOIN erp.supplier p ON p.external_source = $1 AND p.external_id = s.supplier_external_id
ON CONFLICT (external_source, external_id) DO UPDATE SET
  name = excluded.name, description = excluded.description, category = excluded.category,
  unit_price = excluded.unit_price, unit_cost = excluded.unit_cost,
  reorder_point = excluded.reorder_point, pack_size = excluded.pack_size,
  supplier_id = excluded.supplier_id, version = t.version + 1
WHERE (t.name, t.description, t.category, t.unit_price, t.unit_cost, t.reorder_point,
       t.pack_size, t.supplier_id)
  IS DISTINCT FROM
      (excluded.name, excluded.description, excluded.category, excluded.unit_price,
       excluded.unit_cost, excluded.reorder_point, excluded.pack_size, excluded.supplier_id)
RETURNING t.id, (xmax = 0) AS inserted""",
    export="""
SELECT coalesce(i.external_id, i.sku) AS external_id, i.sku, i.name, i.description, i.category,
       i.unit_price, i.unit_cost, i.currency, i.reorder_point, i.pack_size,
       coalesce(p.external_id, p.code) AS supplier_external_id
FROM erp.stock_item i
LEFT JOIN erp.supplier p ON p.id = i.supplier_id
WHERE i.archived_at IS NULL AND ($1::text IS NULL OR i.external_source = $1)""",
    example="external_id,sku,name,category,unit_price,unit_cost,currency,reorder_point,"
    "pack_size,supplier_external_id",
)


def _price_list(problems: Problems, record: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": validation.text(
            problems, "name", record.get("name"), max_length=price_lists.NAME_CHARS
        ),
        "currency": validation.currency(problems, "currency", str(record.get("currency") or "EUR")),
        "valid_from": day_value(problems, "validFrom", record.get("valid_from"), required=True),
        "valid_to": day_value(problems, "validTo", record.get("valid_to"), required=False),
    }
    price_lists.check_dates(problems, values["valid_from"], values["valid_to"])
    active = lowered(record.get("is_active"))
    if active not in (None, "", "true", "false"):
        problems.add("isActive", "must be true or false")
    values["is_active"] = active != "false"
    return values


PRICE_LISTS = Kind(
    name="price_lists",
    table="erp.price_list",
    staged=(
        ("name", "text"),
        ("currency", "text"),
        ("valid_from", "date"),
        ("valid_to", "date"),
        ("is_active", "boolean"),
    ),
    check=_price_list,
    references=(
        again_in_file("name", "name", "", "the file names this price list twice"),
        taken("name", "erp.price_list", "another price list has this name"),
        unchangeable(
            "currency", "erp.price_list", "a list's currency never changes (orders name it)"
        ),
        unchangeable("valid_from", "erp.price_list", "a list's first day never changes"),
    ),
    upsert="""
INSERT INTO erp.price_list AS t (
  name, currency, valid_from, valid_to, is_active, external_source, external_id)
SELECT name, currency, valid_from, valid_to, is_active, $1, external_id FROM staging
ON CONFLICT (external_source, external_id) DO UPDATE SET
  name = excluded.name, valid_to = excluded.valid_to, is_active = excluded.is_active,
  version = t.version + 1
WHERE (t.name, t.valid_to, t.is_active)
  IS DISTINCT FROM (excluded.name, excluded.valid_to, excluded.is_active)
RETURNING t.id, (xmax = 0) AS inserted""",
    export="""
SELECT coalesce(external_id, name) AS external_id, name, currency, valid_from, valid_to,
       is_active
FROM erp.price_list
WHERE $1::text IS NULL OR external_source = $1""",
    example="external_id,name,currency,valid_from,valid_to,is_active",
)


def _price_rule(problems: Problems, record: Mapping[str, Any]) -> dict[str, Any]:
    given = {
        "tier": lowered(record.get("tier")),
        "category": lowered(record.get("category")) or None,
        "min_quantity": whole_value(problems, "minQuantity", record.get("min_quantity"), 1),
        "discount_percent": decimal_value(
            problems, "discountPercent", record.get("discount_percent")
        ),
    }
    values = price_lists.checked_rule(problems, given)
    values["price_list_external_id"] = key_value(
        problems, "priceListExternalId", record.get("price_list_external_id")
    )
    return values


async def _touched_lists(connection: asyncpg.Connection, source: str) -> None:
    """A list whose rules changed has a new version, as after `priceListSetRule`."""
    await connection.execute(
        "UPDATE erp.price_list SET version = version + 1 WHERE id IN (SELECT id FROM written)"
    )


PRICE_RULES = Kind(
    name="price_rules",
    table="erp.price_rule",
    staged=(
        ("price_list_external_id", "text"),
        ("tier", "text"),
        ("category", "text"),
        ("min_quantity", "int"),
        ("discount_percent", "numeric"),
    ),
    check=_price_rule,
    references=(
        external_reference(
            "price_list_external_id",
            "erp.price_list",
            "no price list of this source has this external_id (import price_lists first)",
        ),
        again_in_file(
            "tier",
            "price_list_external_id, tier, category, min_quantity",
            "",
            "the list has a rule for this tier, category and quantity twice",
        ),
        Reference(
            "tier",
            "SELECT s.line, s.tier FROM staging s JOIN erp.price_list p "
            "ON p.external_source = $1 AND p.external_id = s.price_list_external_id "
            "JOIN erp.price_rule r ON r.price_list_id = p.id AND r.tier = s.tier "
            "AND r.category IS NOT DISTINCT FROM s.category AND r.min_quantity = s.min_quantity "
            "WHERE (r.external_source, r.external_id) IS DISTINCT FROM ($1::text, s.external_id)",
            "the list has another rule for this tier, category and quantity",
        ),
    ),
    upsert="""
INSERT INTO erp.price_rule AS t (
  price_list_id, tier, category, min_quantity, discount_percent, external_source, external_id)
SELECT p.id, s.tier, s.category, s.min_quantity, s.discount_percent, $1, s.external_id
FROM staging s
JOIN erp.price_list p ON p.external_source = $1 AND p.external_id = s.price_list_external_id
ON CONFLICT (external_source, external_id) DO UPDATE SET
  price_list_id = excluded.price_list_id, tier = excluded.tier, category = excluded.category,
  min_quantity = excluded.min_quantity, discount_percent = excluded.discount_percent
WHERE (t.price_list_id, t.tier, t.category, t.min_quantity, t.discount_percent)
  IS DISTINCT FROM
      (excluded.price_list_id, excluded.tier, excluded.category, excluded.min_quantity,
       excluded.discount_percent)
RETURNING t.price_list_id AS id, (xmax = 0) AS inserted""",
    export="""
SELECT coalesce(r.external_id, p.name || '/' || r.tier || '/' || coalesce(r.category, '*')
                || '/' || r.min_quantity) AS external_id,
       coalesce(p.external_id, p.name) AS price_list_external_id, r.tier, r.category,
       r.min_quantity, r.discount_percent
FROM erp.price_rule r
JOIN erp.price_list p ON p.id = r.price_list_id
WHERE $1::text IS NULL OR r.external_source = $1""",
    example="external_id,price_list_external_id,tier,category,min_quantity,discount_percent",
    after=_touched_lists,
)


def _opening_stock(problems: Problems, record: Mapping[str, Any]) -> dict[str, Any]:
    quantity = whole_value(problems, "quantity", record.get("quantity"), None)
    if quantity is None:
        problems.add("quantity", "must not be empty")
    return {
        "stock_item_external_id": key_value(
            problems, "stockItemExternalId", record.get("stock_item_external_id")
        ),
        "warehouse": key_value(problems, "warehouse", record.get("warehouse")),
        "quantity": (
            validation.quantity(problems, "quantity", quantity) if quantity is not None else None
        ),
        "counted_at": instant_value(
            problems, "countedAt", record.get("counted_at"), required=False
        ),
    }


async def _opening_levels(connection: asyncpg.Connection, source: str) -> None:
    """Stock on hand grows by each new opening balance, through the movement ledger; it is
    valued at the item's standard cost."""
    await connection.execute(
        """
INSERT INTO erp.stock_level AS l (stock_item_id, warehouse_id, on_hand, stock_value)
SELECT m.stock_item_id, m.warehouse_id, sum(m.delta_on_hand), sum(m.value)
FROM written w JOIN erp.stock_movement m ON m.id = w.id
GROUP BY m.stock_item_id, m.warehouse_id
ON CONFLICT (stock_item_id, warehouse_id) DO UPDATE SET
  on_hand = l.on_hand + excluded.on_hand, stock_value = l.stock_value + excluded.stock_value,
  updated_at = now()"""
    )


OPENING_STOCK = Kind(
    name="opening_stock",
    also_writes=("erp.stock_level",),
    feeds=("demand",),
    table="erp.stock_movement",
    staged=(
        ("stock_item_external_id", "text"),
        ("warehouse", "text"),
        ("quantity", "int"),
        ("counted_at", "timestamptz"),
    ),
    check=_opening_stock,
    references=(
        external_reference(
            "stock_item_external_id",
            "erp.stock_item",
            "no stock item of this source has this external_id (import stock_items first)",
        ),
        WAREHOUSE,
        again_in_file(
            "warehouse",
            "stock_item_external_id, warehouse",
            "",
            "the file gives this item's stock in this warehouse twice",
        ),
        Reference(
            "quantity",
            "SELECT s.line, s.quantity FROM staging s JOIN erp.stock_movement m "
            "ON m.external_source = $1 AND m.external_id = s.external_id "
            "JOIN erp.stock_item i ON i.id = m.stock_item_id "
            "JOIN erp.warehouse w ON w.id = m.warehouse_id "
            "WHERE (m.delta_on_hand, i.external_id, w.code) IS DISTINCT FROM "
            "(s.quantity, s.stock_item_external_id, s.warehouse)",
            "an opening balance is taken once: change stock with stockAdjust",
        ),
        Reference(
            "warehouse",
            "SELECT s.line, s.warehouse FROM staging s "
            "JOIN erp.stock_item i ON i.external_source = $1 "
            "AND i.external_id = s.stock_item_external_id "
            "JOIN erp.warehouse w ON w.code = s.warehouse "
            "JOIN erp.stock_movement m ON m.stock_item_id = i.id AND m.warehouse_id = w.id "
            "AND m.external_source = $1 AND m.external_id <> s.external_id",
            "this item has an opening balance in this warehouse already",
        ),
    ),
    # Imported once, never updated (a count differing later is refused above).
    upsert="""
INSERT INTO erp.stock_movement AS t (
  stock_item_id, warehouse_id, kind, delta_on_hand, value, reason, occurred_at, external_source,
  external_id)
SELECT i.id, w.id, 'adjustment', s.quantity, round(s.quantity * i.unit_cost, 2),
       'opening balance', coalesce(s.counted_at, now()), $1, s.external_id
FROM staging s
JOIN erp.stock_item i ON i.external_source = $1 AND i.external_id = s.stock_item_external_id
JOIN erp.warehouse w ON w.code = s.warehouse
ON CONFLICT (external_source, external_id) DO NOTHING
RETURNING t.id, true AS inserted""",
    export="""
SELECT m.external_id, coalesce(i.external_id, i.sku) AS stock_item_external_id,
       w.code AS warehouse, m.delta_on_hand AS quantity, m.occurred_at AS counted_at
FROM erp.stock_movement m
JOIN erp.stock_item i ON i.id = m.stock_item_id
JOIN erp.warehouse w ON w.id = m.warehouse_id
WHERE m.external_id IS NOT NULL AND m.reason = 'opening balance'
  AND ($1::text IS NULL OR m.external_source = $1)""",
    example="external_id,stock_item_external_id,warehouse,quantity,counted_at",
    after=_opening_levels,
)
