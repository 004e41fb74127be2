"""Load from `wrk` (Debian package `wrk`): a C client, so the load costs the shared cores
as little as possible. Bodies are drawn at random from a list, per request."""

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


class WrkMissing(RuntimeError):
    """`wrk` is not installed."""


@dataclass
class Load:
    """What one `wrk` run measured."""

    requests: int
    rate: float
    p50_ms: float
    p99_ms: float


def _script(bodies: list[str], headers: dict[str, str]) -> str:
    quoted = ",\n".join(f"[==[{body}]==]" for body in bodies)
    header_table = ", ".join(f'["{name}"] = [==[{value}]==]' for name, value in headers.items())
    return f"""
local bodies = {{
{quoted}
}}
local headers = {{ ["Content-Type"] = "application/json", {header_table} }}
request = function()
  return wrk.format("POST", nil, headers, bodies[math.random(#bodies)])
end
"""


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip()).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def run(
    url: str,
    bodies: list[str],
    headers: dict[str, str],
    *,
    connections: int,
    seconds: float,
) -> Load:
    """Requests/s and latency percentiles of POSTing the bodies to `url` for `seconds`."""
    binary = shutil.which("wrk")
    if binary is None:
        raise WrkMissing("wrk is not installed (Debian: apt-get install wrk)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_script(bodies, headers))
    try:
        result = subprocess.run(
            [
                binary,
                "-t1",
                f"-c{connections}",
                f"-d{seconds:g}s",
                # wrk counts an answer slower than its default 2 s as a socket error; a page
                # of 100 customers at concurrency 16 on two cores takes up to 1.4 s.
                "--timeout",
                "30s",
                "--latency",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        Path(script.name).unlink()
    out = result.stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw failed requests:\n{out}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return Load(requests, rate, _percentile(out, 50), _percentile(out, 99))


def _percentile(out: str, percent: int) -> float:
    # Anchored to a line of the latency distribution: the thread statistics above it end
    # in percentages too ("87.50%"), which an unanchored "50%" would match.
    found = re.search(rf"^\s*{percent}%\s+(\S+)\s*$", out, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"no {percent}th percentile in wrk's output:\n{out}")
    return _ms(found.group(1))
