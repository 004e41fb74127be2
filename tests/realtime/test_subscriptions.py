"""Subscriptions over graphql-transport-ws, against real API processes.

Ordering is what lets these tests show that something was *not* sent without waiting for
it: updates reach a subscriber in commit order, so when a later change arrives first, the
earlier one was never sent.
"""

from pathlib import Path
from typing import Any

from tests.realtime.client import LiveClient
from tests.realtime.conftest import Cast, Server, start_server, token

TICKETS = """subscription($customer: ID, $after: String) {
  ticketUpdated(customer: $customer, after: $after) {
    cursor action ticket { subject status customer { id } } } }"""
OPEN_TICKET = """mutation($customer: ID!, $subject: String!) {
  ticketOpen(input: {customer: $customer, subject: $subject, category: QUESTION}) {
    ticket { id } errors { message } } }"""


async def _open(writer: Server, bearer: str, customer: str, subject: str) -> None:
    await writer.graphql(bearer, OPEN_TICKET, customer=customer, subject=subject)


def _errors(message: dict[str, Any]) -> list[dict[str, Any]]:
    """A refusal's errors: before the stream starts (`error`) or as its only result."""
    if message["type"] == "error":
        return message["payload"]  # type: ignore[no-any-return]
    assert message["type"] == "next" and message["payload"]["data"] is None, message
    return message["payload"]["errors"]  # type: ignore[no-any-return]


async def _resumed(client: LiveClient, cursor: str, last: str) -> list[str]:
    """The subjects a resumed subscription sends after `cursor`, up to the one named `last`.

    Before them it may repeat updates of the moments just before the cursor (delivery is at
    least once; each update shows its record as it is now, so a repeat is harmless): those
    must all come first.
    """
    received = [_ticket(await client.next("t"))]
    while received[-1]["ticket"]["subject"] != last:
        received.append(_ticket(await client.next("t")))
    later = [int(u["cursor"]) > int(cursor) for u in received]
    assert later == sorted(later), "a repeat came after a new update"
    return [u["ticket"]["subject"] for u, new in zip(received, later, strict=True) if new]


def _ticket(message: dict[str, Any]) -> dict[str, Any]:
    assert message["type"] == "next", message
    update: dict[str, Any] = message["payload"]["data"]["ticketUpdated"]
    return update


async def test_a_connection_authenticates_in_connection_init(
    servers: tuple[Server, Server], cast: Cast
) -> None:
    live, _ = servers
    anonymous = await LiveClient.connect(live.ws, None)
    assert await anonymous.close_code() == (4403, "Forbidden")
    forged = await LiveClient.connect(live.ws, {"Authorization": "Bearer not-a-token"})
    assert await forged.close_code() == (4403, "Forbidden")
    # A token that expires ends the connection, with a code saying so.
    short = await LiveClient.signed_in(live.ws, token(cast.admin, "admin", ttl=2))
    await short.subscribe("t", TICKETS)
    assert await short.close_code(within=15) == (4401, "the token expired")


async def test_each_subscriber_receives_only_what_their_record_rules_show(
    servers: tuple[Server, Server], cast: Cast
) -> None:
    live, writer = servers
    admin = token(cast.admin, "admin")
    rep = await LiveClient.signed_in(live.ws, token(cast.rep, "sales_rep"))
    other = await LiveClient.signed_in(live.ws, token(cast.other_rep, "sales_rep"))
    everyone = await LiveClient.signed_in(live.ws, admin)
    for client in (rep, other, everyone):
        await client.subscribe("t", TICKETS)
    # Subscriptions start listening before their `subscribe` is answered: one round trip
    # on each connection (an unknown operation's error) shows they are in place.
    for client in (rep, other, everyone):
        await client.subscribe("probe", "subscription { noSuchField }")
        assert (await client.next("probe"))["type"] == "error"

    await _open(writer, admin, cast.rep_customer, "For the first rep")
    await _open(writer, admin, cast.other_customer, "For the second rep")

    assert _ticket(await rep.next("t"))["ticket"]["subject"] == "For the first rep"
    # The second rep's first update is their own customer's: the first was never sent.
    assert _ticket(await other.next("t"))["ticket"]["subject"] == "For the second rep"
    subjects = [_ticket(await everyone.next("t"))["ticket"]["subject"] for _ in range(2)]
    assert subjects == ["For the first rep", "For the second rep"]
    for client in (rep, other, everyone):
        await client.close()


async def test_field_permissions_apply_to_each_update(
    servers: tuple[Server, Server], cast: Cast
) -> None:
    live, writer = servers
    support = await LiveClient.signed_in(live.ws, token(cast.admin, "support"))
    await support.subscribe(
        "t",
        """subscription($c: ID) { ticketUpdated(customer: $c) {
          ticket { subject customer { name openBalance } } } }""",
        c=cast.rep_customer,
    )
    await support.subscribe("probe", "subscription { noSuchField }")
    await support.next("probe")
    await _open(writer, token(cast.admin, "admin"), cast.rep_customer, "Balance?")
    update = await support.next("t")
    ticket = update["payload"]["data"]["ticketUpdated"]["ticket"]
    assert ticket["subject"] == "Balance?" and ticket["customer"]["name"]
    # Support may not read receivables: the field is closed, the rest is delivered.
    assert ticket["customer"]["openBalance"] is None
    assert update["payload"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await support.close()


async def test_a_client_resumes_after_the_last_update_it_saw(
    servers: tuple[Server, Server], cast: Cast
) -> None:
    live, writer = servers
    admin = token(cast.admin, "admin")
    client = await LiveClient.signed_in(live.ws, admin)
    await client.subscribe("t", TICKETS, customer=cast.other_customer)
    await client.subscribe("probe", "subscription { noSuchField }")
    await client.next("probe")
    await _open(writer, admin, cast.other_customer, "Seen")
    seen = _ticket(await client.next("t"))
    await client.close()

    await _open(writer, admin, cast.other_customer, "Missed one")
    await _open(writer, admin, cast.other_customer, "Missed two")
    again = await LiveClient.signed_in(live.ws, admin)
    await again.subscribe("t", TICKETS, customer=cast.other_customer, after=seen["cursor"])
    assert await _resumed(again, seen["cursor"], "Missed two") == ["Missed one", "Missed two"]
    # …and then live updates, as before.
    await _open(writer, admin, cast.other_customer, "Live again")
    assert _ticket(await again.next("t"))["ticket"]["subject"] == "Live again"

    await again.subscribe("bad", TICKETS, after="not-a-cursor")
    assert _errors(await again.next("bad"))[0]["extensions"]["code"] == "BAD_USER_INPUT"
    await again.close()


async def test_subscribers_resume_across_an_api_process_restart(
    servers: tuple[Server, Server],
    cast: Cast,
    database_url: str,
    redis_url: str,
    tmp_path: Path,
) -> None:
    _, writer = servers
    admin = token(cast.admin, "admin")
    first = await start_server(database_url, redis_url, tmp_path / "first.log").ready()
    client = await LiveClient.signed_in(first.ws, admin)
    await client.subscribe("t", TICKETS, customer=cast.rep_customer)
    await client.subscribe("probe", "subscription { noSuchField }")
    await client.next("probe")
    await _open(writer, admin, cast.rep_customer, "Before the restart")
    seen = _ticket(await client.next("t"))

    await first.stop()  # the API process goes; the client's connection with it
    await client.close_code()
    await _open(writer, admin, cast.rep_customer, "While it was down")
    second = await start_server(
        database_url, redis_url, tmp_path / "second.log", port=first.port
    ).ready()
    resumed = await LiveClient.signed_in(second.ws, admin)
    await resumed.subscribe("t", TICKETS, customer=cast.rep_customer, after=seen["cursor"])
    assert await _resumed(resumed, seen["cursor"], "While it was down") == ["While it was down"]
    await resumed.close()
    await second.stop()


async def test_limits_per_connection_per_employee_and_shape(
    servers: tuple[Server, Server], cast: Cast
) -> None:
    live, _ = servers
    bearer = token(cast.rep, "sales_rep")
    one = await LiveClient.signed_in(live.ws, bearer)
    for id in ("a", "b", "c"):
        await one.subscribe(id, TICKETS)
    await one.subscribe("d", TICKETS)
    assert "limit" in _errors(await one.next("d"))[0]["message"].lower()

    # Four per employee in one process: a second connection gets one more, then no more.
    two = await LiveClient.signed_in(live.ws, bearer)
    await two.subscribe("e", TICKETS)
    await two.subscribe("f", TICKETS)
    assert _errors(await two.next("f"))[0]["extensions"]["code"] == "LIMIT_EXCEEDED"

    # Shape limits are the queries' own.
    nested = "customer { tickets(first: 1) { edges { node { " * 6
    deep = f"subscription {{ ticketUpdated {{ ticket {{ {nested} subject {'} } } }' * 6} }} }} }}"
    await two.subscribe("deep", deep)
    assert _errors(await two.next("deep"))[0]["extensions"]["code"] == "LIMIT_EXCEEDED"
    await one.close()
    await two.close()
    # Closed connections give their places back.
    three = await LiveClient.signed_in(live.ws, bearer)
    await three.subscribe("g", TICKETS)
    await three.subscribe("probe", "subscription { noSuchField }")
    assert (await three.next("probe"))["type"] == "error"
    assert not three.messages["g"]
    await three.close()
