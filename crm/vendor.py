"""The front-end files we serve but do not keep in git, pinned here and fetched at install time (`make install`, the
Dockerfile): `python crm/vendor.py`. Standard library only, so that it runs before anything else is installed.

The chart library is plotly.js's partial bundle `plotly.js-basic-dist-min` (bar, scatter and pie: every chart of
the dashboards), ~1.2 MB raw and ~0.4 MB gzipped against 4.8 MB and 1.5 MB for the full bundle (issue 18). The
tarball comes from the npm registry, is checked against the sha512 integrity the registry publishes (pinned below),
and only the one minified file is written, under `var/vendor/` (git-ignored); `crm.staticfinders` serves it."""

from __future__ import annotations

import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR_DIR = ROOT / "var" / "vendor"


@dataclass(frozen=True)
class Vendored:
    static_path: str  # the path templates pass to {% static %}
    tarball: str  # the npm registry's dist.tarball
    integrity: str  # the npm registry's dist.integrity (sha512, base64)
    member: str  # the one file taken from the tarball

    @property
    def target(self) -> Path:
        return VENDOR_DIR / self.static_path

    @property
    def stamp(self) -> Path:
        """Beside the file: the integrity it was fetched with, so that a new pin fetches again."""
        return self.target.with_name(self.target.name + ".integrity")


PLOTLY = Vendored(
    static_path="plotly/plotly-basic.min.js",
    tarball="https://registry.npmjs.org/plotly.js-basic-dist-min/-/plotly.js-basic-dist-min-4.1.1.tgz",
    integrity="sha512-1oNF8PeQx2hv/y7tqEVWKD3JGwn/MGEMQ8mL9HUwsaqG9FGy/OU5FHUHvzqbqxN4mnwZGI9abTiE775C4kkjMQ==",
    member="package/plotly-basic.min.js",
)
FILES = (PLOTLY,)


def is_current(item: Vendored) -> bool:
    return item.target.is_file() and item.stamp.is_file() and item.stamp.read_text().strip() == item.integrity


def fetch(item: Vendored) -> None:
    algorithm, _, expected = item.integrity.partition("-")
    with urllib.request.urlopen(item.tarball, timeout=120) as response:  # noqa: S310 - a pinned https URL
        body = response.read()
    actual = base64.b64encode(hashlib.new(algorithm, body).digest()).decode()
    if actual != expected:
        raise SystemExit(f"{item.tarball}: {algorithm} integrity {actual} is not the pinned {expected}")
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as archive:
        member = archive.extractfile(item.member)
        if member is None:
            raise SystemExit(f"{item.tarball} has no file {item.member}")
        content = member.read()
    item.target.parent.mkdir(parents=True, exist_ok=True)
    partial = item.target.with_name(item.target.name + ".part")
    partial.write_bytes(content)
    partial.replace(item.target)
    item.stamp.write_text(item.integrity + "\n")


def main() -> int:
    for item in FILES:
        if is_current(item):
            continue
        print(f"fetching {item.tarball} → {item.target.relative_to(ROOT)}", file=sys.stderr)
        fetch(item)
    return 0


if __name__ == "__main__":
    sys.exit(main())
