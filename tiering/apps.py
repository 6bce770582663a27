from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _

from .reasons import sqlite_reasons_text


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """SQLite's `tier_reasons_text(reasons, words)` for the tier lists: `tiering.reasons.reason_display` itself."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("tier_reasons_text", 2, sqlite_reasons_text, deterministic=True)


class TieringConfig(AppConfig):
    name = "tiering"
    verbose_name = _("Tiering")

    def ready(self) -> None:
        from . import extensions, jobboard

        extensions.register()
        jobboard.register()
        connection_created.connect(register_sqlite_functions, dispatch_uid="tiering_sqlite_functions")
