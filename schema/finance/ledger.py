"""The chart of accounts and the journal entries: reading them, keeping the chart, and
posting or reversing entries by hand."""

from datetime import date
from decimal import Decimal

import strawberry
from strawberry import relay

from domain.finance import accounts, manual_entries
from domain.finance.models import ACCOUNT_TYPES, ENTRY_KINDS
from domain.finance.models import Account as AccountModel
from domain.finance.models import JournalEntry as JournalEntryModel
from domain.finance.models import JournalLine as JournalLineModel
from schema.core import filters
from schema.core.connections import by_date, fixed, root_connection
from schema.core.enums import vocabulary_enum
from schema.core.ids import decode
from schema.core.mutations import enum_value, given, mutation, retry_key
from schema.core.nodes import TableNode, desc
from schema.core.relations import Children, ToOne
from schema.crm.customers import Customer
from schema.erp.invoices import Invoice
from schema.erp.suppliers import Supplier
from schema.finance.supplier_bills import SupplierBill

AccountType = vocabulary_enum(
    "AccountType", ACCOUNT_TYPES, "Which statement an account belongs to, and its normal side."
)
EntryKind = vocabulary_enum(
    "JournalEntryKind",
    ENTRY_KINDS,
    "POSTING: caused by a business event; MANUAL: written by finance; REVERSAL: undoes "
    "another entry; CLOSING: moves a year's result to retained earnings; REVALUATION: "
    "foreign-currency balances at the month-end rate.",
)


@strawberry.type(description="An account of the chart.")
class Account(TableNode):
    MODEL = AccountModel
    id: relay.NodeID[int]
    code: str = desc("Account number, unique.")
    name: str = desc("Name.")
    type: AccountType = desc("Asset, liability, equity, income or expense.")
    currency: str | None = desc("The only currency it is kept in; null: any.")
    purpose: str | None = desc(
        "What automatic postings use it for (`receivable`, `revenue`, …); null for accounts "
        "only manual entries use."
    )
    is_active: bool = desc("Inactive accounts take no postings.")
    version: int = desc("Increases with every change; send it back with accountUpdate.")

    parent: "Account | None" = ToOne["Account"]("parent_id").field(
        "The account this one is grouped under."
    )
    children: list["Account"] = Children["Account"](
        "parent_id", order=("code",), estimated_items=10
    ).field("Accounts grouped under this one, by code; an account with any takes no postings.")


@strawberry.type(description="One line of a journal entry: a debit or a credit to an account.")
class JournalLine(TableNode):
    MODEL = JournalLineModel
    id: relay.NodeID[int]
    line_no: int = desc("Position in the entry, from 1.")
    entry_date: date = desc("The entry's date.")
    debit: Decimal = desc("Debit in the company currency (EUR); 0 on a credit line.")
    credit: Decimal = desc("Credit in the company currency (EUR); 0 on a debit line.")
    currency: str = desc("The document's currency.")
    amount_currency: Decimal = desc("The amount in that currency, positive for a debit.")

    account: Account | None = ToOne[Account]("account_id").field("The account.")
    customer: Customer | None = ToOne[Customer]("customer_id").field("The customer concerned.")
    supplier: Supplier | None = ToOne[Supplier]("supplier_id").field("The supplier concerned.")
    invoice: Invoice | None = ToOne[Invoice]("invoice_id").field("The invoice it settles or bills.")
    supplier_bill: SupplierBill | None = ToOne[SupplierBill]("supplier_bill_id").field(
        "The supplier bill it books or settles (payable lines)."
    )


@strawberry.type(description="A balanced journal entry: posted once, never changed.")
class JournalEntry(TableNode):
    MODEL = JournalEntryModel
    id: relay.NodeID[int]
    number: str = desc("Entry number: the journal's code and a sequence.")
    kind: EntryKind = desc("What caused it.")
    entry_date: date = desc(
        "The date it counts on: the document's date, or the first open day when the "
        "document's month was already closed."
    )
    document_date: date = desc("The date of the document or event that caused it.")
    description: str = desc("What it records.")
    event: str | None = desc("The business event that posted it (`invoice.issued`, …).")
    source_type: str | None = desc("The kind of document it belongs to (`invoice`, …).")
    source_id: int | None = desc("That document's database id.")

    reverses: "JournalEntry | None" = ToOne["JournalEntry"]("reverses_id").field(
        "The entry this one reverses."
    )
    lines: list[JournalLine] = Children[JournalLine](
        "entry_id", order=("line_no",), estimated_items=4
    ).field("Its lines, in order.")


@strawberry.input(description="Filters for accounts.")
class AccountFilter:
    type: list[AccountType] | None = filters.any_of("type", "Any of these types.")
    active: bool | None = filters.equals("is_active", "Only active (or inactive) accounts.")
    search: str | None = filters.search("code", "name", description="Text in code or name.")


@strawberry.input(description="Filters for journal entries.")
class JournalEntryFilter:
    kind: list[EntryKind] | None = filters.any_of("kind", "Any of these kinds.")
    date_from: date | None = filters.at_least("entry_date", "Dated on or after.")
    date_to: date | None = filters.at_most("entry_date", "Dated on or before.")
    source_type: str | None = filters.equals("source_type", "Of this kind of document.")
    number: str | None = filters.equals(
        "number", "The entry with this number.", normalize=lambda number: number.strip().upper()
    )


@strawberry.type
class LedgerQueries:
    accounts = root_connection(
        Account,
        description="The chart of accounts, by code.",
        sort=fixed("code"),
        filter=AccountFilter,
    )
    journal_entries = root_connection(
        JournalEntry,
        description="Journal entries by date.",
        sort=by_date("entry_date"),
        filter=JournalEntryFilter,
    )


@strawberry.input(description="A new account.")
class AccountCreateInput:
    code: str = strawberry.field(description="Account number (unique, at most 20 characters).")
    name: str = strawberry.field(description="Name.")
    type: AccountType = strawberry.field(description="Asset, liability, equity, income, expense.")
    parent: strawberry.ID | None = strawberry.field(
        default=None, description="The account to group it under (same type)."
    )
    currency: str | None = strawberry.field(
        default=None, description="Keep it in this currency only."
    )
    idempotency_key: str | None = retry_key("adding the account twice")


@strawberry.input(description="Changes to an account; fields left out keep their value.")
class AccountUpdateInput:
    id: strawberry.ID = strawberry.field(description="The account.")
    version: int = strawberry.field(description="The version you read; a newer one is a CONFLICT.")
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Name.")
    parent: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="The account to group it under; null: top level."
    )
    currency: str | None = strawberry.field(
        default=strawberry.UNSET, description="Keep it in this currency only; null: any."
    )
    is_active: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="False: no further postings (refused for accounts automatic postings use).",
    )


@strawberry.input(description="One line of an entry written by hand: a debit or a credit.")
class JournalLineInput:
    account: strawberry.ID = strawberry.field(description="The account.")
    debit: Decimal = strawberry.field(default=Decimal("0"), description="Debit (EUR).")
    credit: Decimal = strawberry.field(default=Decimal("0"), description="Credit (EUR).")
    customer: strawberry.ID | None = strawberry.field(
        default=None, description="The customer concerned, if any."
    )
    supplier: strawberry.ID | None = strawberry.field(
        default=None, description="The supplier concerned, if any."
    )


@strawberry.input(description="An entry written by hand: balanced, in an open month.")
class JournalEntryPostInput:
    entry_date: date = strawberry.field(
        name="date", description="The date it counts on (an open month)."
    )
    description: str = strawberry.field(description="What it records.")
    lines: list[JournalLineInput] = strawberry.field(
        description="At least two lines; debits must equal credits."
    )
    journal: str = strawberry.field(
        default="GEN", description="Journal code: SAL, PUR, BNK, STK or GEN."
    )
    idempotency_key: str | None = retry_key("posting the entry twice")


@strawberry.input(description="Undo an entry by posting its mirror image.")
class JournalEntryReverseInput:
    id: strawberry.ID = strawberry.field(description="The entry to reverse.")
    entry_date: date = strawberry.field(
        name="date", description="The date the reversal counts on (an open month)."
    )
    reason: str = strawberry.field(description="Why (required).")
    idempotency_key: str | None = retry_key("reversing it twice")


def _optional(value: strawberry.ID | None, type_name: str, field: str) -> int | None:
    return None if value is None else decode(value, type_name, field)


def _account_values(input: AccountCreateInput | AccountUpdateInput) -> dict[str, object]:
    values = given(
        input, *(name for name in ("name", "currency", "is_active") if hasattr(input, name))
    )
    if input.parent is not strawberry.UNSET:
        values["parent_id"] = _optional(input.parent, "Account", "parent")
    return values


def _manual_entry(input: JournalEntryPostInput) -> manual_entries.ManualEntry:
    return manual_entries.ManualEntry(
        entry_date=input.entry_date,
        description=input.description,
        journal=input.journal.strip().upper(),
        lines=[
            manual_entries.ManualLine(
                account_id=decode(line.account, "Account", f"lines.{position}.account"),
                debit=line.debit,
                credit=line.credit,
                customer_id=_optional(line.customer, "Customer", f"lines.{position}.customer"),
                supplier_id=_optional(line.supplier, "Supplier", f"lines.{position}.supplier"),
            )
            for position, line in enumerate(input.lines)
        ],
    )


@strawberry.type
class LedgerMutations:
    account_create = mutation(
        AccountCreateInput,
        Account,
        "Add an account to the chart.",
        lambda input, session, journal: accounts.create(
            session=session,
            journal=journal,
            given={
                "code": input.code,
                "type": enum_value(input.type),
                **_account_values(input),
            },
        ),
    )
    account_update = mutation(
        AccountUpdateInput,
        Account,
        "Rename, regroup, restrict or deactivate an account.",
        lambda input, session, journal: accounts.update(
            session=session,
            journal=journal,
            account_id=decode(input.id, "Account", "id"),
            version=input.version,
            given=_account_values(input),
        ),
    )
    journal_entry_post = mutation(
        JournalEntryPostInput,
        JournalEntry,
        "Post an entry written by hand (balanced, active accounts, an open month).",
        lambda input, session, journal: manual_entries.create(
            session=session, journal=journal, request=_manual_entry(input)
        ),
    )
    journal_entry_reverse = mutation(
        JournalEntryReverseInput,
        JournalEntry,
        "Undo an entry by posting its mirror image; the original stays as it was.",
        lambda input, session, journal: manual_entries.reverse(
            session=session,
            journal=journal,
            entry_id=decode(input.id, "JournalEntry", "id"),
            on=input.entry_date,
            reason=input.reason,
        ),
        entity="journalEntry",
    )
