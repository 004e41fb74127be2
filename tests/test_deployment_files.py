"""The compose file and Dockerfile stay in step with the settings the code reads."""

import re
from pathlib import Path

from api.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = (ROOT / "docker" / "compose.yaml").read_text()


def _known_variables() -> set[str]:
    return {field.alias for field in Settings.model_fields.values() if field.alias}


def _service_blocks() -> dict[str, str]:
    section = COMPOSE.split("\nservices:\n", 1)[1].split("\nvolumes:\n", 1)[0]
    parts = re.split(r"^  ([a-z-]+):\n", section, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_compose_defines_the_services_and_health_checks() -> None:
    blocks = _service_blocks()
    assert list(blocks) == ["postgres", "redis", "migrate", "api", "worker"]
    for service in ("postgres", "redis", "api", "worker"):
        assert "    healthcheck:" in blocks[service], service
    assert "appendonly" in blocks["redis"]
    assert "service_completed_successfully" in blocks["api"]
    assert "service_completed_successfully" in blocks["worker"]


def test_compose_uses_only_known_settings() -> None:
    env_block = COMPOSE.split("x-bizgraph-env: &bizgraph-env\n", 1)[1].split("\n\n", 1)[0]
    variables = set(re.findall(r"^  ([A-Z_]+):", env_block, re.M))
    assert variables <= _known_variables()
    assert {"DATABASE_URL", "REDIS_URL", "BIZGRAPH_ENV"} <= variables


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    for variable in _known_variables():
        assert f"`{variable}`" in readme, variable
