from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.validators import validate_mobile


class DoNotCallForm(forms.Form):
    mobile = forms.CharField(label=_("Mobile"), max_length=11, validators=[validate_mobile])
    reason = forms.CharField(label=_("Reason"), max_length=200)
