"""Static files shipped inside installed Python packages, served as if they were ours: the chart library comes
from the plotly package the setup installs (no CDN on the operator's intranet), and only the one file we use."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

# static path → (package, file inside it)
PACKAGE_FILES = {"plotly/plotly.min.js": ("plotly", "package_data/plotly.min.js")}


def _source(package: str, name: str) -> Path:
    spec = find_spec(package)
    return Path(spec.origin).parent / name


class PackageFileFinder(BaseFinder):
    def check(self, **kwargs):
        return []

    def find(self, path: str, find_all: bool = False, **kwargs):
        if path not in PACKAGE_FILES:
            return [] if find_all else None
        source = str(_source(*PACKAGE_FILES[path]))
        return [source] if find_all else source

    def list(self, ignore_patterns):
        for path, (package, name) in PACKAGE_FILES.items():
            source = _source(package, name)
            storage = FileSystemStorage(location=str(source.parent))
            storage.prefix = str(Path(path).parent)  # collectstatic writes prefix/name, as FileSystemFinder does
            yield source.name, storage
