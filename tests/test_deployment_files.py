"""The compose file and Dockerfile stay in step with the settings the code reads, and every
install (Makefile, Docker image) comes from lock files that still match pyproject.toml."""

import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker, default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

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
    if isinstance(default, bool):
        return shown == str(default).lower()  # as an environment variable is written
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


PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
DOCKERFILE = (ROOT / "docker" / "Dockerfile").read_text()


def _lock(name: str) -> dict[str, list[tuple[Version, str | None, frozenset[str]]]]:
    """A lock file's entries: package -> [(version, marker, hashes)], one per resolution fork."""
    text = (ROOT / name).read_text()
    entries: dict[str, list[tuple[Version, str | None, frozenset[str]]]] = {}
    for entry in re.split(r"\n(?=\S)", text.replace("\\\n", " ")):
        if entry.startswith("#"):
            continue
        requirement, *hashes = entry.split("--hash=")
        pin, _, marker = requirement.partition(";")
        package, version = pin.strip().split("==")
        hash_values = frozenset(value.split()[0] for value in hashes)
        assert hash_values and all(h.startswith("sha256:") for h in hash_values), package
        entries.setdefault(canonicalize_name(package), []).append(
            (Version(version), marker.strip() or None, hash_values)
        )
    return entries


def _declared() -> dict[str, list[Requirement]]:
    """pyproject's requirements per lock file, with the build backend and pip that install
    them (`make lock` adds both); the dev lock holds everything."""
    project, build = PYPROJECT["project"], PYPROJECT["build-system"]
    runtime = [Requirement(r) for r in [*project["dependencies"], *build["requires"], "pip"]]
    dev = [Requirement(r) for r in project["optional-dependencies"]["dev"]]
    return {"requirements.lock": runtime, "requirements-dev.lock": runtime + dev}


def test_the_makefile_and_the_image_install_from_the_locks_with_hashes() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "install --quiet --require-hashes -r $(VENV)/pip.lock" in makefile
    assert "install --quiet --require-hashes -r requirements-dev.lock" in makefile
    assert "install --quiet --no-deps --no-build-isolation -e ." in makefile
    stamp = re.search(r"^STAMP := .*$", makefile, re.M)
    assert stamp is not None and "requirements-dev.lock" in stamp.group(0)
    assert "COPY requirements.lock ./" in DOCKERFILE
    installs = re.findall(r"^RUN pip install (.+)$", DOCKERFILE, re.M)
    assert installs[0] == "--no-cache-dir --require-hashes -r requirements.lock"
    assert installs[1:] == ["--no-cache-dir --no-deps --no-build-isolation . && pip check"]


def test_every_declared_dependency_is_locked_at_a_version_pyproject_allows() -> None:
    for lock_name, requirements in _declared().items():
        lock = _lock(lock_name)
        for requirement in requirements:
            pins = lock.get(canonicalize_name(requirement.name))
            assert pins, f"{requirement.name} is not in {lock_name}: run `make lock`"
            for version, _, _ in pins:
                assert requirement.specifier.contains(version, prereleases=True), (
                    f"{lock_name} pins {requirement.name}=={version}, pyproject wants "
                    f"{requirement.specifier}: run `make lock`"
                )


def test_the_runtime_lock_pins_what_the_dev_lock_pins() -> None:
    """The image runs the versions (and files) the suite tested."""
    runtime, dev = _lock("requirements.lock"), _lock("requirements-dev.lock")
    for package, pins in runtime.items():
        tested = {(version, hashes) for version, _, hashes in dev.get(package, [])}
        assert {(version, hashes) for version, _, hashes in pins} <= tested, package


def test_the_lock_holds_nothing_pyproject_no_longer_needs() -> None:
    """Walks the installed metadata from pyproject's requirements on this platform: every
    lock entry that applies here must be reached (else pyproject dropped it: `make lock`)."""
    environment: dict[str, str] = dict(default_environment())
    wanted = list(_declared()["requirements-dev.lock"])
    seen: set[tuple[str, str]] = set()  # (package, extra) pairs already walked
    while wanted:
        requirement = wanted.pop()
        name = canonicalize_name(requirement.name)
        extras = {(name, extra) for extra in {"", *requirement.extras}} - seen
        if not extras:
            continue
        seen |= extras
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            pytest.fail(f"{name} is not installed: `make lock`, then `make install`")
        for line in requires:
            dependency = Requirement(line)
            if dependency.marker is None or any(
                dependency.marker.evaluate({**environment, "extra": extra}) for _, extra in extras
            ):
                wanted.append(dependency)
    reached = {name for name, _ in seen}
    for package, pins in _lock("requirements-dev.lock").items():
        for _, marker, _ in pins:
            if marker is None or Marker(marker).evaluate(environment):
                assert package in reached, f"nothing in pyproject.toml needs {package}"


def test_the_installed_environment_is_consistent() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + "(reinstall from the lock: make clean install)"
