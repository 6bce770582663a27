"""Forms of commissions (酬金, issue 20): a commission rule kept from the browser, checked as the API checks it (the
model's own rules, then the service's)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import Region, RegionLevel, User
from crm.permissions import is_headquarters, kept_scope
from crm.visibility import NATIONAL_CODE

from .models import CommissionRule
from .months import format_month, parse_month
from .services.commissions import RULE_FIELDS


class MonthInput(forms.TextInput):
    """The browser's month picker, which reads and writes YYYY-MM whatever the page's language."""

    input_type = "month"

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, datetime.date):
            return format_month(value)
        return super().format_value(value)


class MonthField(forms.Field):
    """A month written YYYY-MM, kept as its first day."""

    widget = MonthInput

    def to_python(self, value: Any) -> datetime.date | None:
        if isinstance(value, datetime.date):
            return value.replace(day=1)
        if value in self.empty_values:
            return None
        try:
            return parse_month(str(value))
        except ValueError as wrong:
            raise forms.ValidationError(str(wrong), code="invalid") from wrong


def rule_scopes(user: User):
    """The scopes the user may give a rule: headquarters the national root and every province; provincial staff
    their own province."""
    scopes = Region.objects.filter(level__in=(RegionLevel.NATIONAL, RegionLevel.PROVINCE)).order_by("path")
    if is_headquarters(user):
        return scopes
    kept = kept_scope(user)
    return scopes.filter(pk=kept.pk) if kept is not None else scopes.none()


class CommissionRuleForm(forms.ModelForm):
    """A rule's fields; a negative rate or amount, or a field its basis does not take, is named on its field."""

    valid_from = MonthField(label=_("valid from (month)"), help_text=_("The first month it pays."))
    valid_until = MonthField(
        label=_("valid until (month)"),
        required=False,
        help_text=_("The last month it pays; empty: until further notice."),
    )

    class Meta:
        model = CommissionRule
        fields = list(RULE_FIELDS)
        widgets = {
            "rate": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
            "months": forms.NumberInput(attrs={"inputmode": "numeric"}),
            "amount": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scopes = rule_scopes(user)
        self.fields["scope"].queryset = scopes
        self.fields["scope"].empty_label = None
        if not self.instance.pk and not self.is_bound:
            own = scopes.exclude(code=NATIONAL_CODE).first()
            self.initial.setdefault("scope", (own or scopes.first() or Region()).pk)
        self.fields["product"].queryset = self.fields["product"].queryset.order_by("code")
        for name in ("rate", "amount"):
            # the model's message names a negative value; the browser would only say "too small"
            self.fields[name].widget.attrs.pop("min", None)

    def validate_unique(self) -> None:
        """A rule has no unique fields; overlapping rules are the service's to refuse, with the rule they clash
        with."""


class RuleEndForm(forms.Form):
    """The last month a rule pays."""

    valid_until = MonthField(label=_("Last month it pays"))
