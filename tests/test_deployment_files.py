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


DEPLOYMENT = (ROOT / "docs" / "DEPLOYMENT.md").read_text()


def _compose_variables() -> dict[str, str]:
    env_block = COMPOSE.split("x-bizgraph-env: &bizgraph-env\n", 1)[1].split("\n\n", 1)[0]
    return {
        name: value.strip().strip('"')
        for name, value in re.findall(r"^  ([A-Z_]+): (.+)$", env_block, re.M)
    }


def _settings_table() -> dict[str, list[str]]:
    """DEPLOYMENT.md's settings rows: variable -> [default, compose, read by, meaning]."""
    rows = re.findall(r"^\| `([A-Z_]+)` \|(.+)\|$", DEPLOYMENT, re.M)
    return {name: [cell.strip() for cell in rest.split(" | ")] for name, rest in rows}


def _documented_default(cell: str, default: object) -> bool:
    if default is None:
        return cell.startswith("unset")
    shown = cell.strip("`")
    if isinstance(default, Path):
        return Path(shown) == default
    if isinstance(default, float):
        return float(shown) == default
    return shown == str(default)


def test_deployment_guide_documents_every_setting_with_its_default() -> None:
    table = _settings_table()
    assert set(table) == _known_variables()
    for field in Settings.model_fields.values():
        assert field.alias is not None
        default_cell = table[field.alias][0]
        assert _documented_default(default_cell, field.default), (field.alias, default_cell)


def test_deployment_guide_matches_compose() -> None:
    table = _settings_table()
    compose = _compose_variables()
    for name, row in table.items():
        assert row[1] == (f"`{compose[name]}`" if name in compose else "—"), name
    for service in _service_blocks():
        assert f"`{service}`" in DEPLOYMENT, service


def test_compose_gives_requests_and_jobs_time_to_finish() -> None:
    blocks = _service_blocks()
    grace = int(_compose_variables()["BIZGRAPH_SHUTDOWN_GRACE_S"])
    for service in ("api", "worker"):
        period = re.search(r"stop_grace_period: (\d+)s", blocks[service])
        assert period is not None and int(period.group(1)) > grace, service
    assert "/readyz" in blocks["api"]
    assert "replicas: 2" in blocks["worker"]
    assert "--workers" in blocks["api"] and "BIZGRAPH_METRICS_DIR" in _compose_variables()
