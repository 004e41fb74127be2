"""`schema.graphql` is the published API reference: it must match the code exactly."""

from pathlib import Path

from graphql import build_schema as parse_sdl

from schema.build import build_schema, export_sdl

SDL_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_schema_file_matches_the_code() -> None:
    assert SDL_FILE.read_text() == export_sdl(), (
        "run `python -m schema.build` to regenerate schema.graphql"
    )


def test_every_type_field_and_argument_is_described() -> None:
    schema = parse_sdl(str(build_schema()))
    missing = []
    for name, graphql_type in schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        if not graphql_type.description:
            missing.append(name)
        for field_name, field in getattr(graphql_type, "fields", {}).items():
            if not field.description:
                missing.append(f"{name}.{field_name}")
            for arg_name, arg in getattr(field, "args", {}).items():
                if not arg.description:
                    missing.append(f"{name}.{field_name}({arg_name})")
    assert missing == []
