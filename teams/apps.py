from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = _("Teams and visits")

    def ready(self) -> None:
        from . import extensions

        extensions.register()
