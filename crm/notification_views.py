"""The notification pages (issue 17): the inbox, the user's channels, and the department head's group robot."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from . import notifications
from .forms import add_service_errors, style_form
from .models import Department, NotificationKind, RobotKind
from .permissions import may
from .tasks import robot_message_post

INBOX_PAGE_SIZE = 20


class InboxView(LoginRequiredMixin, View):
    """One's own notifications, newest first, the unread marked; `?unread=1` only those."""

    template_name = "crm/notifications.html"

    def get(self, request):
        only_unread = request.GET.get("unread") in ("1", "true")
        rows = notifications.unread(request.user) if only_unread else notifications.inbox(request.user)
        rows = rows.only("kind", "title", "body", "url", "created_at", "read_at")
        page = Paginator(rows, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
        query = "unread=1" if only_unread else ""
        return render(request, self.template_name, {"page": page, "only_unread": only_unread, "query": query})


class NotificationReadView(LoginRequiredMixin, View):
    """Mark one's notification read; with `open`, go on to where it points."""

    def post(self, request, pk):
        notification = get_object_or_404(notifications.inbox(request.user), pk=pk)
        notifications.notification_read(user=request.user, notification=notification)
        target = notification.url if "open" in request.POST else request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            return redirect(target)
        return redirect("notifications:inbox")


class NotificationsReadAllView(LoginRequiredMixin, View):
    def post(self, request):
        count = notifications.notifications_read_all(user=request.user)
        messages.success(request, _("%(count)d notifications marked read.") % {"count": count})
        return redirect("notifications:inbox")


class ChannelsForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail address"), required=False, max_length=254)
    by_email = forms.BooleanField(label=gettext_lazy("Also by e-mail"), required=False)
    by_robot = forms.BooleanField(label=gettext_lazy("Also through my department's group robot"), required=False)
    # Ticked: muted. Left out of a post (an older page, a script): nothing muted, as before there was a choice.
    muted_kinds = forms.MultipleChoiceField(
        label=gettext_lazy("Not by e-mail or robot (still in the inbox)"),
        choices=NotificationKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": gettext_lazy("Muted kinds: “%(value)s” is not a kind of notification.")},
        help_text=gettext_lazy("Tick the kinds you do not want by e-mail or through the robot; the inbox keeps them."),
    )


class ChannelsView(LoginRequiredMixin, View):
    """The channels the user chooses besides the inbox, which always gets everything."""

    template_name = "crm/notification_settings.html"

    def get(self, request):
        preference = notifications.preferences_of(request.user)
        form = ChannelsForm(
            initial={
                "email": request.user.email,
                "by_email": preference.by_email,
                "by_robot": preference.by_robot,
                "muted_kinds": preference.muted_kinds,
            }
        )
        return self.render(request, form)

    def post(self, request):
        form = ChannelsForm(request.POST)
        if form.is_valid():
            try:
                notifications.notification_preferences_set(user=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Your notification channels are saved."))
                return redirect("notifications:settings")
        return self.render(request, form)

    def render(self, request, form):
        department = request.user.department
        robot = department is not None and bool(department.robot_webhook_url)
        may_set_robot = any(
            may(request.user, "crm.set_department_robot", headed) for headed in request.user.headed_departments.all()
        )
        context = {"form": style_form(form), "robot": robot, "may_set_robot": may_set_robot}
        return render(request, self.template_name, context)


class RobotForm(forms.Form):
    robot_kind = forms.ChoiceField(
        label=gettext_lazy("Robot kind"), choices=[("", "—"), *RobotKind.choices], required=False
    )
    robot_webhook_url = forms.CharField(
        label=gettext_lazy("Robot webhook URL"),
        required=False,
        max_length=500,
        help_text=gettext_lazy(
            "The group robot's webhook address (群机器人 Webhook), http:// or https://; the intranet deployment's own "
            "host works too. Leave it empty to stop posting."
        ),
        widget=forms.URLInput(attrs={"inputmode": "url", "autocomplete": "off"}),
    )
    # A credential: never rendered back, not even when the form comes back with an error.
    robot_secret = forms.CharField(
        label=gettext_lazy("Robot signing secret (钉钉 加签)"),
        required=False,
        max_length=200,
        strip=True,
        widget=forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "new-password", "autocapitalize": "off", "spellcheck": "false"}
        ),
    )
    robot_secret_clear = forms.BooleanField(label=gettext_lazy("Remove the signing secret"), required=False)

    def __init__(self, *args, secret_set: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        secret = self.fields["robot_secret"]
        if secret_set:
            secret.help_text = gettext_lazy(
                "A signing secret is set; it is never shown. Leave this empty to keep it, or enter a new one to "
                "replace it."
            )
        else:
            secret.help_text = gettext_lazy(
                "Only for a 钉钉 robot created with 加签: the secret starting with SEC. 企业微信 robots take none."
            )
            del self.fields["robot_secret_clear"]

    def secret(self) -> str | None:
        """The secret for `department_robot_set`: a new one, "" to remove it, None to keep it."""
        if self.cleaned_data["robot_secret"]:
            return self.cleaned_data["robot_secret"]
        return "" if self.cleaned_data.get("robot_secret_clear") else None


class DepartmentRobotView(LoginRequiredMixin, View):
    """The department head's group robot: where notifications and the morning digest of the team are posted, and
    the last delivery that failed."""

    template_name = "crm/department_robot.html"

    def department(self, request) -> Department:
        department = (
            Department.objects.filter(head=request.user).select_related("region").order_by("pk").first()
            if request.user.is_authenticated
            else None
        )
        if department is None or not may(request.user, "crm.set_department_robot", department):
            raise PermissionDenied(_("Only the head of this department sets its group robot."))
        return department

    def get(self, request):
        department = self.department(request)
        form = RobotForm(
            initial={"robot_kind": department.robot_kind, "robot_webhook_url": department.robot_webhook_url},
            secret_set=bool(department.robot_secret),
        )
        return self.render(request, department, form)

    def post(self, request):
        department = self.department(request)
        if "test" in request.POST:
            notifications.later(
                robot_message_post,
                department_id=department.pk,
                title=_("Test message"),
                text=_("The group robot of %(department)s works.") % {"department": department.name},
            )
            messages.info(request, _("A test message was sent; its result shows below."))
            return redirect("notifications:robot")
        form = RobotForm(request.POST, secret_set=bool(department.robot_secret))
        if form.is_valid():
            try:
                notifications.department_robot_set(
                    user=request.user,
                    department=department,
                    kind=form.cleaned_data["robot_kind"],
                    url=form.cleaned_data["robot_webhook_url"],
                    secret=form.secret(),
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The group robot is saved."))
                return redirect("notifications:robot")
        return self.render(request, department, form)

    def render(self, request, department, form):
        department.refresh_from_db(fields=["robot_failed_at", "robot_failure", "robot_delivered_at"])
        return render(request, self.template_name, {"department": department, "form": style_form(form)})
