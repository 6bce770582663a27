from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from crm.models import Region, User
from crm.visibility import filing_regions

from . import services
from .models import Customer


class CustomerForm(forms.ModelForm):
    """Create or edit a customer; the region list holds only the user's territory, and the service decides."""

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

    def save(self, commit: bool = True) -> Customer:
        data = {name: self.cleaned_data[name] for name in self.fields if not self.fields[name].disabled}
        try:
            if self.instance.pk:
                return services.customer_update(user=self.user, customer=self.instance, data=data)
            return services.customer_create(user=self.user, data=data)
        except ValidationError as exc:
            self.add_error(None, exc)
            raise
