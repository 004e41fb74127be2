"""The command line answers bad input with one line and a non-zero status, never a traceback."""

import subprocess
import sys

import pytest


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["seed", "--customers", "-5"], "must be greater than zero"),
        (["seed", "--customers", "many"], "is not a whole number"),
        (["serve", "--no-such-option"], "unrecognized arguments"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_give_one_line(args: list[str], fragment: str) -> None:
    result = _run(*args)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_database_gives_one_line() -> None:
    import os

    env = {**os.environ, "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/nowhere"}
    result = _run("migrate", env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("bizgraph: error: ")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_help_documents_every_command() -> None:
    result = _run("--help")
    for command in ("dev", "migrate", "seed", "serve", "worker", "recompute", "token", "bi-role"):
        assert command in result.stdout
