"""The command line answers bad input with one line and a non-zero status, never a traceback."""

import subprocess
import sys
from pathlib import Path

import jwt
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


def _env(**values: str) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("BIZGRAPH_JWT")}
    return {**env, **values}


def test_token_mints_a_verifiable_development_token(tmp_path: Path) -> None:
    secret = "a-cli-test-secret-of-at-least-32-bytes"
    env = _env(BIZGRAPH_JWT_SECRET=secret, BIZGRAPH_DATA_DIR=str(tmp_path))
    result = _run(
        "token",
        "--employee",
        "Ann.Lee@Example.com",
        "--role",
        "sales_rep",
        "--role",
        "hr",
        "--ttl",
        "120",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    claims = jwt.decode(
        result.stdout.strip(), secret, algorithms=["HS256"], audience="bizgraph-api"
    )
    assert claims["sub"] == "ann.lee@example.com"
    assert claims["roles"] == ["hr", "sales_rep"]
    assert claims["iss"] == "bizgraph"
    assert claims["exp"] - claims["iat"] == 120


def test_dev_tokens_are_signed_with_a_secret_kept_under_the_data_dir(tmp_path: Path) -> None:
    env = _env(BIZGRAPH_DATA_DIR=str(tmp_path))
    first = _run("token", "--employee", "a@example.com", "--role", "admin", env=env)
    second = _run("token", "--employee", "b@example.com", "--role", "admin", env=env)
    secret_file = tmp_path / "jwt-secret"
    assert secret_file.stat().st_mode & 0o777 == 0o600
    secret = secret_file.read_text().strip()
    for result in (first, second):
        jwt.decode(result.stdout.strip(), secret, algorithms=["HS256"], audience="bizgraph-api")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["token", "--employee", "a@example.com", "--role", "root"], "invalid choice"),
        (["token", "--employee", "nobody", "--role", "admin"], "is not an email address"),
        (["bi-role", "--password", "x", "--name", "Robert'); DROP"], "is not a plain role name"),
    ],
)
def test_bad_security_arguments_give_one_line(
    args: list[str], fragment: str, tmp_path: Path
) -> None:
    result = _run(*args, env=_env(BIZGRAPH_DATA_DIR=str(tmp_path)))
    assert result.returncode == 2
    assert fragment in result.stderr
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    "command", [["token", "--employee", "a@b.c", "--role", "admin"], ["serve"]]
)
def test_prod_without_a_configured_key_gives_one_line(command: list[str], tmp_path: Path) -> None:
    result = _run(*command, env=_env(BIZGRAPH_ENV="prod", BIZGRAPH_DATA_DIR=str(tmp_path)))
    assert result.returncode == 1
    assert result.stderr.startswith("bizgraph: error: ")
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "jwt-secret").exists()


async def test_bi_role_reads_its_password_from_stdin(database_url: str, tmp_path: Path) -> None:
    import asyncio
    import uuid

    from tests.bi.conftest import drop_role

    name = f"bizgraph_bi_cli_{uuid.uuid4().hex[:8]}"
    env = _env(DATABASE_URL=database_url, BIZGRAPH_DATA_DIR=str(tmp_path))
    try:
        result = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "api.cli", "bi-role", "--password", "-", "--name", name],
            input="s3cret-from-stdin\n",
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "s3cret" not in result.stdout + result.stderr
        assert f"role {name} may read the bi views" in result.stdout
    finally:
        await drop_role(database_url, name)
