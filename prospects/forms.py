"""Forms of the pool's claim rules and the new-customer targets (issue 21), kept by provincial staff and
headquarters from the browser; the services validate again and write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import Region
from crm.visibility import territory_path

from .models import TARGET_LEVELS


class ClaimRuleForm(forms.Form):
    """A region's own claim rule; both fields empty removes it (the level above's applies)."""

    max_claimed = forms.IntegerField(
        label=_("At most claimed per manager"),
        required=False,
        min_value=1,
        max_value=10_000,
        help_text=_("Prospects one manager may hold at a time."),
    )
    return_after_days = forms.IntegerField(
        label=_("Returned to the pool after days without a visit"),
        required=False,
        min_value=1,
        max_value=3_650,
        help_text=_("Leave both fields empty to take the level above's."),
    )


class NewCustomerTargetForm(forms.Form):
    """One region's target of new group customers for a year; an empty target removes it."""

    region = forms.CharField(
        label=_("Region code"),
        max_length=16,
        help_text=_("A province, city, county or grid of your territory, by its code: 510100, 510104, 510104-G01."),
    )
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    target = forms.IntegerField(
        label=_("New customers"),
        required=False,
        min_value=0,
        max_value=10_000_000,
        help_text=_("Empty: no target (an existing one is removed)."),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_region(self) -> Region:
        code = self.cleaned_data["region"].strip().upper()
        path = territory_path(self.user) if self.user is not None else None
        regions = Region.objects.none() if path is None else Region.objects.filter(path__startswith=path)
        region = regions.filter(code=code).first()
        if region is None:
            raise forms.ValidationError(
                _("Region code: there is no region %(code)s in your territory.") % {"code": code}
            )
        if region.level not in TARGET_LEVELS:
            raise forms.ValidationError(
                _("Region code: new-customer targets are set per grid, county, city or province, not for %(name)s.")
                % {"name": region.name}
            )
        return region
