"""Price lists and their tier rules: what sets a customer's prices, listed and changed."""

from datetime import date
from decimal import Decimal

import strawberry
from strawberry import relay

from domain.erp import price_lists
from domain.erp.models import PriceList as PriceListModel
from domain.erp.models import PriceRule as PriceRuleModel
from schema.core.connections import by_date, root_connection
from schema.core.ids import decode
from schema.core.mutations import enum_value, given, mutation, retry_key
from schema.core.nodes import TableNode, desc
from schema.core.relations import Children, ToOne
from schema.crm.customers import CustomerTier
from schema.erp.stock_items import StockCategory


@strawberry.type(description="A discount a tier gets from a price list.")
class PriceRule(TableNode):
    MODEL = PriceRuleModel
    id: relay.NodeID[int]
    tier: CustomerTier = desc("The tier it applies to.")
    category: StockCategory | None = desc("Only items of this category; null: every item.")
    min_quantity: int = desc("From this many units of a line.")
    discount_percent: Decimal = desc("Discount off the list price, in percent.")

    price_list: "PriceList | None" = ToOne["PriceList"]("price_list_id").field(
        "The list it belongs to."
    )


@strawberry.type(
    description="Tier rules in one currency. An order is priced by the active list of its "
    "currency valid on its day that started last; the best rule of the customer's tier wins "
    "(one for the item's category over a general one, then the highest quantity break)."
)
class PriceList(TableNode):
    MODEL = PriceListModel
    id: relay.NodeID[int]
    name: str = desc("Name.")
    currency: str = desc("ISO currency of the orders it prices.")
    valid_from: date = desc("First day it prices orders.")
    valid_to: date | None = desc("Last day it prices orders; null: open-ended.")
    is_active: bool = desc("Whether it prices orders at all.")
    version: int = desc("Increases with every change to the list or its rules.")

    rules: list[PriceRule] = Children[PriceRule](
        "price_list_id", order=("tier", "category", "min_quantity"), estimated_items=20
    ).field("Its rules, by tier, category and quantity.")


@strawberry.type
class PriceListQueries:
    price_lists = root_connection(
        PriceList, description="Price lists, latest start first.", sort=by_date("valid_from")
    )


@strawberry.input(description="A new price list (set its rules with priceRuleSet).")
class PriceListCreateInput:
    name: str = strawberry.field(description="Name, unique.")
    currency: str = strawberry.field(description="ISO currency of the orders it prices.")
    valid_from: date = strawberry.field(description="First day it prices orders.")
    valid_to: date | None = strawberry.field(
        default=strawberry.UNSET, description="Last day; null or left out: open-ended."
    )
    idempotency_key: str | None = retry_key("adding a second list")


@strawberry.input(description="Changes to a price list; fields left out keep their value.")
class PriceListUpdateInput:
    id: strawberry.ID = strawberry.field(description="The price list.")
    version: int = strawberry.field(description="The version you read; a newer one is a CONFLICT.")
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Name, unique.")
    valid_to: date | None = strawberry.field(
        default=strawberry.UNSET, description="Last day it prices orders; null: open-ended."
    )
    is_active: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Whether it prices orders at all."
    )


@strawberry.input(description="Set a tier's discount in a price list (added or changed).")
class PriceRuleSetInput:
    price_list: strawberry.ID = strawberry.field(description="The price list.")
    version: int = strawberry.field(
        description="The list's version you read; a newer one is a CONFLICT."
    )
    tier: CustomerTier = strawberry.field(description="The tier.")
    category: StockCategory | None = strawberry.field(
        default=None, description="Only items of this category; null: every item."
    )
    min_quantity: int = strawberry.field(default=1, description="From this many units of a line.")
    discount_percent: Decimal = strawberry.field(description="Discount in percent (0–100).")
    idempotency_key: str | None = retry_key("setting it twice")


@strawberry.input(description="Remove a rule from its price list.")
class PriceRuleRemoveInput:
    rule: strawberry.ID = strawberry.field(description="The rule.")
    version: int = strawberry.field(
        description="The list's version you read; a newer one is a CONFLICT."
    )
    idempotency_key: str | None = retry_key("removing it twice")


def _created(input: PriceListCreateInput) -> dict[str, object]:
    return given(input, "name", "currency", "valid_from", "valid_to")


def _changed(input: PriceListUpdateInput) -> dict[str, object]:
    return given(input, "name", "valid_to", "is_active")


@strawberry.type
class PriceListMutations:
    price_list_create = mutation(
        PriceListCreateInput,
        PriceList,
        "Add a price list.",
        lambda input, session, journal: price_lists.create(
            session=session, journal=journal, given=_created(input)
        ),
    )
    price_list_update = mutation(
        PriceListUpdateInput,
        PriceList,
        "Rename a price list, end it or switch it off (its currency and first day stay).",
        lambda input, session, journal: price_lists.update(
            session=session,
            journal=journal,
            price_list_id=decode(input.id, "PriceList", "id"),
            version=input.version,
            given=_changed(input),
        ),
    )
    price_rule_set = mutation(
        PriceRuleSetInput,
        PriceList,
        "Set the discount of a tier (for a category, from a quantity) in a price list. "
        "Orders placed from now on are priced by it; orders taken keep their prices.",
        lambda input, session, journal: price_lists.set_rule(
            session=session,
            journal=journal,
            price_list_id=decode(input.price_list, "PriceList", "priceList"),
            version=input.version,
            given={
                "tier": enum_value(input.tier),
                "category": enum_value(input.category),
                "min_quantity": input.min_quantity,
                "discount_percent": input.discount_percent,
            },
        ),
    )
    price_rule_remove = mutation(
        PriceRuleRemoveInput,
        PriceList,
        "Remove a rule from its price list.",
        lambda input, session, journal: price_lists.remove_rule(
            session=session,
            journal=journal,
            rule_id=decode(input.rule, "PriceRule", "rule"),
            version=input.version,
        ),
    )
