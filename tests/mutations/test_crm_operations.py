"""CRM operations: campaigns, the deal pipeline into a sales order, tickets, contacts."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from domain.crm import campaigns
from tests.mutations.conftest import Execute, World
from tests.mutations.operations import ERRORS, create_customer, create_item, key, place


async def test_a_campaign_targets_customers_who_respond_and_convert(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    first = await create_customer(execute, name="One")
    second = await create_customer(execute, name="Two")
    campaign = (
        await execute(
            f"""mutation {{ campaignCreate(input: {{name: "Spring promo", channel: EMAIL,
                budget: "2500.00", startsOn: "2026-03-01", endsOn: "2026-04-30"}}) {{
                campaign {{ id status budget owner {{ email }} }} {ERRORS} }} }}"""
        )
    )["campaignCreate"]["campaign"]
    assert (campaign["status"], campaign["budget"]) == ("PLANNED", "2500.00")
    add = f"""mutation($c: ID!, $m: [ID!]!) {{ campaignAddMembers(input: {{campaign: $c, customers: $m}}) {{
        campaign {{ members {{ totalCount }} }} {ERRORS} }} }}"""
    added = await execute(add, {"c": campaign["id"], "m": [first["id"], second["id"]]})
    assert added["campaignAddMembers"]["campaign"]["members"]["totalCount"] == 2
    again = await execute(add, {"c": campaign["id"], "m": [first["id"]]})
    assert again["campaignAddMembers"]["campaign"]["members"]["totalCount"] == 2  # no duplicate

    respond = f"""mutation($c: ID!, $m: ID!, $s: CampaignMemberStatus!) {{
        campaignMemberRespond(input: {{campaign: $c, customer: $m, status: $s}}) {{
        member {{ status respondedAt convertedAt }} {ERRORS} }} }}"""
    converted = await execute(respond, {"c": campaign["id"], "m": first["id"], "s": "CONVERTED"})
    member = converted["campaignMemberRespond"]["member"]
    assert member["status"] == "CONVERTED" and member["respondedAt"] and member["convertedAt"]
    backwards = await execute(respond, {"c": campaign["id"], "m": first["id"], "s": "RESPONDED"})
    assert backwards["campaignMemberRespond"]["errors"][0]["code"] == "INVALID_TRANSITION"
    assert (
        await db.fetchval("SELECT count(*) FROM ops.outbox WHERE topic = 'campaign.member_added'")
        == 2
    )


async def test_a_won_deal_becomes_a_draft_order_that_reserves_on_confirmation(
    execute: Execute, world: World
) -> None:
    customer = await create_customer(execute, tier="SILVER", country="FR")
    item = await create_item(execute, world, sku="DEAL-1", price="200.00", stock=10)
    create = f"""mutation($c: ID!) {{ opportunityCreate(input: {{customer: $c, name: "Fleet upgrade",
        amount: "1900.00"}}) {{ opportunity {{ id stage probability version }} {ERRORS} }} }}"""
    deal = (await execute(create, {"c": customer["id"]}))["opportunityCreate"]["opportunity"]
    assert (deal["stage"], deal["probability"]) == ("PROSPECTING", 10)
    move = f"""mutation($id: ID!, $s: OpportunityStage!) {{ opportunityMoveStage(input: {{id: $id, stage: $s}}) {{
        opportunity {{ stage probability }} {ERRORS} }} }}"""
    win = f"""mutation($id: ID!, $item: ID!) {{ opportunityWin(input: {{id: $id,
        lines: [{{stockItem: $item, quantity: 10}}]}}) {{
        opportunity {{ stage probability salesOrder {{ id status total version }} }} {ERRORS} }} }}"""
    too_early = (await execute(win, {"id": deal["id"], "item": item}))["opportunityWin"]
    assert too_early["errors"][0]["code"] == "INVALID_TRANSITION"
    moved = (await execute(move, {"id": deal["id"], "s": "PROPOSAL"}))["opportunityMoveStage"]
    assert moved["opportunity"] == {"stage": "PROPOSAL", "probability": 50}
    won = (await execute(win, {"id": deal["id"], "item": item}))["opportunityWin"]["opportunity"]
    order = won["salesOrder"]
    # Silver with 10 units: 7.5 % off 200.00 = 185.00 each; French VAT 20 %.
    assert (won["stage"], won["probability"], order["status"], order["total"]) == (
        "WON",
        100,
        "DRAFT",
        "2220.00",
    )
    stock = """query($id: ID!) { node(id: $id) { ... on StockItem { reserved } } }"""
    assert (await execute(stock, {"id": item}))["node"]["reserved"] == 0
    confirm = f"""mutation($id: ID!, $v: Int) {{ salesOrderConfirm(input: {{id: $id, version: $v}}) {{
        salesOrder {{ status }} {ERRORS} }} }}"""
    confirmed = await execute(confirm, {"id": order["id"], "v": order["version"]})
    assert confirmed["salesOrderConfirm"]["salesOrder"]["status"] == "CONFIRMED"
    assert (await execute(stock, {"id": item}))["node"]["reserved"] == 10
    lose = f"""mutation($id: ID!) {{ opportunityLose(input: {{id: $id, reason: "  "}}) {{ {ERRORS} }} }}"""
    assert (await execute(lose, {"id": deal["id"]}))["opportunityLose"]["errors"][0][
        "field"
    ] == "reason"


async def test_a_ticket_about_an_order_must_name_the_customers_own_order(
    execute: Execute, world: World
) -> None:
    customer = await create_customer(execute)
    stranger = await create_customer(execute, name="Stranger")
    item = await create_item(execute, world, sku="TCK-1", price="1.00", stock=5)
    theirs = (await place(execute, world, stranger["id"], [(item, 1)]))["salesOrder"]
    mine = (await place(execute, world, customer["id"], [(item, 1)]))["salesOrder"]
    open_ticket = f"""mutation($c: ID!, $o: ID) {{ ticketOpen(input: {{customer: $c, subject: "Broken",
        category: COMPLAINT, priority: HIGH, salesOrder: $o}}) {{
        ticket {{ id number status salesOrder {{ number }} }} {ERRORS} }} }}"""
    wrong = (await execute(open_ticket, {"c": customer["id"], "o": theirs["id"]}))["ticketOpen"]
    assert wrong["errors"] == [
        {"field": "salesOrder", "message": "not an order of this customer", "code": "NOT_FOUND"}
    ]
    ticket = (await execute(open_ticket, {"c": customer["id"], "o": mine["id"]}))["ticketOpen"][
        "ticket"
    ]
    assert ticket["status"] == "OPEN" and ticket["salesOrder"]["number"] == mine["number"]
    resolve = f"""mutation($id: ID!) {{ ticketResolve(input: {{id: $id, resolution: "Replaced",
        satisfaction: 5}}) {{ ticket {{ status satisfaction }} {ERRORS} }} }}"""
    assert (await execute(resolve, {"id": ticket["id"]}))["ticketResolve"]["ticket"] == {
        "status": "RESOLVED",
        "satisfaction": 5,
    }
    twice = (await execute(resolve, {"id": ticket["id"]}))["ticketResolve"]
    assert twice["errors"][0]["code"] == "INVALID_TRANSITION"


async def test_a_new_primary_contact_replaces_the_old_one(execute: Execute, world: World) -> None:
    customer = await create_customer(execute)
    add = f"""mutation($c: ID!, $first: String!) {{ contactCreate(input: {{customer: $c,
        firstName: $first, lastName: "Doe", email: "jo@example.com", isPrimary: true}}) {{ {ERRORS} }} }}"""
    for first in ("Jo", "Max"):
        assert (await execute(add, {"c": customer["id"], "first": first}))["contactCreate"][
            "errors"
        ] == []
    contacts = await execute(
        """query($id: ID!) { customer(id: $id) { contacts { firstName isPrimary } } }""",
        {"id": customer["id"]},
    )
    assert contacts["customer"]["contacts"] == [
        {"firstName": "Max", "isPrimary": True},
        {"firstName": "Jo", "isPrimary": False},
    ]
    log = f"""mutation($c: ID!) {{ interactionLog(input: {{customer: $c, channel: PHONE,
        subject: "Follow-up", direction: INBOUND}}) {{ interaction {{ channel employee {{ email }} }} {ERRORS} }} }}"""
    logged = (await execute(log, {"c": customer["id"]}))["interactionLog"]["interaction"]
    assert logged == {"channel": "PHONE", "employee": {"email": "ada@example.com"}}


MOVE_CAMPAIGN = f"""mutation($input: CampaignMoveStatusInput!) {{ campaignMoveStatus(input: $input) {{
    campaign {{ status startsOn endsOn version }} {ERRORS} }} }}"""


async def _planned_campaign(execute: Execute, starts_on: date, ends_on: date) -> str:
    created = await execute(
        f"""mutation($s: Date!, $e: Date!) {{ campaignCreate(input: {{name: "Autumn fair",
            channel: EVENTS, budget: "900.00", startsOn: $s, endsOn: $e}}) {{
            campaign {{ id }} {ERRORS} }} }}""",
        {"s": starts_on.isoformat(), "e": ends_on.isoformat()},
    )
    return str(created["campaignCreate"]["campaign"]["id"])


async def test_a_campaign_runs_from_planned_to_active_to_completed_on_the_days_it_ran(
    execute: Execute, world: World
) -> None:
    today = datetime.now(UTC).date()
    campaign = await _planned_campaign(
        execute, today + timedelta(days=30), today + timedelta(days=60)
    )

    async def move(status: str, version: int | None = None) -> dict[str, Any]:
        request = {"id": campaign, "status": status, "version": version}
        return (await execute(MOVE_CAMPAIGN, {"input": request}))["campaignMoveStatus"]  # type: ignore[no-any-return]

    early = await move("COMPLETED", 1)
    assert early["errors"] == [
        {
            "field": None,
            "message": "cannot complete a campaign that is planned",
            "code": "INVALID_TRANSITION",
        }
    ]
    started = await move("ACTIVE", 1)
    assert started == {
        "campaign": {
            "status": "ACTIVE",
            "startsOn": today.isoformat(),  # started a month early: it runs from today
            "endsOn": (today + timedelta(days=60)).isoformat(),
            "version": 2,
        },
        "errors": [],
    }
    stale = await move("CANCELLED", 1)
    assert [e["code"] for e in stale["errors"]] == ["CONFLICT"]
    done = await move("COMPLETED", 2)
    assert (done["campaign"]["status"], done["campaign"]["endsOn"]) == (
        "COMPLETED",
        today.isoformat(),
    )
    for status in ("ACTIVE", "CANCELLED", "PLANNED"):
        assert [e["code"] for e in (await move(status))["errors"]] == ["INVALID_TRANSITION"]
    customer = await create_customer(execute, name="Late Joiner")
    closed = await execute(
        f"""mutation($c: ID!, $m: [ID!]!) {{ campaignAddMembers(input: {{campaign: $c,
            customers: $m}}) {{ campaign {{ id }} {ERRORS} }} }}""",
        {"c": campaign, "m": [customer["id"]]},
    )
    assert [e["code"] for e in closed["campaignAddMembers"]["errors"]] == ["INVALID_TRANSITION"]


async def test_a_planned_campaign_can_be_called_off_and_that_is_final(
    execute: Execute, world: World
) -> None:
    today = datetime.now(UTC).date()
    campaign = await _planned_campaign(
        execute, today + timedelta(days=5), today + timedelta(days=9)
    )
    cancelled = (await execute(MOVE_CAMPAIGN, {"input": {"id": campaign, "status": "CANCELLED"}}))[
        "campaignMoveStatus"
    ]
    assert cancelled["campaign"]["status"] == "CANCELLED"
    assert cancelled["campaign"]["startsOn"] == (today + timedelta(days=5)).isoformat()
    restarted = (await execute(MOVE_CAMPAIGN, {"input": {"id": campaign, "status": "ACTIVE"}}))[
        "campaignMoveStatus"
    ]
    assert restarted["errors"][0]["message"] == "cannot start a campaign that is cancelled"


MOVE_TICKET = f"""mutation($id: ID!, $s: TicketStatus!) {{ ticketMoveStatus(input: {{id: $id,
    status: $s}}) {{ ticket {{ status resolvedAt }} {ERRORS} }} }}"""
ASSIGN_TICKET = f"""mutation($id: ID!, $a: ID) {{ ticketAssign(input: {{id: $id, assignee: $a}}) {{
    ticket {{ assignee {{ email }} }} {ERRORS} }} }}"""


async def test_a_ticket_is_worked_on_resolved_reopened_and_closed(
    execute: Execute, world: World
) -> None:
    customer = await create_customer(execute)
    ticket = (
        await execute(
            f"""mutation($c: ID!) {{ ticketOpen(input: {{customer: $c, subject: "Login fails",
            category: INCIDENT}}) {{ ticket {{ id }} {ERRORS} }} }}""",
            {"c": customer["id"]},
        )
    )["ticketOpen"]["ticket"]["id"]

    async def move(status: str) -> dict[str, Any]:
        return (await execute(MOVE_TICKET, {"id": ticket, "s": status}))["ticketMoveStatus"]  # type: ignore[no-any-return]

    taken = World.gid("Employee", world.admin.employee_id or 0)  # anyone may take it on
    assigned = await execute(ASSIGN_TICKET, {"id": ticket, "a": taken})
    assert assigned["ticketAssign"]["ticket"]["assignee"] == {"email": "ada@example.com"}
    elsewhere = await execute(
        ASSIGN_TICKET, {"id": ticket, "a": World.gid("Employee", world.rep_employee)}
    )
    assert [e["field"] for e in elsewhere["ticketAssign"]["errors"]] == ["assignee"]
    assert (await move("IN_PROGRESS"))["ticket"]["status"] == "IN_PROGRESS"
    assert (await move("WAITING"))["ticket"]["status"] == "WAITING"
    assert (await move("CLOSED"))["errors"][0]["message"] == "cannot close a ticket that is waiting"
    assert (await move("RESOLVED"))["errors"][0]["code"] == "INVALID_TRANSITION"  # ticketResolve
    await execute(
        f"""mutation($id: ID!) {{ ticketResolve(input: {{id: $id, resolution: "Reset"}}) {{
        ticket {{ status }} {ERRORS} }} }}""",
        {"id": ticket},
    )
    reopened = await move("OPEN")
    assert reopened == {"ticket": {"status": "OPEN", "resolvedAt": None}, "errors": []}
    await execute(
        f"""mutation($id: ID!) {{ ticketResolve(input: {{id: $id, resolution: "Fixed"}}) {{
        ticket {{ status }} {ERRORS} }} }}""",
        {"id": ticket},
    )
    assert (await move("CLOSED"))["ticket"]["status"] == "CLOSED"
    assert (await move("OPEN"))["errors"][0]["code"] == "INVALID_TRANSITION"  # closed is final
    kept = (await execute(ASSIGN_TICKET, {"id": ticket, "a": None}))["ticketAssign"]
    assert [e["code"] for e in kept["errors"]] == ["INVALID_TRANSITION"]


EDIT_DEAL = f"""mutation($input: OpportunityUpdateInput!) {{ opportunityUpdate(input: $input) {{
    opportunity {{ name amount probability expectedCloseOn version }} {ERRORS} }} }}"""


async def test_an_open_deal_is_edited_with_its_version_and_a_closed_one_is_not(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    customer = await create_customer(execute)
    deal = (
        await execute(
            f"""mutation($c: ID!) {{ opportunityCreate(input: {{customer: $c, name: "Fit-out",
            amount: "5000.00"}}) {{ opportunity {{ id version }} {ERRORS} }} }}""",
            {"c": customer["id"]},
        )
    )["opportunityCreate"]["opportunity"]
    close_on = (datetime.now(UTC).date() + timedelta(days=21)).isoformat()

    async def edit(**fields: Any) -> dict[str, Any]:
        request = {"id": deal["id"], **fields}
        return (await execute(EDIT_DEAL, {"input": request}))["opportunityUpdate"]  # type: ignore[no-any-return]

    edited = await edit(version=1, amount="7250.00", probability=55, expectedCloseOn=close_on)
    assert edited == {
        "opportunity": {
            "name": "Fit-out",
            "amount": "7250.00",
            "probability": 55,
            "expectedCloseOn": close_on,
            "version": 2,
        },
        "errors": [],
    }
    assert [e["code"] for e in (await edit(version=1, name="Stale"))["errors"]] == ["CONFLICT"]
    bad = await edit(version=2, amount="-1.00", probability=120)
    assert sorted(e["field"] for e in bad["errors"]) == ["amount", "probability"]
    back = await edit(version=2, probability=None)  # back to the stage's default
    assert back["opportunity"]["probability"] == 10
    event = await db.fetchval(
        "SELECT customer_id FROM ops.outbox WHERE topic = 'opportunity.updated' ORDER BY id DESC"
    )
    assert event is not None  # the customer's pipeline value is refreshed from it
    lose = f"""mutation($id: ID!) {{ opportunityLose(input: {{id: $id, reason: "Budget"}}) {{
        opportunity {{ stage }} {ERRORS} }} }}"""
    await execute(lose, {"id": deal["id"]})
    closed = await edit(version=4, amount="1.00")
    assert closed["errors"][0]["message"] == "cannot edit an opportunity that is lost"


async def test_a_contact_is_changed_with_its_version_and_can_become_the_main_contact(
    execute: Execute, world: World
) -> None:
    customer = await create_customer(execute)
    add = f"""mutation($c: ID!, $first: String!, $p: Boolean!) {{ contactCreate(input: {{
        customer: $c, firstName: $first, lastName: "Roe", isPrimary: $p}}) {{
        contact {{ id version }} {ERRORS} }} }}"""
    first = await execute(add, {"c": customer["id"], "first": "Ann", "p": True})
    second = await execute(add, {"c": customer["id"], "first": "Ben", "p": False})
    ben = second["contactCreate"]["contact"]
    change = f"""mutation($input: ContactUpdateInput!) {{ contactUpdate(input: $input) {{
        contact {{ firstName email title isPrimary version }} {ERRORS} }} }}"""
    promoted = (
        await execute(
            change,
            {
                "input": {
                    "id": ben["id"],
                    "version": 1,
                    "email": "ben.roe@example.com",
                    "title": "Head of Purchasing",
                    "isPrimary": True,
                }
            },
        )
    )["contactUpdate"]
    assert promoted == {
        "contact": {
            "firstName": "Ben",
            "email": "ben.roe@example.com",
            "title": "Head of Purchasing",
            "isPrimary": True,
            "version": 2,
        },
        "errors": [],
    }
    contacts = await execute(
        """query($id: ID!) { customer(id: $id) { contacts { firstName isPrimary } } }""",
        {"id": customer["id"]},
    )
    assert {c["firstName"]: c["isPrimary"] for c in contacts["customer"]["contacts"]} == {
        "Ann": False,
        "Ben": True,
    }
    stale = await execute(change, {"input": {"id": ben["id"], "version": 1, "title": None}})
    assert [e["code"] for e in stale["contactUpdate"]["errors"]] == ["CONFLICT"]
    bad = (
        await execute(
            change, {"input": {"id": ben["id"], "version": 2, "email": "nope", "firstName": ""}}
        )
    )["contactUpdate"]
    assert sorted(e["field"] for e in bad["errors"]) == ["email", "firstName"]
    assert first["contactCreate"]["errors"] == []
    strangers = (
        await execute(
            change, {"input": {"id": ben["id"], "version": 2, "title": "x"}}, viewer=world.other_rep
        )
    )["contactUpdate"]
    assert [e["code"] for e in strangers["errors"]] == ["NOT_FOUND"]  # not their customer


CAMPAIGN_UPDATE = f"""mutation($input: CampaignUpdateInput!) {{ campaignUpdate(input: $input) {{
    campaign {{ name budget startsOn endsOn version }} {ERRORS} }} }}"""


async def test_a_campaign_is_changed_while_it_runs_and_not_after(
    execute: Execute, world: World
) -> None:
    today = datetime.now(UTC).date()
    campaign = await _planned_campaign(
        execute, today + timedelta(days=10), today + timedelta(days=20)
    )

    async def change(**fields: Any) -> dict[str, Any]:
        request = {"id": campaign, **fields}
        return (await execute(CAMPAIGN_UPDATE, {"input": request}))["campaignUpdate"]  # type: ignore[no-any-return]

    moved = await change(
        version=1, budget="1200.00", startsOn=(today + timedelta(days=12)).isoformat()
    )
    assert moved["campaign"] == {
        "name": "Autumn fair",
        "budget": "1200.00",
        "startsOn": (today + timedelta(days=12)).isoformat(),
        "endsOn": (today + timedelta(days=20)).isoformat(),
        "version": 2,
    }
    backwards = await change(version=2, endsOn=(today + timedelta(days=11)).isoformat())
    assert [e["field"] for e in backwards["errors"]] == ["endsOn"]
    assert [e["code"] for e in (await change(version=1, name="Stale"))["errors"]] == ["CONFLICT"]
    await execute(MOVE_CAMPAIGN, {"input": {"id": campaign, "status": "ACTIVE"}})
    running = await change(version=3, startsOn=today.isoformat(), name="Autumn fair II")
    assert [e["field"] for e in running["errors"]] == ["startsOn"]  # its first day stays
    renamed = await change(version=3, name="Autumn fair II", endsOn=None)
    assert (renamed["campaign"]["name"], renamed["campaign"]["endsOn"]) == ("Autumn fair II", None)
    await execute(MOVE_CAMPAIGN, {"input": {"id": campaign, "status": "COMPLETED"}})
    done = await change(version=5, budget="1.00")
    assert done["errors"][0]["message"] == "cannot change a campaign that is completed"


async def test_a_control_group_is_held_out_of_a_campaign_the_same_way_on_every_retry(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    customers = [(await create_customer(execute, name=f"Audience {i}"))["id"] for i in range(60)]
    campaign = (
        await execute(
            f"""mutation {{ campaignCreate(input: {{name: "Holdout test", channel: EMAIL,
                budget: "900.00", startsOn: "2026-03-01"}}) {{ campaign {{ id }} {ERRORS} }} }}"""
        )
    )["campaignCreate"]["campaign"]["id"]
    add = f"""mutation($c: ID!, $m: [ID!]!, $share: Decimal!) {{ campaignAddMembers(input: {{
        campaign: $c, customers: $m, controlShare: $share}}) {{ {ERRORS} }} }}"""
    too_many = await execute(add, {"c": campaign, "m": customers[:1], "share": "0.6"})
    assert [(e["field"], e["code"]) for e in too_many["campaignAddMembers"]["errors"]] == [
        ("controlShare", "VALIDATION")
    ]
    await execute(add, {"c": campaign, "m": customers[:30], "share": "0.5"})
    await execute(add, {"c": campaign, "m": customers, "share": "0.5"})  # 30 new, 30 kept
    held = {
        row["customer_id"]: row["held_out"]
        for row in await db.fetch(
            "SELECT customer_id, held_out FROM crm.campaign_member ORDER BY customer_id"
        )
    }
    assert len(held) == 60 and 0.3 < sum(held.values()) / 60 < 0.7
    # The draw belongs to campaign and customer: the same whoever else is added, and again.
    for customer, out in held.items():
        assert campaigns.held_out(key(campaign), customer, Decimal("0.5")) is out
    member = next(c for c in customers if held[key(c)])
    respond = f"""mutation($c: ID!, $m: ID!) {{ campaignMemberRespond(input: {{campaign: $c,
        customer: $m, status: RESPONDED}}) {{ {ERRORS} }} }}"""
    refused = await execute(respond, {"c": campaign, "m": member})
    assert [e["code"] for e in refused["campaignMemberRespond"]["errors"]] == ["HELD_OUT"]
