"""Erasing a customer on request: what identifies a person goes, the books stay.

Gone: the customer's name (a pseudonym takes its place: "Erased customer C000123"), email,
phone and industry; its contacts' names, emails, phones and titles; the subjects and notes of
its interactions; the subjects, descriptions and resolutions of its tickets; its deals' names
and loss reasons; and what the audit log and the processed outbox events recorded about all of
these. The customer and its contacts are archived, so they leave every list.

Kept, because bookkeeping law requires it (commercial records such as invoices are kept for
up to ten years, e.g. § 147 AO, § 257 HGB in Germany): the sales orders, deliveries, invoices
and payments with their numbers, dates, amounts and the customer's country (it sets their
tax), linked to the pseudonym. The erasure itself is audited without personal data.
"""

from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.errors import Conflict, NotFound
from domain.core.journal import Journal
from domain.crm.models import Customer

ERASED = "(erased)"

# Each statement takes :c, the customer, and :now.
_ERASE = (
    """UPDATE crm.contact SET first_name = 'Erased', last_name = 'contact', email = NULL,
       phone = NULL, title = NULL, archived_at = coalesce(archived_at, :now),
       version = version + 1
       WHERE customer_id = :c""",
    """UPDATE crm.interaction SET subject = '(erased)', notes = NULL WHERE customer_id = :c""",
    """UPDATE crm.ticket SET subject = '(erased)', description = '(erased)',
       resolution = CASE WHEN resolution IS NULL THEN NULL ELSE '(erased)' END
       WHERE customer_id = :c""",
    """UPDATE crm.opportunity SET name = 'Deal ' || id, lost_reason = NULL,
       version = version + 1 WHERE customer_id = :c""",
    """UPDATE ops.audit_log SET changes = '{"erased": true}'::jsonb
       WHERE (entity_type = 'customer' AND entity_id = :c)
          OR (entity_type = 'contact'
              AND entity_id IN (SELECT id FROM crm.contact WHERE customer_id = :c))
          OR (entity_type = 'interaction'
              AND entity_id IN (SELECT id FROM crm.interaction WHERE customer_id = :c))
          OR (entity_type = 'ticket'
              AND entity_id IN (SELECT id FROM crm.ticket WHERE customer_id = :c))
          OR (entity_type = 'opportunity'
              AND entity_id IN (SELECT id FROM crm.opportunity WHERE customer_id = :c))""",
    # Events still to be delivered keep their payload until they are (the relay needs it).
    """UPDATE ops.outbox SET payload = '{"erased": true}'::jsonb
       WHERE customer_id = :c AND processed_at IS NOT NULL""",
)


def pseudonym(code: str) -> str:
    return f"Erased customer {code}"


async def erase(
    *, session: AsyncSession, journal: Journal, customer_id: int, version: int
) -> Customer:
    """Erase a customer's personal data (see the module docstring); asking again changes
    nothing."""
    customer = await session.scalar(
        select(Customer).where(Customer.id == customer_id).with_for_update()
    )
    if customer is None:
        raise NotFound("customer", "id")
    if customer.version != version:
        raise Conflict("customer")
    if customer.name == pseudonym(customer.code):
        return customer
    now = datetime.now(UTC)
    for statement in _ERASE:
        await session.execute(text(statement), {"c": customer.id, "now": now})
    customer.name = pseudonym(customer.code)
    customer.email = customer.phone = customer.industry = None
    customer.archived_at = customer.archived_at or now
    customer.version += 1
    await session.flush()
    journal.record(
        "customer.erased",
        entity_type="customer_erasure",
        entity_id=customer.id,
        customer_id=customer.id,
        changes={"code": customer.code},
    )
    return customer
