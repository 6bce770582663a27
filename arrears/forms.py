from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Tier
from crm.forms import date_picker

from .models import OutcomeKind


class OutcomeForm(forms.Form):
    """What chasing a case gave: the outcome, the promised date (for a promise), the amount paid, a note."""

    kind = forms.ChoiceField(label=_("result of the chase"), choices=OutcomeKind.choices)
    promised_on = forms.DateField(
        label=_("promised for"), required=False, widget=date_picker(), help_text=_("For a promise to pay.")
    )
    amount = forms.DecimalField(
        label=_("amount paid (CNY)"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    note = forms.CharField(label=_("note"), required=False, max_length=2000, widget=forms.Textarea({"rows": 2}))


class ThresholdsForm(forms.Form):
    """One amount per tier; empty: the level above's (the national threshold, or the default)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for tier, label in Tier.choices:
            self.fields[tier] = forms.DecimalField(
                label=label, required=False, min_value=0, max_digits=14, decimal_places=2
            )
