"""Bills of materials: what one unit of a manufactured item is made of, in numbered
revisions, one of them active, with the standard cost rolled up from the components."""

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from domain.production import boms
from domain.production.models import Bom as BomModel
from domain.production.models import BomLine as BomLineModel
from domain.production.states import BOM_STATUSES
from schema.core import filters
from schema.core.connections import by_date, root_connection
from schema.core.enums import vocabulary_enum
from schema.core.ids import decode
from schema.core.mutations import mutation, retry_key
from schema.core.nodes import TableNode, desc
from schema.core.relations import Children, ToOne

if TYPE_CHECKING:
    from schema.erp.employees import Employee
    from schema.erp.stock_items import StockItem

StockItemRef = Annotated["StockItem", strawberry.lazy("schema.erp.stock_items")]
EmployeeRef = Annotated["Employee", strawberry.lazy("schema.erp.employees")]

BomStatus = vocabulary_enum(
    "BomStatus",
    BOM_STATUSES,
    "Draft (may still be replaced by another revision), active (what work orders and the "
    "material plan use: one per item), archived.",
)


@strawberry.type(description="One component of a bill of materials.")
class BomLine(TableNode):
    MODEL = BomLineModel
    id: relay.NodeID[int]
    line_no: int = desc("Position in the bill of materials.")
    quantity: Decimal = desc("Units of the component per unit made (fractions allowed).")
    scrap_percent: Decimal = desc(
        "Share of the component lost in making, in percent, consumed on top of the quantity."
    )
    component: StockItemRef | None = ToOne["StockItem"]("component_id").field("The component.")
    bom: "Bom | None" = ToOne["Bom"]("bom_id").field("The bill of materials.")


@strawberry.type(description="What one unit of a manufactured item is made of (one revision).")
class Bom(TableNode):
    MODEL = BomModel
    id: relay.NodeID[int]
    revision: int = desc("The revision's number for its item: 1, 2, …")
    status: BomStatus = desc("Draft, active or archived.")
    lead_time_days: int = desc("Days from starting a work order to its output.")
    conversion_cost: Decimal = desc("Labour and overhead per unit made, beside the components.")
    rolled_up_cost: Decimal = desc(
        "Standard cost of one unit: components at their costs, scrap included, plus conversion "
        "(kept current while the revision is active; the item's unit cost follows it)."
    )
    notes: str | None = desc("Notes.")
    created_at: datetime = desc("When the revision was drafted.")
    activated_at: datetime | None = desc("When it became the active revision.")

    stock_item: StockItemRef | None = ToOne["StockItem"]("stock_item_id").field(
        "The item it makes."
    )
    created_by: EmployeeRef | None = ToOne["Employee"]("created_by_id").field("Who drafted it.")
    lines: list[BomLine] = Children[BomLine](
        "bom_id", order=("line_no",), estimated_items=10
    ).field("Its components.")


@strawberry.input(description="Filters for bills of materials.")
class BomFilter:
    stock_item: relay.GlobalID | None = filters.node(
        "stock_item_id", "StockItem", "Of this item only."
    )
    status: list[BomStatus] | None = filters.any_of("status", "Any of these statuses.")


@strawberry.type
class BomQueries:
    boms = root_connection(
        Bom,
        description="Bills of materials, newest first.",
        sort=by_date("created_at"),
        filter=BomFilter,
    )


@strawberry.input(description="One component and how much of it one unit takes.")
class BomLineInput:
    component: strawberry.ID = strawberry.field(description="The component (a stock item).")
    quantity: Decimal = strawberry.field(
        description="Units per unit made: more than 0, at most four decimal places."
    )
    scrap_percent: Decimal = strawberry.field(
        default=Decimal(0), description="Share lost in making, 0 to below 100 percent."
    )


@strawberry.input(description="A new revision of an item's bill of materials.")
class BomCreateInput:
    stock_item: strawberry.ID = strawberry.field(description="The item it makes.")
    lines: list[BomLineInput] = strawberry.field(description="1 to 200 components.")
    lead_time_days: int = strawberry.field(
        default=1, description="Days from starting a work order to its output (0 to 365)."
    )
    conversion_cost: Decimal = strawberry.field(
        default=Decimal(0), description="Labour and overhead per unit made."
    )
    notes: str | None = strawberry.field(default=None, description="Notes.")
    activate: bool = strawberry.field(
        default=False, description="Make it the item's active revision at once."
    )
    idempotency_key: str | None = retry_key("drafting a second revision")


@strawberry.input(description="A bill of materials to act on.")
class BomActionInput:
    id: strawberry.ID = strawberry.field(description="The bill of materials.")
    idempotency_key: str | None = retry_key("doing it twice")


@strawberry.input(description="Make a draft the item's active revision.")
class BomActivateInput(BomActionInput):
    pass


@strawberry.input(description="Retire a revision.")
class BomArchiveInput(BomActionInput):
    pass


def _request(input: BomCreateInput) -> boms.BomRequest:
    return boms.BomRequest(
        stock_item_id=decode(input.stock_item, "StockItem", "stockItem"),
        lines=[
            boms.ComponentLine(
                decode(line.component, "StockItem", f"lines.{i}.component"),
                line.quantity,
                line.scrap_percent,
            )
            for i, line in enumerate(input.lines)
        ],
        lead_time_days=input.lead_time_days,
        conversion_cost=input.conversion_cost,
        notes=input.notes,
        activate=input.activate,
    )


@strawberry.type
class BomMutations:
    bom_create = mutation(
        BomCreateInput,
        Bom,
        "Draft an item's next bill of materials revision, its cost rolled up; refused when "
        "an item would be made of itself (BOM_CYCLE), at any depth.",
        lambda input, session, journal: boms.create(
            session=session, journal=journal, request=_request(input)
        ),
    )
    bom_activate = mutation(
        BomActivateInput,
        Bom,
        "Make a draft its item's active revision (the previous one is archived); the item's "
        "cost, and the cost of everything made from it, is rolled up again.",
        lambda input, session, journal: boms.activate(
            session=session, journal=journal, bom_id=decode(input.id, "Bom", "id")
        ),
    )
    bom_archive = mutation(
        BomArchiveInput,
        Bom,
        "Retire a revision; an item without an active revision is no longer made.",
        lambda input, session, journal: boms.archive(
            session=session, journal=journal, bom_id=decode(input.id, "Bom", "id")
        ),
    )
