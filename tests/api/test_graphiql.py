"""GraphiQL opens with the Customer 360 document and a real customer to run it on."""

import httpx
import pytest
from strawberry.relay import to_base64


@pytest.mark.usefixtures("demo")
async def test_graphiql_is_preloaded(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "query Customer360($id: ID!)" in response.text
    assert to_base64("Customer", 1) in response.text
