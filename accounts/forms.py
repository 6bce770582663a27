from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from crm import versions
from crm.forms import stale_shown
from crm.models import Region, User
from crm.visibility import filing_regions

from . import services
from .models import Customer


class CustomerForm(forms.ModelForm):
    """Create or edit a customer; the region list holds only the user's territory, and the service decides.

    An edit carries the version of the customer it was made on (`crm.versions`): saved over a customer someone
    changed meanwhile, it is refused with who changed it and when, and each field the two differ in, theirs beside
    the user's (`conflicts`); the form then carries the version now, so that saving again keeps the user's values
    knowingly."""

    version = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Customer
        fields = list(services.CUSTOMER_WRITABLE_FIELDS)
        widgets = {"address": forms.TextInput()}

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        regions = filing_regions(user)
        if self.instance.pk:
            # A customer may sit outside the user's filing territory (an account manager's team role elsewhere);
            # keeping it where it is must stay possible.
            regions = regions | Region.objects.filter(pk=self.instance.region_id)
        self.fields["region"].queryset = regions.order_by("path")
        self.fields["industry"].queryset = self.fields["industry"].queryset.order_by("code")
        if self.instance.pk:
            self.fields["code"].disabled = True
            self.fields["version"].initial = versions.version_of(self.instance)
        self.conflicts: list[tuple[str, Any, Any]] = []

    def save(self, commit: bool = True) -> Customer:
        data = {
            name: self.cleaned_data[name]
            for name in services.CUSTOMER_WRITABLE_FIELDS
            if name in self.fields and not self.fields[name].disabled
        }
        try:
            if self.instance.pk:
                version = self.cleaned_data.get("version") or None
                return services.customer_update(user=self.user, customer=self.instance, data=data, version=version)
            return services.customer_create(user=self.user, data=data)
        except versions.StaleVersion as stale:
            stale_shown(self, stale, data)
            raise ValidationError(stale.message) from stale
        except ValidationError as exc:
            self.add_error(None, exc)
            raise
