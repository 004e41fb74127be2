"""Text and list inputs are bounded, for literals and variables alike, before anything runs."""

from typing import Any

import pytest
from graphql import parse
from strawberry.relay import to_base64

from api.security.input_limits import InputLimits
from schema.build import build_schema
from schema.core.text import LONG_TEXT_CHARS, SEARCH_TEXT_CHARS
from tests.api.conftest import GraphQL, StatementCounter

pytestmark = pytest.mark.usefixtures("demo")

SEARCH = "query($f: CustomerFilter) { customers(filter: $f) { totalCount } }"
LOG = (
    "mutation($i: InteractionLogInput!) { interactionLog(input: $i) "
    "{ interaction { id } errors { field code } } }"
)


def _refused(result: dict[str, Any], code: str, argument: str) -> dict[str, Any]:
    [error] = result["errors"]
    assert error["extensions"]["code"] == code, error
    assert error["extensions"]["argument"] == argument, error
    return error  # type: ignore[no-any-return]


async def test_text_up_to_the_maximum_is_accepted(graphql: GraphQL) -> None:
    result = await graphql(SEARCH, {"f": {"country": "x" * 4000}})
    assert result["data"]["customers"]["totalCount"] == 0


@pytest.mark.parametrize("how", ["variable", "literal", "variable-default"])
async def test_longer_text_is_refused_before_any_sql(
    graphql: GraphQL, statements: StatementCounter, how: str
) -> None:
    text = "x" * 4001
    statements.reset()
    if how == "variable":
        result = await graphql(SEARCH, {"f": {"country": text}})
    elif how == "literal":
        result = await graphql(f'{{ customers(filter: {{country: "{text}"}}) {{ totalCount }} }}')
    else:
        result = await graphql(
            f'query($s: String = "{text}") {{ customers(filter: {{country: $s}}) {{ totalCount }} }}'
        )
    error = _refused(result, "LIMIT_EXCEEDED", "filter.country")
    assert error["extensions"]["maximum"] == 4000
    assert error["message"] == (
        "`filter.country` of `customers` is 4001 characters long; the maximum is 4000"
    )
    assert statements.count == 0


async def test_search_terms_are_bounded_tighter(
    graphql: GraphQL, statements: StatementCounter
) -> None:
    accepted = await graphql(SEARCH, {"f": {"search": "x" * SEARCH_TEXT_CHARS}})
    assert accepted["data"]["customers"]["totalCount"] == 0
    statements.reset()
    refused = await graphql(SEARCH, {"f": {"search": "x" * (SEARCH_TEXT_CHARS + 1)}})
    error = _refused(refused, "LIMIT_EXCEEDED", "filter.search")
    assert error["extensions"]["maximum"] == SEARCH_TEXT_CHARS
    assert statements.count == 0


async def test_prose_fields_take_long_text(graphql: GraphQL) -> None:
    customer = to_base64("Customer", 1)
    notes = "n" * (LONG_TEXT_CHARS - 1)
    logged = await graphql(
        LOG, {"i": {"customer": customer, "channel": "PHONE", "subject": "s", "notes": notes}}
    )
    assert logged["data"]["interactionLog"]["errors"] == [], logged
    too_long = await graphql(
        LOG,
        {"i": {"customer": customer, "channel": "PHONE", "subject": "s", "notes": notes + "nn"}},
    )
    _refused(too_long, "LIMIT_EXCEEDED", "input.notes")
    # The subject is not prose: the general maximum holds there.
    subject = await graphql(
        LOG, {"i": {"customer": customer, "channel": "PHONE", "subject": "s" * 4001}}
    )
    _refused(subject, "LIMIT_EXCEEDED", "input.subject")


@pytest.mark.parametrize(
    ("variables", "argument"),
    [
        ({"f": {"search": "a\x00"}}, "filter.search"),
        ({"f": {"tier": ["GOLD", "GOLD\x00"]}}, "filter.tier.1"),
        ({"f": {"accountManager": "\x00"}}, "filter.accountManager"),
    ],
)
async def test_nul_is_refused_wherever_it_is(
    graphql: GraphQL, statements: StatementCounter, variables: dict[str, Any], argument: str
) -> None:
    statements.reset()
    error = _refused(await graphql(SEARCH, variables), "BAD_USER_INPUT", argument)
    assert "NUL" in error["message"]
    assert statements.count == 0


async def test_long_lists_are_refused(graphql: GraphQL) -> None:
    ids = [to_base64("Customer", i) for i in range(1001)]
    result = await graphql("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})
    error = _refused(result, "LIMIT_EXCEEDED", "ids")
    assert error["extensions"]["maximum"] == 1000


async def test_an_enum_list_counts_each_value_once(graphql: GraphQL) -> None:
    once = await graphql(SEARCH, {"f": {"status": ["ACTIVE", "LEAD"]}})
    repeated = await graphql(SEARCH, {"f": {"status": ["ACTIVE", "LEAD"] * 500}})
    assert once["data"]["customers"]["totalCount"] > 0
    assert repeated == once


def test_the_limits_come_from_settings() -> None:
    schema = build_schema()._schema
    document = parse('{ customers(filter: {country: "abcdef"}) { totalCount } }')
    [operation] = document.definitions
    InputLimits(max_string_chars=6, max_list_items=10).check(schema, document, operation, {})  # type: ignore[arg-type]
    with pytest.raises(Exception, match="the maximum is 5"):
        InputLimits(max_string_chars=5, max_list_items=10).check(schema, document, operation, {})  # type: ignore[arg-type]
