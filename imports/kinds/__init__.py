"""The kinds of import, one module each (SPEC §8.4). Adding a kind is adding a module here that defines `KIND`
and naming it in `KIND_MODULES`."""

from __future__ import annotations

from importlib import import_module

from .base import Kind

KIND_MODULES = ("customers", "key_persons", "members", "holdings", "billing", "do_not_call")

KINDS: dict[str, Kind] = {name: import_module(f"{__name__}.{name}").KIND for name in KIND_MODULES}


def kind_named(name: str) -> Kind:
    return KINDS[name]
