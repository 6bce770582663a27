from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Territory and staff")

    def ready(self) -> None:
        from celery.signals import task_postrun, task_prerun
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from . import lookups  # noqa: F401 - registers `distinct_from`, `anywhere`
        from .api import schema  # noqa: F401 - registers the API token's OpenAPI scheme

        user_logged_in.connect(_refreshed_at_login, dispatch_uid="crm.session_refreshed")
        user_logged_in.connect(_login_audited, dispatch_uid="crm.login_audited")
        user_login_failed.connect(_login_failure_audited, dispatch_uid="crm.login_failure_audited")
        task_prerun.connect(_task_channel_set, dispatch_uid="crm.task_channel")
        task_postrun.connect(_task_channel_reset, dispatch_uid="crm.task_channel")


def _refreshed_at_login(sender, request, user, **kwargs) -> None:
    """A new session starts its idle time now (crm.middleware.SessionIdleMiddleware)."""
    from .middleware import session_refreshed

    if request is not None and hasattr(request, "session"):
        session_refreshed(request)


def _login_audited(sender, request, user, **kwargs) -> None:
    from . import audit
    from .models import AuditAction

    audit.record(user=user, action=AuditAction.LOGIN, obj=user, detail=_login_detail(request))


def _login_failure_audited(sender, credentials, request=None, **kwargs) -> None:
    """A failed sign-in, under the name tried (known or not); django-axes counts it towards a lockout."""
    from . import audit
    from .models import AuditAction, User

    username = str(credentials.get("username", ""))[:150]
    known = User.objects.filter(username=username).select_related("region").first()
    audit.record(
        user=None,
        action=AuditAction.LOGIN_FAILED,
        username=username,
        object_repr=username,
        detail=_login_detail(request),
        # A failure under a known name belongs to that user's territory; an unknown name, to headquarters only.
        region_path=known.region.path if known is not None and known.region_id else "",
    )


def _login_detail(request) -> dict:
    return {"path": request.path[:300]} if request is not None else {}


# A Celery task's writes are a job's (an import's task says so itself, `crm.audit.through`).
_TASK_CHANNELS: dict = {}


def _task_channel_set(sender=None, task_id=None, **kwargs) -> None:
    from . import audit
    from .models import AuditSource

    _TASK_CHANNELS[task_id] = audit.enter(AuditSource.JOB)


def _task_channel_reset(sender=None, task_id=None, **kwargs) -> None:
    from . import audit

    token = _TASK_CHANNELS.pop(task_id, None)
    if token is not None:
        audit.leave(token)
