"""Customer segments: saved `where` conditions on customers, their live figures, the
segments a customer is in, and `customers(segment:)`.

A segment keeps its conditions as the API took them (GraphQL names) and is evaluated on
every read, with the reader's record rules: a sales rep sees the figures of their own
customers in it. Conditions on something the reader may not read (a segment of customers
by open balance, read by marketing) are refused as the same `where` would be.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError, coerce_input_value
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from domain.crm import segments
from domain.crm.models import Segment as SegmentModel
from schema.core import sql
from schema.core.connections import RootSort, root_connection
from schema.core.ids import decode, decode_id
from schema.core.mutations import given, mutation
from schema.core.nodes import TableNode, desc
from schema.core.permissions import input_denial, refuse_unreadable
from schema.core.where import as_input, input_of, to_graphql
from schema.crm.customers import Customer

REVENUE_DAYS = 365
# The input `schema.core.where` makes from the Customer type when the schema is built.
CustomerWhereRef = Annotated["CustomerWhere", strawberry.lazy("schema.core.where")]  # type: ignore[name-defined]  # noqa: F821


@strawberry.type(description="What a segment holds now, for the viewer's customers.")
class SegmentFigures:
    id: strawberry.ID = strawberry.field(
        description="Unique across the graph: this type and the segment (for client caches)."
    )
    members: int = strawberry.field(description="Customers in it.")
    revenue_12m: Decimal = strawberry.field(
        description="Their sales (net, placed/confirmed/fulfilled) of the last 365 days."
    )
    revenue_12m_share: Decimal | None = strawberry.field(
        description="That revenue's share of all customers' (0–1; null when there is none)."
    )
    expected_revenue_90d: Decimal = strawberry.field(
        description="Their expected revenue of the next 90 days (the customer forecasts)."
    )
    expected_revenue_90d_share: Decimal | None = strawberry.field(
        description="That expected revenue's share of all customers' (0–1; null when none)."
    )


@strawberry.type(description="A saved group of customers: conditions evaluated live.")
class Segment(TableNode):
    MODEL = SegmentModel
    id: relay.NodeID[int]
    name: str = desc("Name (unique).")
    description: str | None = desc("What it is for.")
    definition: JSON = desc("Its conditions, as a `CustomerWhere` value.")
    created_at: datetime = desc("When it was saved.")
    version: int = desc("Increases with every change; send it back with segmentUpdate.")

    @strawberry.field(
        description="Members, revenue of the last 12 months and expected revenue of the next "
        "90 days, with their shares of all customers' — as of now, for the customers the "
        "viewer may see (one statement). Null, with FORBIDDEN, when the conditions use "
        "something the viewer may not read."
    )
    async def figures(self, info: Info) -> SegmentFigures | None:
        condition = conditions_of(info, dict(self.definition))  # type: ignore[call-overload]
        since = datetime.now(UTC) - timedelta(days=REVENUE_DAYS)
        [row] = await info.context.loaders.fetch_once(
            sql.segment_figures(condition, info.context.viewer, since)
        )
        return SegmentFigures(
            id=strawberry.ID(relay.to_base64("SegmentFigures", self.id)),
            members=row["members"],
            revenue_12m=row["revenue"],
            revenue_12m_share=_share(row["revenue"], row["all_revenue"]),
            expected_revenue_90d=row["expected"],
            expected_revenue_90d_share=_share(row["expected"], row["all_expected"]),
        )

    @classmethod
    async def of_customer(cls, info: Info, customer_id: int) -> list["Segment"]:
        """The segments a customer is in, of those whose conditions the viewer may use."""
        rows = await info.context.loaders.fetch_once(sql.all_rows(sql.table_of(SegmentModel)))
        usable = []
        for row in sorted(rows, key=lambda r: r["name"]):
            try:
                usable.append((row, conditions_of(info, row["definition"])))
            except GraphQLError:
                continue  # conditions the viewer may not use tell nothing to them
        if not usable:
            return []
        [found] = await info.context.loaders.fetch_once(
            sql.segments_holding(customer_id, [where for _, where in usable], info.context.viewer)
        )
        return [cls.from_row(row) for i, (row, _) in enumerate(usable) if found[f"s{i}"]]


def _share(part: Decimal, whole: Decimal) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")) if whole else None


def conditions_of(info: Info, definition: dict[str, Any]) -> Any:
    """A segment's saved conditions as the `CustomerWhere` input, checked for the viewer."""
    input_type: Any = info.schema._schema.get_type("CustomerWhere")
    try:
        coerced = coerce_input_value(definition, input_type)
    except GraphQLError as error:  # a field the schema no longer has
        raise GraphQLError(
            f"the segment's conditions no longer fit the schema: {error.message}",
            extensions={"code": "BAD_USER_INPUT"},
        ) from error
    denied = input_denial(info.context.viewer, input_type, coerced)
    if denied is not None:
        raise denied
    return as_input(coerced, input_of(Customer))


async def customers_in_segment(info: Info, segment: relay.GlobalID, table: Any) -> list[Any]:
    """The condition `customers(segment:)` adds: the segment's, for the viewer."""
    key = decode_id(segment, "Segment", "segment")
    refuse_unreadable(info.context.viewer, "Segment")
    row = await info.context.loaders.by_id(Segment).load(key)
    if row is None:
        raise GraphQLError(
            "`segment` names no segment", extensions={"code": "NOT_FOUND", "argument": "segment"}
        )
    where = conditions_of(info, row["definition"])
    return [sql.where_condition(where, table, info.context.viewer, argument="segment")]


@strawberry.type
class SegmentQueries:
    segments = root_connection(
        Segment,
        description="Saved customer segments, by name.",
        sort=RootSort(lambda _, table: sql.by_columns(table, "name", descending=False)),
    )


@strawberry.input(description="A new segment: a name and conditions on customers.")
class SegmentCreateInput:
    name: str = strawberry.field(description="Name (unique, at most 100 characters).")
    description: str | None = strawberry.field(default=None, description="What it is for.")
    where: CustomerWhereRef = strawberry.field(
        description="Which customers: the conditions of `customers(where:)`."
    )


@strawberry.input(description="Changes to a segment; fields left out keep their value.")
class SegmentUpdateInput:
    id: strawberry.ID = strawberry.field(description="The segment.")
    version: int = strawberry.field(description="The version you read; a newer one is a CONFLICT.")
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="Name (unique, at most 100 characters)."
    )
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="What it is for."
    )
    where: CustomerWhereRef | None = strawberry.field(
        default=strawberry.UNSET, description="New conditions, replacing the old ones."
    )


def _segment_changes(input: SegmentUpdateInput) -> dict[str, object]:
    values = given(input, "name", "description")
    if input.where is not strawberry.UNSET:
        values["definition"] = None if input.where is None else to_graphql(input.where)
    return values


@strawberry.input(description="The segment to delete.")
class SegmentDeleteInput:
    id: strawberry.ID = strawberry.field(description="The segment.")


@strawberry.type
class SegmentMutations:
    segment_create = mutation(
        SegmentCreateInput,
        Segment,
        "Save a segment of customers; its figures are computed whenever it is read.",
        lambda input, session, journal: segments.create(
            session=session,
            journal=journal,
            name=input.name,
            description=input.description,
            definition=to_graphql(input.where),
        ),
    )
    segment_update = mutation(
        SegmentUpdateInput,
        Segment,
        "Rename a segment, describe it again or replace its conditions.",
        lambda input, session, journal: segments.update(
            session=session,
            journal=journal,
            segment_id=decode(input.id, "Segment", "id"),
            version=input.version,
            given=_segment_changes(input),
        ),
    )
    segment_delete = mutation(
        SegmentDeleteInput,
        Segment,
        "Delete a segment (its customers are not touched); the payload's segment is null "
        "once it is gone.",
        lambda input, session, journal: segments.delete(
            session=session, journal=journal, segment_id=decode(input.id, "Segment", "id")
        ),
    )
