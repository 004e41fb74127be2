"""The events a webhook endpoint may subscribe to, and its event type filters.

Every topic the platform records in its journal (`Journal.record`) is an event type; the
catalogue lists them all, so a filter naming a type that never happens is refused when the
endpoint is saved rather than silently matching nothing. A filter is an exact type
(`sales_order.placed`) or every type of one entity (`sales_order.*`); no filter: every type.
"""

from collections.abc import Iterable, Sequence

from domain.core.errors import Problems
from domain.crm.ticket_states import TICKET_STATUSES
from domain.crm.vocabulary import CAMPAIGN_STATUSES, MEMBER_STATUSES
from domain.exchange.jobs import QUEUED as IMPORT_QUEUED
from domain.flows.archiving import ARCHIVABLE

MAX_FILTERS = 50
WILDCARD = ".*"

# Topics written with a fixed name.
_NAMED = (
    "account.created",
    "account.updated",
    "bom.activated",
    "bom.archived",
    "bom.created",
    "campaign.created",
    "campaign.member_added",
    "campaign.updated",
    "contact.created",
    "contact.updated",
    "credit_note.issued",
    "customer.created",
    "customer.erased",
    "customer.updated",
    "delivery.created",
    "delivery.delivered",
    "delivery.failed",
    "department.created",
    "department.updated",
    "employee.created",
    "employee.updated",
    "exchange_rate.set",
    "exchange_rates.loaded",
    "interaction.logged",
    "invoice.issued",
    "invoice.voided",
    "journal_entry.posted",
    "journal_entry.reversed",
    "opportunity.created",
    "opportunity.lost",
    "opportunity.stage_changed",
    "opportunity.updated",
    "opportunity.won",
    "payment.recorded",
    "period.closed",
    "period.reopened",
    "price_list.created",
    "price_list.rule_removed",
    "price_list.rule_set",
    "price_list.updated",
    "purchase_order.created",
    "purchase_order.drafted",
    "purchase_order.received",
    "quote.accepted",
    "quote.created",
    "quote.declined",
    "quote.sent",
    "refund.recorded",
    "sales_order.cancelled",
    "sales_order.confirmed",
    "sales_order.drafted",
    "sales_order.placed",
    "sales_order.updated",
    "sales_return.received",
    "segment.created",
    "segment.deleted",
    "segment.updated",
    "stock.adjusted",
    "stock_item.created",
    "stock_item.updated",
    "supplier.created",
    "supplier.updated",
    "supplier_bill.recorded",
    "supplier_bill.voided",
    "supplier_payment.recorded",
    "ticket.assigned",
    "ticket.opened",
    IMPORT_QUEUED,
    # This context's own: endpoints changed, disabled for failing, their secrets rotated.
    "webhook_endpoint.created",
    "webhook_endpoint.updated",
    "webhook_endpoint.deleted",
    "webhook_endpoint.secret_rotated",
    "webhook_endpoint.replayed",
    "webhook_endpoint.disabled",
    # Production: bills of materials and work orders (domain.production).
    "work_order.planned",
    "work_order.released",
    "work_order.started",
    "work_order.reported",
    "work_order.completed",
    "work_order.cancelled",
    # API keys made and revoked.
    "api_key.created",
    "api_key.revoked",
    # Derived data brought up to date by the worker (`domain.analytics.recompute`).
    "customer_metrics.refreshed",
)

# Topics built from a status: every status a record can move to (not its first one).
_BUILT = (
    *(f"campaign.{status}" for status in CAMPAIGN_STATUSES[1:]),
    *(f"campaign.member_{status}" for status in MEMBER_STATUSES[1:]),
    *(f"ticket.{status}" for status in TICKET_STATUSES),
    *(f"sales_order.line_{edit}" for edit in ("added", "changed", "removed")),
    *(f"{kind}.{move}" for kind in ARCHIVABLE for move in ("archived", "restored")),
)

EVENT_TYPES: tuple[str, ...] = tuple(sorted(set(_NAMED) | set(_BUILT)))
ENTITIES = frozenset(topic.split(".", 1)[0] for topic in EVENT_TYPES)
DISABLED = "webhook_endpoint.disabled"


def matches(filters: Sequence[str], topic: str) -> bool:
    """Whether an endpoint with these filters receives events of `topic` (no filter: all)."""
    if not filters:
        return True
    entity = topic.split(".", 1)[0]
    return topic in filters or f"{entity}{WILDCARD}" in filters


def checked_filters(problems: Problems, field: str, given: Iterable[str] | None) -> list[str]:
    """The filters, trimmed, without repeats, each a catalogued type or `<entity>.*`."""
    cleaned: list[str] = []
    for index, raw in enumerate(given or ()):
        value = raw.strip()
        if value.endswith(WILDCARD):
            known = value.removesuffix(WILDCARD) in ENTITIES
        else:
            known = value in EVENT_TYPES
        if not known:
            problems.add(
                f"{field}.{index}",
                f"{raw!r} is no event type: use one of the catalogue (`webhookEventTypes`) "
                "or `<entity>.*`",
            )
        elif value not in cleaned:
            cleaned.append(value)
    if len(cleaned) > MAX_FILTERS:
        problems.add(field, f"must hold at most {MAX_FILTERS} event types")
    return cleaned
