from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.forms.renderers import DjangoTemplates
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext_lazy, pgettext_lazy

from .audit import plain
from .versions import StaleVersion

SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


class FormRenderer(DjangoTemplates):
    """Django's form renderer (`FORM_RENDERER`), except that a select is written here, character for character as
    Django's templates for it write it, instead of by including a template for each option and one more for each
    option's attributes: a province's region filter has 193 options, and with the industries' they took 20 ms of
    the customer list's 100 for provincial staff. A select whose options have a template of their own is left to
    the templates."""

    def render(self, template_name, context, request=None):
        if template_name == SELECT_TEMPLATE:
            widget = context["widget"]
            options = [option for _name, group, _index in widget["optgroups"] for option in group]
            if all(option["template_name"] == OPTION_TEMPLATE for option in options):
                return _select_html(widget)
        return super().render(template_name, context, request)


def _attrs_html(attrs: Mapping[str, Any]) -> str:
    """django/forms/widgets/attrs.html: each attribute but those False, one True bare, values escaped unless safe
    (`stringformat` keeps a safe value safe)."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _shown(value: Any) -> str:
    """A value as a template writes `{{ value }}`: in local time, localized, escaped unless safe."""
    return conditional_escape(localize(template_localtime(value)))


def _select_html(widget: Mapping[str, Any]) -> SafeString:
    """django/forms/widgets/select.html and select_option.html, stripped as the renderer strips them."""
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs_html(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_shown(group_name)}">')
        parts.extend(
            f'\n  <option value="{conditional_escape(option["value"])}"{_attrs_html(option["attrs"])}>'
            f"{_shown(option['label'])}</option>\n"
            for option in options
        )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # every value in it escaped above


def date_picker() -> forms.DateInput:
    """A date field's widget: the browser's date picker, which reads and writes ISO dates (2026-11-24) whatever the
    page's language; left to the locale, Chinese would render 2026/11/24, which the picker shows as empty."""
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def style_form(form: forms.BaseForm, small: bool = False) -> forms.BaseForm:
    """Give a form's widgets the Bootstrap classes, marking the fields that have errors."""
    size = " form-control-sm" if small else ""
    select_size = " form-select-sm" if small else ""
    errors = form.errors if form.is_bound else {}
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(widget, (forms.CheckboxInput, forms.RadioSelect)):  # RadioSelect: checkbox lists too
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select" + select_size
        else:
            css = "form-control" + size
        if name in errors:
            css += " is-invalid"
        widget.attrs["class"] = css
    return form


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """A service's errors onto the form: each on its field when the form has it, the rest on the form itself."""
    if hasattr(error, "error_dict"):
        for field, texts in error.message_dict.items():
            form.add_error(field if field in form.fields else None, texts)
    else:
        form.add_error(None, error.messages)


def stale_shown(form: forms.BaseForm, refusal: StaleVersion, yours: Mapping[str, Any]) -> None:
    """Show on `form` the refusal of a save made on a stale record: its message (who changed it, when), and in
    `form.conflicts` each field whose value the user gave (`yours`) differs from the record's now, as (label, yours,
    now); the form then carries the version now, so that saving again keeps the user's values knowingly."""

    def instant(value: Any) -> Any:
        """A moment as the trail keeps it (ISO text, in UTC when read from the row) as a moment, so that the
        user's local time and the row's UTC compare as the same instant."""
        moment = parse_datetime(value) if isinstance(value, str) and "T" in value else None
        return moment if moment is not None and moment.tzinfo is not None else value

    def label(name: str, value: Any) -> Any:
        """A choice's label (上门拜访, not onsite; a key person's name, not their id)."""
        choices = getattr(form.fields[name], "choices", None) if value not in (None, "") else None
        for key, text in choices or ():
            if not isinstance(text, list | tuple) and str(key) == str(value):  # an option group's entries are a list
                return text
        return value

    def shown(name: str, value: Any) -> Any:
        if isinstance(value, list):
            return "、".join(str(label(name, item)) for item in value) or None
        moment = instant(value)
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment is not value else label(name, value)

    form.conflicts = [  # type: ignore[attr-defined]  # read by includes/conflicts.html
        (form.fields[name].label, shown(name, mine), shown(name, now))
        for name, now in refusal.now.items()
        if name in form.fields and instant(mine := plain(yours.get(name))) != instant(now)
    ]
    form.add_error(None, refusal.message)
    form.data = form.data.copy()
    form.data[form.add_prefix("version")] = refusal.current


class JobFilterForm(forms.Form):
    """The jobs page's filters: the kind of job (those the user sees) and the board's status."""

    kind = forms.ChoiceField(label=pgettext_lazy("job", "Kind"), required=False)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)

    def __init__(self, *args: Any, kinds: list[tuple[str, Any]], statuses: list[tuple[str, Any]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        everything = [("", gettext_lazy("All"))]
        self.fields["kind"].choices = everything + kinds
        self.fields["status"].choices = everything + statuses


class _UsernameLengthChecked:
    """Django's login forms give the username field its length (`max_length`, the input's `maxlength`) but check
    it nowhere, and a failed login's username goes into the lockout's 255-character column (django-axes), which
    broke the login on PostgreSQL for a longer one. Here a username longer than any is the field's error, and no
    login is attempted."""

    fields: dict[str, forms.Field]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.validators = [*field.validators, MaxLengthValidator(field.max_length)]


class LoginForm(_UsernameLengthChecked, AuthenticationForm):
    """The login page's form (`/login/`)."""


class AdminLoginForm(_UsernameLengthChecked, AdminAuthenticationForm):
    """The admin site's login form."""
