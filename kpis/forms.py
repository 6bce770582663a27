from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.models import Product

from .metrics import CNY, METRICS, TIER_SHARE_QUOTAS

EDITABLE = [metric for metric in METRICS if metric.code not in TIER_SHARE_QUOTAS]


class KpiTargetsForm(forms.Form):
    """One field per KPI: a rate's target in percent, a sum's in CNY; empty means the level above's target."""

    # the version of the scope's targets as the page showed them (`services.kpi_targets_version`)
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, initial_targets: dict[str, Decimal | None], **kwargs):
        super().__init__(*args, **kwargs)
        for metric in EDITABLE:
            value = initial_targets.get(metric.code)
            if metric.unit == CNY:
                field = forms.DecimalField(min_value=0, max_digits=16, decimal_places=2, required=False)
            else:
                field = forms.DecimalField(min_value=0, max_value=100, max_digits=6, decimal_places=2, required=False)
                value = None if value is None else (value * 100).normalize()
            field.label = metric.label
            money = _("CNY per month") if metric.per_month else _("CNY")
            field.help_text = money if metric.unit == CNY else _("percent")
            field.initial = value
            self.fields[metric.code] = field

    def shown(self, targets: dict[str, Decimal | None]) -> dict[str, str | None]:
        """Targets as stored (rates as fractions) as this form shows them (percent), as text."""
        shown = KpiTargetsForm(initial_targets=targets)
        return {code: _text(shown.fields[code].initial) for code in targets if code in shown.fields}

    def targets(self) -> dict[str, Decimal | None]:
        """The cleaned targets as stored: rates as fractions."""
        result = {}
        for metric in EDITABLE:
            value = self.cleaned_data.get(metric.code)
            result[metric.code] = value if value is None or metric.unit == CNY else value / 100
        return result


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


class ProductRevenueTargetForm(forms.Form):
    """One revenue target of a province for a product: the year's, or a month's; an empty amount clears it."""

    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.all(), to_field_name="code")
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    month = forms.TypedChoiceField(
        label=_("Month"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("The whole year")), *[(m, m) for m in range(1, 13)]],
    )
    amount = forms.DecimalField(
        label=_("Revenue target (CNY)"),
        required=False,
        min_value=0,
        max_digits=16,
        decimal_places=2,
        help_text=_("Empty: no target (an existing one is removed)."),
    )
