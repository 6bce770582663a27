"""The chart library fetched at install time (crm/vendor.py) and served by crm.staticfinders (issue 18): only a
tarball whose integrity is the pinned one is taken, only its one file is written, and a missing file is named, with
the way to fetch it, by the system checks instead of a chart that silently never draws."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile

import pytest
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured

from crm import staticfinders, vendor


def _tarball(tmp_path, content: bytes) -> tuple[str, str]:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, body in (("package/chart.min.js", content), ("package/README.md", b"not this one")):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
    path = tmp_path / "chart.tgz"
    path.write_bytes(buffer.getvalue())
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(buffer.getvalue()).digest()).decode()
    return path.as_uri(), integrity


@pytest.fixture
def vendor_dir(tmp_path, monkeypatch):
    directory = tmp_path / "vendor"
    monkeypatch.setattr(vendor, "VENDOR_DIR", directory)
    return directory


def test_the_pinned_tarball_gives_its_one_file(tmp_path, vendor_dir):
    url, integrity = _tarball(tmp_path, b"window.Chart = 1;")
    item = vendor.Vendored("charts/chart.min.js", url, integrity, "package/chart.min.js")
    assert not vendor.is_current(item)
    vendor.fetch(item)
    assert (vendor_dir / "charts" / "chart.min.js").read_bytes() == b"window.Chart = 1;"
    assert sorted(p.name for p in (vendor_dir / "charts").iterdir()) == ["chart.min.js", "chart.min.js.integrity"]
    assert vendor.is_current(item)
    assert not vendor.is_current(vendor.Vendored("charts/chart.min.js", url, "sha512-other", "package/chart.min.js"))


def test_a_tarball_that_is_not_the_pinned_one_is_refused(tmp_path, vendor_dir):
    url, _ = _tarball(tmp_path, b"window.Chart = 1;")
    _, other = _tarball(tmp_path / "..", b"something else")
    item = vendor.Vendored("charts/chart.min.js", url, other, "package/chart.min.js")
    with pytest.raises(SystemExit, match="is not the pinned"):
        vendor.fetch(item)
    assert not (vendor_dir / "charts" / "chart.min.js").exists()


def test_the_library_the_pages_use_is_pinned_and_served():
    assert vendor.PLOTLY.static_path == "plotly/plotly-basic.min.js"
    assert vendor.PLOTLY.integrity.startswith("sha512-")
    assert vendor.PLOTLY.target.is_file(), "`make install` fetches it"
    assert finders.find("plotly/plotly-basic.min.js") == str(vendor.PLOTLY.target)
    assert finders.find("plotly/plotly.min.js") is None  # the full bundle is no longer served


def test_a_missing_library_is_named_with_the_way_to_fetch_it(tmp_path, vendor_dir, monkeypatch):
    url, integrity = _tarball(tmp_path, b"window.Chart = 1;")
    item = vendor.Vendored("charts/chart.min.js", url, integrity, "package/chart.min.js")
    monkeypatch.setattr(staticfinders, "FILES", (item,))
    monkeypatch.setattr(staticfinders, "VENDORED", {item.static_path: item})
    finder = staticfinders.VendoredFileFinder()
    [error] = finder.check()
    assert error.id == "crm.E010"
    assert "charts/chart.min.js" in error.msg and "make install" in error.msg
    assert finder.find("charts/chart.min.js") == []
    with pytest.raises(ImproperlyConfigured, match="make install"):
        list(finder.list([]))

    vendor.fetch(item)
    assert finder.check() == []
    assert finder.find("charts/chart.min.js") == str(item.target)
    assert [name for name, _ in finder.list([])] == ["chart.min.js"]
