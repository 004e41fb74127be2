"""What the JavaScript client tests need from the machine: Node.js with npm, and for the
browser test a Chromium (`BIZGRAPH_CHROMIUM`, else the first of the usual names found)."""

import os
import shutil

NODE = shutil.which("node")
NPM = shutil.which("npm")
CHROMIUM = os.environ.get("BIZGRAPH_CHROMIUM") or next(
    filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
)


def missing() -> list[str]:
    """Why client tests are left out of this run, if they are."""
    if not (NODE and NPM):
        return ["Node.js and npm are not installed: no Apollo Client or browser test"]
    if not CHROMIUM:
        return ["no Chromium found (set BIZGRAPH_CHROMIUM): no browser test"]
    return []
