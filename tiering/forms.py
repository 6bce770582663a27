from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Tier
from crm.forms import date_picker

from .models import Rule, RuleSet


class RuleForm(forms.ModelForm):
    """One rule; industries typed as codes separated by commas or spaces (J66, J67)."""

    industries = forms.CharField(label=_("industries"), required=False)

    class Meta:
        model = Rule
        fields = ["tier", "field", "operator", "threshold", "industries", "label"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["industries"] = ", ".join(self.instance.industries or [])

    def clean_industries(self) -> list[str]:
        text = self.cleaned_data.get("industries") or ""
        return [code.strip().upper() for code in text.replace("，", ",").replace(" ", ",").split(",") if code.strip()]


RuleFormSet = forms.inlineformset_factory(RuleSet, Rule, form=RuleForm, extra=1, can_delete=True)


class RuleSetForm(forms.ModelForm):
    # the version of the draft with its rules as the page showed it (`services.rule_set_version`)
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = RuleSet
        fields = ["name", "effective_on", "target_a_share", "target_b_share", "target_c_share"]
        widgets = {"effective_on": date_picker()}


# -- manual tier overrides (人工调级) ----------------------------------------------------------------------------------


class TierOverrideForm(forms.Form):
    """A manual tier asked for (or, by provincial staff, set): the rules of what may be asked live in the services
    (`tier_override_request`, `tier_override_set`), whose field errors the page shows on these fields."""

    tier = forms.ChoiceField(label=_("tier"), choices=Tier.choices)
    reason = forms.CharField(
        label=_("reason"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the rules' tier does not fit this customer; provincial staff read it to decide."),
        error_messages={"required": _("Say why the tier is set by hand.")},
    )
    expires_on = forms.DateField(
        label=_("expires on"),
        widget=date_picker(),
        help_text=_("Within one year; the rules' tier comes back after this day."),
        error_messages={
            "required": _("Give the day the manual tier ends."),
            "invalid": _("Give a date as 2026-12-31."),
        },
    )

    def __init__(self, *args, direct: bool = False, **kwargs):
        """`direct`: staff set the tier themselves (nobody else decides on it), so the reason is worded for them."""
        super().__init__(*args, **kwargs)
        if direct:
            self.fields["reason"].help_text = _(
                "Why the rules' tier does not fit this customer; kept with the manual tier and shown on the customer "
                "page."
            )


class OverrideDecisionForm(forms.Form):
    """Approve or reject a request from the queue; a rejection says why."""

    note = forms.CharField(label=_("note"), max_length=300, required=False)
