from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The `seed_demo` command and its data: the top floor, which may use every other app."""

    name = "demo"
    verbose_name = _("Demo data")
