"""docs/SECURITY.md shows the permission table the code enforces, for every type of the API."""

from graphql import GraphQLObjectType

from api.security import permission_doc
from domain.core.permissions import (
    ASSIGNMENTS,
    PERMISSIONS,
    RESTRICTED_FIELDS,
    RESTRICTED_INPUTS,
    RESTRICTED_WRITES,
)
from schema.build import build_schema


def test_the_document_shows_the_permission_table_of_the_code() -> None:
    document = permission_doc.DOCUMENT.read_text()
    assert permission_doc.section(document) == permission_doc.render(), (
        "run `python -m api.security.permission_doc` to regenerate docs/SECURITY.md's table"
    )


def test_every_node_type_and_restricted_field_of_the_api_is_in_the_tables() -> None:
    schema = build_schema()._schema
    node = schema.type_map["Node"]
    nodes = {
        name
        for name, graphql_type in schema.type_map.items()
        if isinstance(graphql_type, GraphQLObjectType) and node in graphql_type.interfaces
    }
    assert nodes - set(PERMISSIONS) == set()
    for type_name, field in [*RESTRICTED_FIELDS, *RESTRICTED_WRITES, *ASSIGNMENTS]:
        graphql_type = schema.type_map[type_name]
        assert isinstance(graphql_type, GraphQLObjectType)
        assert field in graphql_type.fields, f"{type_name}.{field}"
    for type_name, member in RESTRICTED_INPUTS:
        input_type = schema.type_map[type_name]
        members = getattr(input_type, "values", None) or getattr(input_type, "fields", {})
        assert member in members, f"{type_name}.{member}"
