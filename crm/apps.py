from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Territory and staff")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import lookups  # noqa: F401 - registers `distinct_from`

        user_logged_in.connect(_refreshed_at_login, dispatch_uid="crm.session_refreshed")


def _refreshed_at_login(sender, request, user, **kwargs) -> None:
    """A new session starts its idle time now (crm.middleware.SessionIdleMiddleware)."""
    from .middleware import session_refreshed

    if request is not None and hasattr(request, "session"):
        session_refreshed(request)
