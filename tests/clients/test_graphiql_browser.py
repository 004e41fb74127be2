"""GraphiQL in a real Chromium with no internet: the page and its files come from the API
itself, the preloaded Customer 360 runs with the development token, the Docs open, and a
subscription typed into the editor shows a change made meanwhile.

`make browser-test` runs this alone and keeps its screenshot as docs/images/graphiql.png."""

import asyncio
import json
import os
from pathlib import Path

import pytest
from strawberry.relay import from_base64

from tests.clients.conftest import Api, run_node
from tests.clients.tools import CHROMIUM
from tests.faults.processes import BizgraphProcess

# Run with the editor's variables: {"id": the customer the 360 shows}.
SUBSCRIPTION = """subscription WatchTickets($id: ID!) {
  ticketUpdated(customer: $id) {
    action
    ticket { subject status }
  }
}
"""
OPEN_TICKET = """mutation OpenTicket($customer: ID!) {
  ticketOpen(input: {customer: $customer, subject: "Seen live in GraphiQL", category: QUESTION}) {
    ticket { id } errors { message }
  }
}"""


@pytest.fixture
def screenshot(tmp_path: Path) -> Path:
    return Path(os.environ.get("BIZGRAPH_SCREENSHOT") or tmp_path / "graphiql.png").resolve()


@pytest.mark.usefixtures("node_packages")
async def test_graphiql_works_offline_with_the_dev_token(
    dev_process: tuple[BizgraphProcess, Api], screenshot: Path, tmp_path: Path
) -> None:
    process, api = dev_process
    await process.ready(api.url.removesuffix("/graphql"))
    seen = run_node(
        "graphiql.mjs",
        {
            "url": api.url,
            "chromium": CHROMIUM,
            "screenshot": str(screenshot),
            "subscription": SUBSCRIPTION,
            "change": {"query": OPEN_TICKET},
            "expect": "Seen live in GraphiQL",
        },
        tmp_path,
    )
    # Nothing was asked of any other host, and nothing failed on the page (a refused file or
    # a content-security-policy violation would show here).
    assert seen["blocked"] == []
    assert seen["consoleErrors"] == [] and seen["pageErrors"] == []
    # The preloaded document ran with the page's own token on a customer showing it all.
    answer = seen["customer360"]
    assert isinstance(answer, dict) and answer["status"] == 200
    assert "errors" not in answer["body"], answer["body"]
    customer = answer["body"]["data"]["customer"]
    orders = [edge["node"] for edge in customer["orders"]["edges"]]
    assert orders and any(order["deliveries"] for order in orders)
    assert any(order["invoices"] for order in orders)
    assert customer["tickets"]["edges"]
    assert "subscription: Subscription" in str(seen["docs"])
    assert (await asyncio.to_thread(screenshot.read_bytes)).startswith(b"\x89PNG")
    # The subscription, authenticated with the page's headers, saw the ticket opened.
    change = seen["change"]
    assert isinstance(change, dict) and change["data"]["ticketOpen"]["errors"] == []
    update = json.loads(str(seen["subscription"]).replace("\xa0", " "))
    assert update["data"]["ticketUpdated"] == {
        "action": "ticket.opened",
        "ticket": {"subject": "Seen live in GraphiQL", "status": "OPEN"},
    }
    assert from_base64(customer["id"])[0] == "Customer"
