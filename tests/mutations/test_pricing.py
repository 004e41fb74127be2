"""A customer's CRM tier sets the ERP price it pays; the client never sends a price."""

from tests.mutations.conftest import Execute, World
from tests.mutations.operations import ERRORS, create_customer, create_item, place

UPDATE = f"""mutation($input: CustomerUpdateInput!) {{ customerUpdate(input: $input) {{
  customer {{ tier version }} {ERRORS} }} }}"""


async def _basket(execute: Execute, world: World) -> list[tuple[str, int]]:
    hardware = await create_item(execute, world, sku="HW-1", price="19.99", stock=500)
    service = await create_item(
        execute, world, sku="SV-1", price="120.00", stock=500, category="SERVICES"
    )
    consumable = await create_item(
        execute, world, sku="CO-1", price="3.33", stock=500, category="CONSUMABLES"
    )
    return [(hardware, 12), (service, 1), (consumable, 60)]


def _prices(order: dict) -> list[tuple[str, str, str, str]]:  # type: ignore[type-arg]
    return [
        (line["discountPercent"], line["unitPrice"], line["lineTotal"], line["taxAmount"])
        for line in order["lines"]
    ]


async def test_the_same_order_costs_what_each_tier_rules_say(
    execute: Execute, world: World
) -> None:
    basket = await _basket(execute, world)
    bronze = await create_customer(execute, name="Small Shop", tier="BRONZE", country="DE")
    platinum = await create_customer(execute, name="Big Corp", tier="PLATINUM", country="DE")

    cheap = (await place(execute, world, bronze["id"], basket))["salesOrder"]
    # Bronze: 2.5 % from 10 units, 5 % from 50; no category rules. 19 % VAT per line.
    assert _prices(cheap) == [
        ("2.50", "19.49", "233.88", "44.44"),
        ("0.00", "120.00", "120.00", "22.80"),
        ("5.00", "3.16", "189.60", "36.02"),
    ]
    assert (cheap["subtotal"], cheap["discountTotal"], cheap["taxTotal"], cheap["total"]) == (
        "543.48",
        "16.20",
        "103.26",
        "646.74",
    )

    best = (await place(execute, world, platinum["id"], basket))["salesOrder"]
    # Platinum: 17.5 % from 10 units; services only 7.5 %; consumables 20 % from 10 units.
    assert _prices(best) == [
        ("17.50", "16.49", "197.88", "37.60"),
        ("7.50", "111.00", "111.00", "21.09"),
        ("20.00", "2.66", "159.60", "30.32"),
    ]
    assert (best["subtotal"], best["discountTotal"], best["taxTotal"], best["total"]) == (
        "468.48",
        "91.20",
        "89.01",
        "557.49",
    )


async def test_a_tier_upgrade_changes_the_price_of_the_next_order(
    execute: Execute, world: World
) -> None:
    item = await create_item(execute, world, sku="HW-2", price="10.00", stock=100)
    customer = await create_customer(execute, tier="BRONZE", country="US")
    before = (await place(execute, world, customer["id"], [(item, 1)]))["salesOrder"]
    upgraded = (
        await execute(
            UPDATE,
            {"input": {"id": customer["id"], "version": customer["version"] + 1, "tier": "GOLD"}},
        )
    )["customerUpdate"]
    # Placing the first order made the lead active, which is a change of its own.
    assert upgraded["errors"] == [] and upgraded["customer"]["tier"] == "GOLD"
    after = (await place(execute, world, customer["id"], [(item, 1)]))["salesOrder"]
    assert (before["total"], after["total"]) == ("10.00", "9.00")  # no VAT for US customers
    assert before["lines"][0]["unitPrice"] == "10.00"  # history keeps the price it was sold at
