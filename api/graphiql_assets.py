"""GraphiQL's browser files, served by the API itself so that the page works offline.

strawberry's GraphiQL page loads React, GraphiQL and the explorer plugin from unpkg, each
pinned by version and by a subresource-integrity hash. We serve the very same files from
`api/static/graphiql/` (under the same `package@version/path` names) and rewrite the page to
load them from here; the browser still checks every file against its hash.

When strawberry's page moves to other versions, `check` fails at start-up and in the suite;
`make graphiql-assets` (needs npm) fetches the files of the new versions from the npm
registry, checks each against the page's hash and stores it.
"""

import base64
import hashlib
import re
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from strawberry.http.ides import get_graphql_ide_html

ROOT = Path(__file__).parent / "static" / "graphiql"
PATH = "/graphiql/assets/"
CDN = "https://unpkg.com/"

_REFERENCE = re.compile(
    r'(?:src|href)="' + re.escape(CDN) + r'(?P<name>[^"]+)"\s+integrity="(?P<integrity>[^"]+)"'
)
_PACKAGE = re.compile(r"(?P<package>(?:@[^/]+/)?[^/@]+)@(?P<version>[^/]+)/(?P<file>.+)")


@dataclass(frozen=True)
class Asset:
    name: str  # `package@version/path/in/package`, as on unpkg
    integrity: str  # `sha384-…`

    @property
    def stored(self) -> Path:
        return ROOT / self.name

    def matches(self, content: bytes) -> bool:
        algorithm, _, expected = self.integrity.partition("-")
        digest = hashlib.new(algorithm, content).digest()
        return base64.b64encode(digest).decode() == expected


class MissingAssets(RuntimeError):
    pass


def assets(html: str) -> list[Asset]:
    """The files the page loads from the CDN."""
    return [Asset(m["name"], m["integrity"]) for m in _REFERENCE.finditer(html)]


def localize(html: str) -> str:
    """The page loading its files from this server instead of the CDN."""
    return html.replace(CDN, PATH)


def check(html: str) -> None:
    """Every file the page needs is stored, with the content its hash names."""
    wrong = [
        a.name
        for a in assets(html)
        if not a.stored.is_file() or not a.matches(a.stored.read_bytes())
    ]
    if wrong:
        raise MissingAssets(
            f"GraphiQL's files are missing or differ from the page's hashes: {', '.join(wrong)}; "
            "run `make graphiql-assets`"
        )


def vendor(html: str) -> None:
    """Fetch the page's files from the npm registry (`npm pack`), check, store them."""
    with tempfile.TemporaryDirectory() as scratch:
        for asset in assets(html):
            found = _PACKAGE.fullmatch(asset.name)
            if found is None:
                raise ValueError(f"not a package@version/path: {asset.name}")
            spec = f"{found['package']}@{found['version']}"
            packed = subprocess.run(
                ["npm", "pack", spec, "--silent", "--pack-destination", scratch],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.split()[-1]
            with tarfile.open(Path(scratch) / packed) as archive:
                member = archive.extractfile(f"package/{found['file']}")
                if member is None:
                    raise ValueError(f"{spec} has no {found['file']}")
                content = member.read()
            if not asset.matches(content):
                raise ValueError(f"{asset.name} from npm does not match the page's hash")
            asset.stored.parent.mkdir(parents=True, exist_ok=True)
            asset.stored.write_bytes(content)
            print(f"stored {asset.name} ({len(content):,} bytes)")


if __name__ == "__main__":
    page = get_graphql_ide_html("graphiql")
    vendor(page)
    check(page)
