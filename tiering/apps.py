import json

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


def tier_reasons_text(reasons: str | None) -> str:
    """SQLite's `tier_reasons_text(json)`: the reasons of a customer as `reason_text` writes them."""
    from .rules import reason_text

    return "; ".join(reason_text(reason) for reason in json.loads(reasons or "[]"))


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("tier_reasons_text", 1, tier_reasons_text, deterministic=True)


class TieringConfig(AppConfig):
    name = "tiering"
    verbose_name = _("Tiering")

    def ready(self) -> None:
        from . import extensions

        extensions.register()
        connection_created.connect(register_sqlite_functions, dispatch_uid="tiering_sqlite_functions")
