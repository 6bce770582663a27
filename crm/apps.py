from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Territory and staff")

    def ready(self) -> None:
        from . import lookups  # noqa: F401 - registers `distinct_from`
