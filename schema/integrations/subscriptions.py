"""Subscriptions: a record's changes the moment they commit, over graphql-transport-ws.

Each update carries the changed record read the way a query reads it, for the subscriber:
their record rules decide whether they receive it at all (a sales rep never hears of another
rep's customers), and their field permissions what it shows. The events come from the
outbox through the process's listener (`domain.integrations.live`). An update's `cursor`
resumes a subscription after a reconnect (`after:`): what committed meanwhile is sent
first, at least once (skip cursors already seen).
"""

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.types import Info

from domain.integrations.live import Event, TooFarBehind, TooSlow, stock_figures
from schema.core.ids import decode_id
from schema.core.nodes import TableNode
from schema.core.permissions import refuse_unreadable
from schema.crm.customers import Customer
from schema.crm.tickets import Ticket
from schema.erp.deliveries import Delivery
from schema.erp.invoices import Invoice
from schema.erp.sales_orders import SalesOrder
from schema.erp.stock_items import StockItem

# Events that change what is available or on order of some item.
STOCK_AGGREGATES = frozenset(
    {"sales_order", "delivery", "purchase_order", "stock_item", "stock_level", "stock_movement"}
)
METRICS = "customer_metrics"


@dataclass(frozen=True)
class Live:
    """What a subscription follows: its node type, the events that may change a record of
    it, and which record an event concerns."""

    node: type[TableNode]
    aggregate_types: frozenset[str]
    record_of: Callable[[Event], int | None]


def _update_type(name: str, node: type[TableNode], field_name: str, about: str) -> Any:
    namespace = {
        "__annotations__": {
            "cursor": str,
            "action": str,
            "occurred_at": datetime,
            field_name: node | None,
        },
        "cursor": strawberry.field(
            description="This update's position: pass it as `after` to resume from here."
        ),
        "action": strawberry.field(
            description="What happened, as `entity.event` (`delivery.delivered`)."
        ),
        "occurred_at": strawberry.field(description="When the change committed."),
        field_name: strawberry.field(
            description=f"The {node.__name__} as it is now, read for you (null if you may no "
            "longer see it)."
        ),
    }
    return strawberry.type(type(name, (), namespace), description=about)


SalesOrderUpdate = _update_type(
    "SalesOrderUpdate",
    SalesOrder,
    "sales_order",
    "A sales order changed (or its deliveries, invoices or payments did).",
)
DeliveryUpdate = _update_type("DeliveryUpdate", Delivery, "delivery", "A delivery changed.")
TicketUpdate = _update_type("TicketUpdate", Ticket, "ticket", "A support ticket changed.")
InvoiceUpdate = _update_type(
    "InvoiceUpdate", Invoice, "invoice", "An invoice changed (or a payment of it was recorded)."
)
CustomerMetricsUpdate = _update_type(
    "CustomerMetricsUpdate",
    Customer,
    "customer",
    "A customer's metrics and forecast were recomputed after events about them.",
)
StockLevelChange = _update_type(
    "StockLevelChange",
    StockItem,
    "stock_item",
    "An item's stock changed in some warehouse (on hand, reserved or on order).",
)

ORDERS = Live(
    SalesOrder,
    frozenset({"sales_order", "delivery", "invoice", "payment"}),
    lambda e: e.sales_order_id,
)
DELIVERIES = Live(Delivery, frozenset({"delivery"}), lambda e: e.aggregate_id)
TICKETS = Live(Ticket, frozenset({"ticket"}), lambda e: e.aggregate_id)
INVOICES = Live(Invoice, frozenset({"invoice", "payment"}), lambda e: e.invoice_id)
METRICS_OF = Live(Customer, frozenset({METRICS}), lambda e: e.customer_id)


def _key(value: relay.GlobalID | None, type_name: str, argument: str) -> int | None:
    return decode_id(value, type_name, argument)


def _matching(
    live: Live, record: int | None = None, customer: int | None = None, order: int | None = None
) -> Callable[[Event], bool]:
    def matches(event: Event) -> bool:
        key = live.record_of(event)
        return (
            key is not None
            and (record is None or key == record)
            and (customer is None or event.customer_id == customer)
            and (order is None or event.sales_order_id == order)
        )

    return matches


async def _updates(
    info: Info,
    live: Live,
    matches: Callable[[Event], bool],
    after: str | None,
    make: Callable[[Event, Any], Any],
    moved: Callable[[], Awaitable[Hashable]] | None = None,
) -> AsyncGenerator[Any, None]:
    """Each matching committed event as an update of its record, read for the subscriber;
    with `moved`, only events after which its value differs from the last one sent."""
    context = info.context
    viewer = context.viewer
    refuse_unreadable(viewer, live.node.__name__)
    hub = context.state.events
    limit = context.state.settings.max_subscriptions_per_employee
    if hub.subscriptions_of(viewer.principal) >= limit:
        raise GraphQLError(
            f"at most {limit} subscriptions per employee at once",
            extensions={"code": "LIMIT_EXCEEDED", "limit": "subscriptions", "maximum": limit},
        )
    # Subscribed before the backlog is read, so nothing committed in between is lost.
    subscription = await hub.subscribe(live.aggregate_types, matches, owner=viewer.principal)
    last: Hashable = None
    try:
        backlog = await _backlog(hub, after, matches)
        replayed = {event.id for event in backlog}
        async for event in _chain(backlog, subscription.events(), replayed):
            record = live.record_of(event)
            node = await _read(info, live.node, record) if record is not None else None
            if node is None:
                continue
            if moved is not None:
                now = await moved()
                if now == last:
                    continue
                last = now
            yield make(event, node)
    except TooSlow as error:
        raise GraphQLError(str(error), extensions={"code": "SUBSCRIBER_TOO_SLOW"}) from error
    finally:
        subscription.close()


async def _backlog(hub: Any, after: str | None, matches: Callable[[Event], bool]) -> list[Event]:
    if after is None:
        return []
    if not (after.isascii() and after.isdigit()):
        raise GraphQLError(
            "`after` must be a cursor of an earlier update",
            extensions={"code": "BAD_USER_INPUT", "argument": "after"},
        )
    try:
        return [event for event in await hub.replay(int(after)) if matches(event)]
    except TooFarBehind as error:
        raise GraphQLError(
            f"cannot resume: {error}; read the records again and subscribe without `after`",
            extensions={"code": "RESUME_NOT_POSSIBLE", "argument": "after"},
        ) from error


async def _chain(
    backlog: Iterable[Event], live: AsyncIterator[Event], replayed: set[int]
) -> AsyncGenerator[Event, None]:
    """The backlog, then live events but those the backlog already held."""
    for event in backlog:
        yield event
    async for event in live:
        if event.id not in replayed:
            yield event


async def _read(info: Info, node: type[TableNode], key: int) -> Any:
    """The record as this subscriber may read it now: their record rules, fresh data."""
    loaders = info.context.loaders
    loaders.forget()  # an earlier update's rows are stale by now
    row = await loaders.by_id(node).load(key)
    return None if row is None else node.from_row(row)


def _made(update: Any, field_name: str) -> Callable[[Event, Any], Any]:
    def make(event: Event, node: Any) -> Any:
        return update(
            cursor=str(event.id),
            action=event.topic,
            occurred_at=event.created_at,
            **{field_name: node},
        )

    return make


ID = relay.GlobalID | None
AFTER = Annotated[
    str | None,
    strawberry.argument(
        description="Resume after this update's cursor: what committed since is sent first."
    ),
]


@strawberry.type(description="Changes as they commit (graphql-transport-ws over /graphql).")
class Subscription:
    @strawberry.subscription(
        description="A sales order's changes, its deliveries', invoices' and payments' "
        "included: one order (`id`), a customer's (`customer`), or every order you may see."
    )
    async def sales_order_updated(
        self,
        info: Info,
        id: Annotated[ID, strawberry.argument(description="Only this order.")] = None,
        customer: Annotated[ID, strawberry.argument(description="Only this customer's.")] = None,
        after: AFTER = None,
    ) -> AsyncGenerator[SalesOrderUpdate, None]:
        matches = _matching(
            ORDERS, _key(id, "SalesOrder", "id"), _key(customer, "Customer", "customer")
        )
        async for update in _updates(
            info, ORDERS, matches, after, _made(SalesOrderUpdate, "sales_order")
        ):
            yield update

    @strawberry.subscription(
        description="A delivery's changes: one delivery, an order's, a customer's, or all."
    )
    async def delivery_updated(
        self,
        info: Info,
        id: Annotated[ID, strawberry.argument(description="Only this delivery.")] = None,
        sales_order: Annotated[
            ID, strawberry.argument(description="Only this order's deliveries.")
        ] = None,
        customer: Annotated[ID, strawberry.argument(description="Only this customer's.")] = None,
        after: AFTER = None,
    ) -> AsyncGenerator[DeliveryUpdate, None]:
        matches = _matching(
            DELIVERIES,
            _key(id, "Delivery", "id"),
            _key(customer, "Customer", "customer"),
            _key(sales_order, "SalesOrder", "salesOrder"),
        )
        async for update in _updates(
            info, DELIVERIES, matches, after, _made(DeliveryUpdate, "delivery")
        ):
            yield update

    @strawberry.subscription(description="A ticket's changes: one ticket, a customer's, or all.")
    async def ticket_updated(
        self,
        info: Info,
        id: Annotated[ID, strawberry.argument(description="Only this ticket.")] = None,
        customer: Annotated[ID, strawberry.argument(description="Only this customer's.")] = None,
        after: AFTER = None,
    ) -> AsyncGenerator[TicketUpdate, None]:
        matches = _matching(
            TICKETS, _key(id, "Ticket", "id"), _key(customer, "Customer", "customer")
        )
        async for update in _updates(info, TICKETS, matches, after, _made(TicketUpdate, "ticket")):
            yield update

    @strawberry.subscription(
        description="An invoice's changes and payments: one invoice, a customer's, or all."
    )
    async def invoice_updated(
        self,
        info: Info,
        id: Annotated[ID, strawberry.argument(description="Only this invoice.")] = None,
        customer: Annotated[ID, strawberry.argument(description="Only this customer's.")] = None,
        after: AFTER = None,
    ) -> AsyncGenerator[InvoiceUpdate, None]:
        matches = _matching(
            INVOICES, _key(id, "Invoice", "id"), _key(customer, "Customer", "customer")
        )
        async for update in _updates(
            info, INVOICES, matches, after, _made(InvoiceUpdate, "invoice")
        ):
            yield update

    @strawberry.subscription(
        description="A customer's metrics and forecast, each time the worker recomputes them "
        "after events about the customer."
    )
    async def customer_metrics_updated(
        self,
        info: Info,
        customer: Annotated[ID, strawberry.argument(description="Only this customer.")] = None,
        after: AFTER = None,
    ) -> AsyncGenerator[CustomerMetricsUpdate, None]:
        matches = _matching(METRICS_OF, customer=_key(customer, "Customer", "customer"))
        async for update in _updates(
            info, METRICS_OF, matches, after, _made(CustomerMetricsUpdate, "customer")
        ):
            yield update

    @strawberry.subscription(
        description="An item's stock, each time its figures change in some warehouse (orders "
        "reserving it, shipments, receipts, adjustments)."
    )
    async def stock_level_changed(
        self,
        info: Info,
        stock_item: Annotated[
            relay.GlobalID, strawberry.argument(description="The item to follow.")
        ],
    ) -> AsyncGenerator[StockLevelChange, None]:
        item = decode_id(stock_item, "StockItem", "stockItem")
        assert item is not None
        live = Live(StockItem, STOCK_AGGREGATES, lambda _: item)

        async def figures() -> Hashable:
            return await stock_figures(info.context.state.reads, item)

        async for update in _updates(
            info, live, lambda _: True, None, _made(StockLevelChange, "stock_item"), figures
        ):
            yield update
