"""The material plan: what to make and what to buy so that demand from CRM (weighted deals)
and ERP (orders, work orders) and the demand forecast are met (`domain.flows.material_plan`)."""

from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.types import Info

from domain.core.errors import DomainError
from domain.core.journal import Journal
from domain.core.sessions import Session
from domain.flows import material_plan
from domain.production import netting
from schema.core.ids import decode, decode_id
from schema.core.mutations import INPUT, MutationError, run_mutation
from schema.core.relations import ESTIMATED_ITEMS
from schema.erp.purchase_orders import PurchaseOrder
from schema.erp.stock_items import StockItem
from schema.erp.warehouses import Warehouse
from schema.production.work_orders import WorkOrder


@strawberry.enum(description="What a suggestion proposes.")
class PlanAction(Enum):
    MAKE = strawberry.enum_value("make", description="A work order (the item has an active BOM).")
    BUY = strawberry.enum_value("buy", description="A purchase order from the item's supplier.")


@strawberry.enum(description="Where a demand comes from.")
class DemandSource(Enum):
    SALES_ORDER_LINE = strawberry.enum_value(
        "sales_order_line", description="A line of a draft order (placed ones hold stock)."
    )
    FORECAST = strawberry.enum_value(
        "forecast", description="A week of the item's demand forecast for this warehouse."
    )
    OPPORTUNITY = strawberry.enum_value(
        "opportunity", description="An open deal's product line, weighted by probability."
    )
    WORK_ORDER = strawberry.enum_value(
        "work_order", description="A component of a planned work order."
    )
    SUGGESTION = strawberry.enum_value(
        "suggestion", description="A component of a make suggestion one level up."
    )


_RECORD_TYPES = {
    "sales_order_line": "SalesOrderLine",
    "opportunity": "Opportunity",
    "work_order": "WorkOrder",
}


@strawberry.type(description="A demand a suggestion serves, and how much of it.")
class PlanPeg:
    source: DemandSource = strawberry.field(description="Where the demand comes from.")
    on: date = strawberry.field(description="When it is needed.")
    quantity: Decimal = strawberry.field(description="Units of it this suggestion covers.")
    record: strawberry.ID | None = strawberry.field(
        description="The order line, deal or work order behind it (a global ID); null for "
        "the forecast and for suggestions."
    )
    reference: str = strawberry.field(
        description="The source's own reference: a record's key, the forecast week's first "
        "day, or the key of the suggestion one level up."
    )

    @classmethod
    def of(cls, peg: netting.Peg) -> "PlanPeg":
        type_name = _RECORD_TYPES.get(peg.source)
        return cls(
            source=DemandSource(peg.source),
            on=peg.on,
            quantity=_units(peg.quantity),
            record=strawberry.ID(relay.to_base64(type_name, peg.reference)) if type_name else None,
            reference=peg.reference,
        )


def _units(quantity: Decimal) -> Decimal:
    """Units to four decimal places, without trailing zeros (34, 17.6)."""
    text = format(quantity.quantize(Decimal("0.0001")), "f")
    return Decimal(text.rstrip("0").rstrip(".") if "." in text else text)


@strawberry.type(description="A work order or purchase order the plan suggests.")
class PlanSuggestion:
    key: str = strawberry.field(
        description="Stable while the facts stay the same: `action:item:due day`."
    )
    action: PlanAction = strawberry.field(description="Make or buy.")
    quantity: int = strawberry.field(description="Units (purchases in whole packs).")
    start_on: date = strawberry.field(
        description="When to start making, or to order (lead time before it is due; never "
        "before today)."
    )
    due_on: date = strawberry.field(description="When the units are needed.")
    late: bool = strawberry.field(
        description="It should have started or been ordered before today: expedite."
    )
    pegs: list[PlanPeg] = strawberry.field(
        description="The demands it serves.", metadata={ESTIMATED_ITEMS: 5}
    )
    item_id: strawberry.Private[int]

    @strawberry.field(description="The item to make or buy.")
    async def stock_item(self, info: Info) -> StockItem | None:
        (found,) = await StockItem.resolve_nodes(info=info, node_ids=[str(self.item_id)])
        return found


@strawberry.type(description="What to make and buy so that the demand of the horizon is met.")
class MaterialPlan:
    horizon_days: int = strawberry.field(description="Days planned ahead.")
    planned_on: date = strawberry.field(description="The day the plan starts from (today).")
    items: int = strawberry.field(description="Items netted (every item of the catalogue).")
    demands: int = strawberry.field(description="Independent demands taken into account.")
    suggestions: list[PlanSuggestion] = strawberry.field(
        description="Make and buy suggestions, top level first, each by due day.",
        metadata={ESTIMATED_ITEMS: 1000},
    )
    warehouse_id: strawberry.Private[int]

    @strawberry.field(description="The warehouse planned.")
    async def warehouse(self, info: Info) -> Warehouse | None:
        (found,) = await Warehouse.resolve_nodes(info=info, node_ids=[str(self.warehouse_id)])
        return found


@strawberry.type
class MaterialPlanQueries:
    @strawberry.field(
        description="Material requirements planning for one warehouse: draft orders, planned "
        "work orders, the demand forecast (and weighted open deals) netted against free "
        "stock, open purchase orders and work orders, level by level through the bills of "
        "materials with lead times; suggests work orders and purchase orders, each pegged "
        "to the demand it serves. Computed on request."
    )
    async def material_plan(
        self,
        info: Info,
        warehouse: Annotated[
            relay.GlobalID, strawberry.argument(description="The warehouse to plan.")
        ],
        horizon_days: Annotated[
            int, strawberry.argument(description="Days ahead, 1 to 365 (default 90).")
        ] = 90,
    ) -> MaterialPlan | None:
        if not 1 <= horizon_days <= material_plan.MAX_HORIZON_DAYS:
            raise GraphQLError(
                f"`horizonDays` must be between 1 and {material_plan.MAX_HORIZON_DAYS}",
                extensions={"code": "BAD_USER_INPUT", "argument": "horizonDays"},
            )
        warehouse_id = decode_id(warehouse, "Warehouse", "warehouse")
        assert warehouse_id is not None
        plan = await material_plan.material_plan(
            info.context.loaders.fetch_once,
            warehouse_id=warehouse_id,
            horizon_days=horizon_days,
            today=date.today(),
        )
        return MaterialPlan(
            horizon_days=plan.horizon_days,
            planned_on=plan.today,
            items=plan.items,
            demands=plan.demands,
            suggestions=[
                PlanSuggestion(
                    key=s.key,
                    action=PlanAction(s.action),
                    quantity=s.quantity,
                    start_on=s.start_on,
                    due_on=s.due_on,
                    late=s.late,
                    pegs=[PlanPeg.of(peg) for peg in s.pegs],
                    item_id=s.item_id,
                )
                for s in plan.suggestions
            ],
            warehouse_id=warehouse_id,
        )


@strawberry.input(description="Chosen suggestions of a warehouse's material plan.")
class MaterialPlanApplyInput:
    warehouse: strawberry.ID = strawberry.field(description="The warehouse planned.")
    suggestions: list[str] = strawberry.field(
        description="Keys of the suggestions to draft (`PlanSuggestion.key`)."
    )
    horizon_days: int = strawberry.field(
        default=90, description="The horizon the suggestions came from (1 to 365)."
    )


@strawberry.type(description="Result of materialPlanApply.")
class MaterialPlanApplyPayload:
    warehouse: Warehouse | None = strawberry.field(
        default=None, description="The warehouse planned; null on errors."
    )
    work_orders: list[WorkOrder] | None = strawberry.field(
        default_factory=list,
        description="Work orders drafted (planned), one per make suggestion.",
        metadata={ESTIMATED_ITEMS: 20},
    )
    purchase_orders: list[PurchaseOrder] | None = strawberry.field(
        default_factory=list,
        description="Draft purchase orders, one per supplier (`purchaseOrderPlace` sends one).",
        metadata={ESTIMATED_ITEMS: 20},
    )
    errors: list[MutationError] = strawberry.field(
        default_factory=list,
        description="Why nothing was drafted; empty on success.",
        metadata={ESTIMATED_ITEMS: 5},
    )


@strawberry.type
class MaterialPlanMutations:
    @strawberry.mutation(
        description="Draft the chosen suggestions of the material plan, computed afresh: "
        "planned work orders and draft purchase orders (one per supplier). A suggestion the "
        "fresh plan no longer holds is refused (SUGGESTION_GONE), and nothing is drafted."
    )
    async def material_plan_apply(
        self, info: Info, input: Annotated[MaterialPlanApplyInput, INPUT]
    ) -> MaterialPlanApplyPayload:
        made: list[int] = []
        bought: list[int] = []

        async def draft(input: MaterialPlanApplyInput, session: Session, journal: Journal) -> Any:
            if not 1 <= input.horizon_days <= material_plan.MAX_HORIZON_DAYS:
                raise DomainError(
                    "VALIDATION",
                    f"must be between 1 and {material_plan.MAX_HORIZON_DAYS}",
                    "horizonDays",
                )
            return await material_plan.apply(
                session=session,
                journal=journal,
                warehouse_id=decode(input.warehouse, "Warehouse", "warehouse"),
                horizon_days=input.horizon_days,
                keys=input.suggestions,
                made=made,
                bought=bought,
            )

        result: MaterialPlanApplyPayload = await run_mutation(
            info,
            input,
            draft,
            node=Warehouse,
            payload=MaterialPlanApplyPayload,
            entity="warehouse",
            writes="WorkOrder",
            request=None,
        )
        if not result.errors:
            loaders = info.context.loaders
            result.work_orders = [
                WorkOrder.from_row(row)
                for row in await loaders.by_id(WorkOrder).load_many(made)
                if row is not None
            ]
            result.purchase_orders = [
                PurchaseOrder.from_row(row)
                for row in await loaders.by_id(PurchaseOrder).load_many(bought)
                if row is not None
            ]
        return result
