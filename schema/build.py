"""The schema: Query and Mutation composed from every context's package, and how it is built.

Each context package (`schema.crm`, `schema.erp`, `schema.analytics`, `schema.flows`,
`schema.exchange`, `schema.integrations`) contributes its node types, root fields and
mutations; this module puts them together and builds the schema: relations learn their fields
(`schema.core.relations.bind_relations`), read guards are installed from the permission table
(`schema.core.permissions`) and, when shortcuts are on, the executor's fast paths
(`schema.core.execution`).
"""

import logging
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext as OperationContext
from strawberry.utils.logging import StrawberryLogger

from schema.analytics.customer_forecast_accuracy import CustomerForecastAccuracyQueries
from schema.analytics.replenishment import ReplenishmentQueries
from schema.analytics.revenue_forecast import RevenueForecastQueries
from schema.core import aggregates, where
from schema.core.compiled.runner import COMPILED_READS, CompiledReads
from schema.core.execution import (
    ExecutionContext,
    ShortcutExecutionContext,
    install_prefetched_resolvers,
)
from schema.core.node_queries import NodeQueries
from schema.core.permissions import install_read_guards
from schema.core.relations import bind_relations
from schema.core.scalars import SCALARS
from schema.crm.campaigns import Campaign, CampaignMember, CampaignMutations, CampaignQueries
from schema.crm.contacts import Contact, ContactMutations
from schema.crm.customers import Customer, CustomerMutations, CustomerQueries
from schema.crm.interactions import Interaction, InteractionMutations, InteractionQueries
from schema.crm.opportunities import (
    Opportunity,
    OpportunityLine,
    OpportunityMutations,
    OpportunityQueries,
)
from schema.crm.segments import Segment, SegmentMutations, SegmentQueries
from schema.crm.tickets import Ticket, TicketMutations, TicketQueries
from schema.erp.credit_notes import (
    CreditNote,
    CreditNoteLine,
    CreditNoteMutations,
    CreditNoteQueries,
    Refund,
    SalesReturn,
    SalesReturnLine,
)
from schema.erp.deliveries import Delivery, DeliveryLine, DeliveryMutations
from schema.erp.employees import (
    Department,
    DepartmentMutations,
    Employee,
    EmployeeMutations,
    EmployeeQueries,
)
from schema.erp.invoices import Invoice, InvoiceLine, InvoiceMutations, InvoiceQueries
from schema.erp.payments import Payment, PaymentMutations, PaymentQueries
from schema.erp.price_lists import PriceList, PriceListMutations, PriceListQueries, PriceRule
from schema.erp.purchase_orders import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderMutations,
    PurchaseOrderQueries,
)
from schema.erp.quotes import Quote, QuoteLine, QuoteMutations, QuoteQueries
from schema.erp.sales_orders import (
    SalesOrder,
    SalesOrderLine,
    SalesOrderMutations,
    SalesOrderQueries,
)
from schema.erp.stock_items import StockItem, StockItemMutations, StockItemQueries, StockLevel
from schema.erp.stock_movements import StockMovement, StockMovementQueries
from schema.erp.suppliers import Supplier, SupplierMutations, SupplierQueries
from schema.erp.warehouses import Warehouse
from schema.exchange.import_jobs import ImportJob, ImportJobMutations, ImportJobQueries
from schema.finance.ledger import (
    Account,
    JournalEntry,
    JournalLine,
    LedgerMutations,
    LedgerQueries,
)
from schema.finance.periods import AccountingPeriod, PeriodMutations, PeriodQueries
from schema.finance.rates import ExchangeRate, ExchangeRateMutations, ExchangeRateQueries
from schema.finance.reports import ReportQueries
from schema.finance.supplier_bills import (
    SupplierBill,
    SupplierBillLine,
    SupplierBillMutations,
    SupplierBillQueries,
    SupplierPayment,
)
from schema.flows.archiving import ArchivingMutations
from schema.flows.customer_records import CustomerRecordMutations, CustomerRecordQueries
from schema.flows.deals import DealMutations
from schema.flows.material_plan import MaterialPlanMutations, MaterialPlanQueries
from schema.integrations.api_keys import ApiKey, ApiKeyMutations, ApiKeyQueries
from schema.integrations.audit import AuditEntry, AuditQueries
from schema.integrations.subscriptions import Subscription
from schema.integrations.webhook_mutations import WebhookMutations
from schema.integrations.webhooks import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookQueries,
)
from schema.production.boms import Bom, BomLine, BomMutations, BomQueries
from schema.production.work_orders import (
    WorkOrder,
    WorkOrderComponent,
    WorkOrderMutations,
    WorkOrderQueries,
)


@strawberry.type(description="Read access to the whole graph.")
class Query(
    NodeQueries,
    CustomerQueries,
    SegmentQueries,
    SalesOrderQueries,
    InvoiceQueries,
    PaymentQueries,
    CreditNoteQueries,
    QuoteQueries,
    StockItemQueries,
    StockMovementQueries,
    ReplenishmentQueries,
    EmployeeQueries,
    CampaignQueries,
    OpportunityQueries,
    TicketQueries,
    InteractionQueries,
    PurchaseOrderQueries,
    BomQueries,
    WorkOrderQueries,
    MaterialPlanQueries,
    SupplierQueries,
    PriceListQueries,
    CustomerRecordQueries,
    RevenueForecastQueries,
    CustomerForecastAccuracyQueries,
    ImportJobQueries,
    LedgerQueries,
    PeriodQueries,
    ExchangeRateQueries,
    ReportQueries,
    SupplierBillQueries,
    AuditQueries,
    ApiKeyQueries,
    WebhookQueries,
):
    pass


@strawberry.type(description="Business operations. Each takes one `input` and returns a payload.")
class Mutation(
    CustomerMutations,
    SegmentMutations,
    ContactMutations,
    InteractionMutations,
    CampaignMutations,
    OpportunityMutations,
    DealMutations,
    TicketMutations,
    SalesOrderMutations,
    DeliveryMutations,
    InvoiceMutations,
    PaymentMutations,
    CreditNoteMutations,
    QuoteMutations,
    StockItemMutations,
    SupplierMutations,
    PriceListMutations,
    PurchaseOrderMutations,
    BomMutations,
    WorkOrderMutations,
    MaterialPlanMutations,
    EmployeeMutations,
    DepartmentMutations,
    ArchivingMutations,
    CustomerRecordMutations,
    ImportJobMutations,
    LedgerMutations,
    PeriodMutations,
    ExchangeRateMutations,
    SupplierBillMutations,
    ApiKeyMutations,
    WebhookMutations,
):
    pass


# Relay nodes are found through `types`: `node(id:)` may return any of them.
NODE_TYPES = [
    Customer,
    Segment,
    Contact,
    Interaction,
    Campaign,
    CampaignMember,
    Opportunity,
    OpportunityLine,
    Ticket,
    Employee,
    Department,
    StockItem,
    StockLevel,
    Warehouse,
    SalesOrder,
    SalesOrderLine,
    Delivery,
    DeliveryLine,
    Invoice,
    InvoiceLine,
    Payment,
    CreditNote,
    CreditNoteLine,
    SalesReturn,
    SalesReturnLine,
    Refund,
    Quote,
    QuoteLine,
    Supplier,
    PurchaseOrder,
    PurchaseOrderLine,
    Bom,
    BomLine,
    WorkOrder,
    WorkOrderComponent,
    PriceList,
    PriceRule,
    ImportJob,
    Account,
    JournalEntry,
    JournalLine,
    AccountingPeriod,
    ExchangeRate,
    SupplierBill,
    SupplierBillLine,
    SupplierPayment,
    StockMovement,
    AuditEntry,
    ApiKey,
    WebhookEndpoint,
    WebhookDelivery,
    WebhookAttempt,
]

# The `where` inputs of every node type and the aggregates' types, made before the schema
# is: root lists and aggregate fields name them.
where.build_types(NODE_TYPES)
aggregates.build_types()

CACHED_DOCUMENTS = 256

# graphql-core appends " Did you mean 'X' or 'Y'?" to unknown fields, arguments, types,
# input fields and enum values, in validation and in variable coercion alike.
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


class _ParserCache(ParserCache):
    """strawberry's parser cache, leaving syntax errors to strawberry's own parse.

    Raised from the cache, a syntax error escaped the operation's extensions (the error
    policy never saw it, so it got no code and was not counted); left unparsed, the document
    is parsed again inside strawberry's error handling, which only invalid documents cost.
    """

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        try:
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        except GraphQLError:
            context.graphql_document = None
        yield


class _ValidationCache(SchemaExtension):
    """Validation results kept per parsed document (the parser cache hands out the same
    document for the same text) and set of rules.

    strawberry's own cache keys an `lru_cache` on the document, whose hash graphql-core
    computes over the whole syntax tree on every request: more work than the rest of a
    compiled read's Python path.
    """

    def __init__(self, results: "OrderedDict[tuple[int, Any], tuple[Any, Any]]") -> None:
        self.results = results

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document, rules = context.graphql_document, context.validation_rules
        key = (id(document), tuple(rules))
        found = self.results.get(key)
        if found is None or found[0] is not document:
            assert document is not None  # parsing failed: strawberry reports it before this
            found = (document, validate_document(context.schema._schema, document, rules))
            self.results[key] = found
            if len(self.results) > CACHED_DOCUMENTS:
                self.results.popitem(last=False)
        else:
            self.results.move_to_end(key)
        context.pre_execution_errors = found[1]
        yield


class Schema(strawberry.Schema):
    """strawberry's schema, hiding every kind of suggestion when field suggestions are off.

    strawberry's `disable_field_suggestions` strips only "Cannot query field …" messages and
    does not pass graphql-core's `hide_suggestions` on, so unknown types, arguments, input
    fields and enum values still named their neighbours ("Did you mean 'Customer'?"), which
    enumerates the schema with introspection off. Every error of every request passes here.
    """

    def process_errors(
        self, errors: list[GraphQLError], execution_context: OperationContext | None = None
    ) -> None:
        if self.config.disable_field_suggestions:
            for error in errors:
                if "Did you mean" in error.message:
                    error.message = _SUGGESTION.sub("", error.message)
        # strawberry logs each error; a page can hold hundreds of FORBIDDEN errors, and the
        # logger is usually off (api.logs: errors are logged once, by api.errors).
        if StrawberryLogger.logger.isEnabledFor(logging.ERROR):
            super().process_errors(errors, execution_context)


class ShortcutConflict(ValueError):
    """A schema extension whose `resolve()` hook the executor's shortcuts would skip."""


def _resolve_hooks(
    extensions: Sequence[type[SchemaExtension] | Callable[[], SchemaExtension]],
) -> list[str]:
    """The extensions that hook into every field's resolution (`SchemaExtension.resolve`)."""
    found = []
    for extension in extensions:
        kind: type[SchemaExtension] = (
            extension if isinstance(extension, type) else type(extension())
        )
        if kind.resolve is not SchemaExtension.resolve:
            found.append(kind.__name__)
    return found


def build_schema(
    *,
    production: bool = False,
    extensions: Sequence[type[SchemaExtension] | Callable[[], SchemaExtension]] = (),
    max_batch_operations: int = 0,
    shortcuts: bool = True,
    compiled_reads: bool = False,
) -> strawberry.Schema:
    """The GraphQL schema; in production, field suggestions are switched off.

    `extensions` (classes or factories: error policy, operation naming, limits) come from the
    API; batching is off unless `max_batch_operations` allows it. `shortcuts`: the executor's
    fast paths for attribute and loaded fields (`schema.core.execution`); `compiled_reads`:
    root fields answered by one statement each (`schema.core.compiled`). A schema extension
    with a `resolve()` hook is refused while either is on, since it would not fire for them.
    """
    hooks = _resolve_hooks(extensions) if shortcuts or compiled_reads else []
    if hooks:
        raise ShortcutConflict(
            f"{', '.join(hooks)} hook field resolution (`resolve()`), which the execution "
            "shortcuts and compiled reads skip: switch them off (BIZGRAPH_EXECUTION_SHORTCUTS="
            "false, BIZGRAPH_COMPILED_READS=false) to use it"
        )
    validations: OrderedDict[tuple[int, Any], tuple[Any, Any]] = OrderedDict()
    schema = Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=NODE_TYPES,
        # Parsing and validating a Customer 360 document costs ~25 ms; clients repeat documents.
        extensions=[
            lambda: _ParserCache(maxsize=CACHED_DOCUMENTS),
            lambda: _ValidationCache(validations),
            *extensions,
        ],
        config=StrawberryConfig(
            disable_field_suggestions=production,
            batching_config={"max_operations": max_batch_operations}
            if max_batch_operations
            else None,
        ),
        execution_context_class=ShortcutExecutionContext if shortcuts else ExecutionContext,
        scalar_overrides=SCALARS,  # type: ignore[arg-type]
    )
    graphql_schema = schema._schema
    bind_relations(graphql_schema)
    if shortcuts:
        install_prefetched_resolvers(graphql_schema)
    # Last, so the guards wrap every other resolver: nothing runs before them.
    install_read_guards(graphql_schema)
    if compiled_reads:
        graphql_schema.extensions = {
            **graphql_schema.extensions,
            COMPILED_READS: CompiledReads(graphql_schema),
        }
    return schema


def export_sdl() -> str:
    return str(build_schema()) + "\n"


if __name__ == "__main__":
    from pathlib import Path

    Path("schema.graphql").write_text(export_sdl())
