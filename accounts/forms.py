from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from crm import versions
from crm.forms import add_service_errors, stale_shown
from crm.models import Region, User
from crm.visibility import filing_regions

from . import selectors, services
from .models import Customer, GroupMember, KeyPerson


class CustomerForm(forms.ModelForm):
    """Create or edit a customer; the region list holds only the user's territory, and the service decides.

    An edit carries the version of the customer it was made on (`crm.versions`): saved over a customer someone
    changed meanwhile, it is refused with who changed it and when, and each field the two differ in, theirs beside
    the user's (`conflicts`); the form then carries the version now, so that saving again keeps the user's values
    knowingly."""

    version = forms.CharField(widget=forms.HiddenInput, required=False)
    # The parent group by its code, not a list of every customer: looked up among those the user sees (issue 21).
    parent = forms.CharField(
        label=_("Parent group"),
        max_length=32,
        required=False,
        help_text=_("The customer code of the group headquarters this customer is a branch of; empty for none."),
    )

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
        if self.instance.parent_id is not None:
            parent_code = selectors.visible_code(user=user, pk=self.instance.parent_id)
            if parent_code is None:
                # A parent the user does not see is no customer of theirs (§2): not named, and kept as it is.
                del self.fields["parent"]
            elif not self.is_bound:
                self.initial["parent"] = parent_code
        if self.instance.pk:
            self.fields["code"].disabled = True
            self.fields["version"].initial = versions.version_of(self.instance)
        self.conflicts: list[tuple[str, Any, Any]] = []

    def clean_parent(self) -> Customer | None:
        code = (self.cleaned_data.get("parent") or "").strip()
        if not code:
            return None
        parent = selectors.customer_visible_by_code(user=self.user, code=code)
        if parent is None:
            raise ValidationError(selectors.parent_unknown(code))
        return parent

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


class PersonFormBase(forms.ModelForm):
    """Add or edit one of a customer's people through the service the API uses: the model's field checks run here
    (the same messages as the API's), the service's (a mobile number taken, the right to write) on saving. An edit
    carries the version it was made on (`crm.versions`); saved over a change made meanwhile it is refused with who
    made it, and carries the version now, so that saving again keeps the user's values knowingly."""

    version = forms.CharField(widget=forms.HiddenInput, required=False)
    writable: tuple[str, ...] = ()

    def __init__(self, *args, user: User, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.customer = user, customer
        if self.instance.pk:
            self.fields["version"].initial = versions.version_of(self.instance)
        self.conflicts: list[tuple[str, Any, Any]] = []

    def data_written(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.writable if name in self.cleaned_data}

    def save(self, commit: bool = True):
        data = self.data_written()
        try:
            if self.instance.pk:
                version = self.cleaned_data.get("version") or None
                return self.update(data, version)
            return self.create(data)
        except versions.StaleVersion as stale:
            stale_shown(self, stale, data)
            raise ValidationError(stale.message) from stale
        except ValidationError as exc:
            add_service_errors(self, exc)
            raise

    def create(self, data: dict[str, Any]):
        raise NotImplementedError

    def update(self, data: dict[str, Any], version: str | None):
        raise NotImplementedError


class KeyPersonForm(PersonFormBase):
    writable = services.KEY_PERSON_FIELDS

    class Meta:
        model = KeyPerson
        fields = list(services.KEY_PERSON_FIELDS)
        widgets = {
            "mobile": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def create(self, data: dict[str, Any]) -> KeyPerson:
        return services.key_person_create(customer=self.customer, data=data, user=self.user)

    def update(self, data: dict[str, Any], version: str | None) -> KeyPerson:
        return services.key_person_update(user=self.user, person=self.instance, data=data, version=version)


class GroupMemberForm(PersonFormBase):
    writable = services.MEMBER_WRITABLE_FIELDS

    class Meta:
        model = GroupMember
        fields = list(services.MEMBER_WRITABLE_FIELDS)
        widgets = {
            "mobile": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel"}),
            "arpu": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01", "min": "0"}),
        }

    def create(self, data: dict[str, Any]) -> GroupMember:
        return services.group_member_create(customer=self.customer, data=data, user=self.user)

    def update(self, data: dict[str, Any], version: str | None) -> GroupMember:
        return services.group_member_update(user=self.user, member=self.instance, data=data, version=version)


class VersionForm(forms.Form):
    """A removal's form: the version of the record the user saw when they chose to remove it."""

    version = forms.CharField(widget=forms.HiddenInput, required=False)
