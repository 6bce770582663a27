from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

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
