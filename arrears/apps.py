from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArrearsConfig(AppConfig):
    name = "arrears"
    verbose_name = _("Arrears collection")

    def ready(self) -> None:
        from . import extensions

        extensions.register()
