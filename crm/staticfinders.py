"""Static files fetched at install time, served as if they were ours: the chart library (plotly.js's partial bundle
with bar, scatter and pie) is pinned in `crm/vendor.py`, which `make install` and the Dockerfile run to write it
under `var/vendor/` (git-ignored; no CDN on the operator's intranet). When the file is missing, the system checks
(`manage.py check`, runserver, collectstatic) say so and how to fetch it."""

from __future__ import annotations

from pathlib import Path

from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import Error
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage

from crm.vendor import FILES, Vendored

VENDORED = {item.static_path: item for item in FILES}


def _missing(item: Vendored) -> str:
    return (
        f"{item.target} is missing (static file {item.static_path}, pinned in crm/vendor.py): "
        "run `make install` or `python crm/vendor.py` to fetch it"
    )


class VendoredFileFinder(BaseFinder):
    def check(self, **kwargs):
        return [
            Error(_missing(item), id="crm.E010")  # staticfiles runs the finders' checks
            for item in FILES
            if not item.target.is_file()
        ]

    def find(self, path: str, find_all: bool = False, **kwargs):
        item = VENDORED.get(path)
        if item is None or not item.target.is_file():
            return []  # no match, as Django's own finders say it (a None would end up in `finders.find`'s list)
        return [str(item.target)] if find_all else str(item.target)

    def list(self, ignore_patterns):
        for item in FILES:
            if not item.target.is_file():
                raise ImproperlyConfigured(_missing(item))
            storage = FileSystemStorage(location=str(item.target.parent))
            storage.prefix = str(Path(item.static_path).parent)  # collectstatic writes prefix/name, as FileSystemFinder
            yield item.target.name, storage
