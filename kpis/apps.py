from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    name = "kpis"
    verbose_name = _("KPIs and dashboards")

    def ready(self) -> None:
        from . import extensions, jobboard

        extensions.register()
        jobboard.register()
