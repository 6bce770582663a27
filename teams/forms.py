from __future__ import annotations

import re

from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.filters import staff_picker_attrs
from accounts.models import Customer, KeyPerson, Tier
from crm.forms import date_picker
from crm.models import Region, RegionLevel, User
from crm.visibility import filing_regions

from . import hooks
from .models import SINGLE_ROLES, ServiceStandard, TeamRoleKind, VisitKind
from .rules import staff_username, staff_usernames
from .selectors import ReassignScope
from .services import CHECK_IN_FIELDS, CHECK_OUT_POSITION

CODE_SPLIT = re.compile(r"[\s,，、;；]+")
REASSIGN_CODES_MAX = 2000


def _unknown_staff(field: forms.Field, values: list[str]) -> forms.ValidationError:
    """The error for people nobody is: it names the field, as the message may be read away from it."""
    return forms.ValidationError(
        _("%(field)s: No active member of staff has the username %(value)s."),
        code="unknown_staff",
        params={"field": field.label, "value": "、".join(values)},
    )


def staff_picker(field: forms.Field, *, many: bool = False) -> None:
    """Mark a staff field's input for the combobox of static/js/staff-picker.js, which searches the staff of the
    user's territory by name or username as they type (`teams:staff-search`) and fills in the username. Without
    script the field takes usernames as typed (no list of every member of staff: a province has thousands)."""
    field.widget.attrs.update(staff_picker_attrs())
    if many:
        field.widget.attrs.update({"placeholder": _("Names or usernames"), "data-staff-picker": "many"})


def _text(field: forms.CharField, value) -> str:
    """The field's text, refused with a NUL character before it is looked up (PostgreSQL refuses one in text; a
    CharField's own check of it comes after `to_python`)."""
    text = forms.CharField.to_python(field, value)
    ProhibitNullCharactersValidator()(text)
    return text


class StaffField(forms.CharField):
    """A member of staff named by username, or as the pickers show one, "姓名 (username)"; empty means nobody."""

    def to_python(self, value):
        value = _text(self, value).strip()
        if not value:
            return None
        username = staff_username(value)
        user = User.objects.filter(username=username, is_active=True).select_related("region").first()
        if user is None:
            raise _unknown_staff(self, [username])
        return user


class StaffListField(forms.CharField):
    """Several members of staff by username (or "姓名 (username)"), separated by spaces, commas or semicolons."""

    def to_python(self, value):
        names = staff_usernames(_text(self, value))
        users = {
            u.username: u for u in User.objects.filter(username__in=names, is_active=True).select_related("region")
        }
        unknown = [name for name in names if name not in users]
        if unknown:
            raise _unknown_staff(self, unknown)
        return [users[name] for name in names]


class TeamForm(forms.Form):
    """A customer's team as the page edits it; it carries the version of the team it was opened on
    (`services.team_version`), so that saving over a change made meanwhile is refused with both lineups."""

    assistants = StaffListField(
        label=_("Sales assistants"),
        required=False,
        help_text=_("Names or usernames, separated by spaces or commas; pick each from the list as you type."),
    )
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, required_roles=(), **kwargs):
        super().__init__(*args, **kwargs)
        roles = {role.value: StaffField(label=role.label, required=False) for role in SINGLE_ROLES}
        for name in required_roles:
            roles[name].is_required_role = True
        for field in roles.values():
            staff_picker(field)
        self.fields = {**roles, **self.fields}
        staff_picker(self.fields["assistants"], many=True)
        self.conflicts: list[tuple[str, object, object]] = []


OPPORTUNITY_PREFIX = "opportunity_"


class VisitForm(forms.Form):
    """The one short form of the product (SPEC §5.3); defaults filled so that most visits need only a summary."""

    visited_at = forms.DateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=VisitKind.choices, widget=forms.RadioSelect)
    visitor_role = forms.ChoiceField(label=_("My role on the team"), required=False)
    key_persons = forms.ModelMultipleChoiceField(
        label=_("Key persons met"),
        queryset=KeyPerson.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    # By username, as the API names staff: a visit kept in the browser offline is sent to the API as typed here.
    staff_present = forms.ModelMultipleChoiceField(
        label=_("Other staff present"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        to_field_name="username",
    )
    purpose = forms.CharField(label=_("Purpose"), max_length=200, required=False)
    summary = forms.CharField(label=_("Summary"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    opportunities = forms.CharField(
        label=_("Opportunities found"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    next_step = forms.CharField(label=_("Next step"), max_length=200, required=False)
    next_visit_on = forms.DateField(label=_("Next visit on"), required=False, widget=date_picker())
    plans = forms.ModelMultipleChoiceField(
        label=_("Campaign plans this visit was for"),
        help_text=_("Ticked plans move on to 'visited'."),
        queryset=None,  # the customer's plans, from the campaigns floor (`hooks.visit_plans`)
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    new_opportunity = forms.CharField(
        label=_("New opportunity"),
        help_text=_("A title, e.g. “专线扩容至 500M”: recorded as an opportunity (商机) found by this visit."),
        max_length=100,
        required=False,
    )
    # the version of the visit being changed (`crm.versions`), so that saving over a change made meanwhile (on
    # another device) is refused with both values; empty when logging a new one
    version = forms.CharField(widget=forms.HiddenInput, required=False)
    # The check-in (外勤签到), filled by the page's "check in" button from the browser's geolocation
    # (static/js/visit-check-in.js); a new visit takes the check-in, a visit being changed the check-out.
    latitude = forms.FloatField(widget=forms.HiddenInput, required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(widget=forms.HiddenInput, required=False, min_value=-180, max_value=180)
    accuracy_m = forms.FloatField(widget=forms.HiddenInput, required=False, min_value=0)
    checkout_latitude = forms.FloatField(widget=forms.HiddenInput, required=False, min_value=-90, max_value=90)
    checkout_longitude = forms.FloatField(widget=forms.HiddenInput, required=False, min_value=-180, max_value=180)
    checkout_accuracy_m = forms.FloatField(widget=forms.HiddenInput, required=False, min_value=0)

    CHECK_IN = CHECK_IN_FIELDS

    def opportunity_moves(self) -> tuple[str, dict[int, str]]:
        """The title of an opportunity found, and the stage each open one is moved to (from `cleaned_data`)."""
        moves = {
            int(name.removeprefix(OPPORTUNITY_PREFIX)): value
            for name, value in self.cleaned_data.items()
            if name.startswith(OPPORTUNITY_PREFIX) and value
        }
        return self.cleaned_data.get("new_opportunity") or "", moves

    CHECK_OUT = CHECK_OUT_POSITION

    def __init__(
        self,
        *args,
        customer: Customer,
        user: User,
        roles_held: list[str],
        team_ids: list[int],
        plans: QuerySet | None = None,
        opportunities: list | None = None,
        editing: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        provider = hooks.visit_opportunities.provider
        if opportunities is None or provider is None:
            del self.fields["new_opportunity"]
        else:
            # Each of the customer's open opportunities, its stage to move on to (unchanged by default).
            for opportunity in opportunities:
                self.fields[f"{OPPORTUNITY_PREFIX}{opportunity.pk}"] = forms.ChoiceField(
                    label=_("Opportunity “%(title)s”") % {"title": provider.label(opportunity)},
                    choices=provider.stages(),
                    initial=opportunity.stage,
                    required=False,
                )
        for name in self.CHECK_OUT if not editing else self.CHECK_IN:
            del self.fields[name]
        if plans is None:
            del self.fields["plans"]
        else:
            self.fields["plans"].queryset = plans
            self.fields["plans"].label_from_instance = hooks.visit_plans.provider.label
        self.fields["key_persons"].queryset = customer.key_persons.order_by("-is_decision_maker", "name")
        self.fields["key_persons"].label_from_instance = lambda p: f"{p.name}（{p.title}）" if p.title else p.name
        staff = User.objects.filter(pk__in=team_ids).exclude(pk=user.pk).order_by("last_name", "first_name")
        self.fields["staff_present"].queryset = staff
        self.fields["staff_present"].label_from_instance = lambda u: u.display_name
        labels = dict(TeamRoleKind.choices)
        self.fields["visitor_role"].choices = [(role, labels[role]) for role in roles_held]
        if not roles_held:
            del self.fields["visitor_role"]
        if not self.is_bound:
            self.initial.setdefault("visited_at", timezone.localtime().replace(second=0, microsecond=0))
            self.initial.setdefault("kind", VisitKind.ONSITE)
            if roles_held:
                self.initial.setdefault("visitor_role", roles_held[0])


class ServiceStandardForm(forms.ModelForm):
    required_roles = forms.MultipleChoiceField(
        label=_("Required roles"),
        choices=[(role.value, role.label) for role in SINGLE_ROLES],
        widget=forms.CheckboxSelectMultiple,
    )
    # the version of the standard the page was opened on (`crm.versions`)
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ServiceStandard
        fields = ["required_roles", "period", "visits_required", "visits_role", "visits_role_required"]


class ReassignForm(forms.Form):
    """A leaving manager's customers handed to others: all of them, or those of chosen customers, a grid or a tier
    (every part given must match), as `selectors.ReassignScope`."""

    leaving = StaffField(label=_("Leaving manager"))
    targets = StaffListField(
        label=_("Managers taking over"),
        help_text=_("Names or usernames, separated by spaces or commas; pick each from the list as you type."),
    )
    customers = forms.CharField(
        label=_("Only these customers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "autocapitalize": "none", "spellcheck": "false"}),
        help_text=_("Customer codes, separated by spaces, commas or new lines. Empty: every customer."),
    )
    region = forms.CharField(
        label=_("Only this grid"),
        required=False,
        help_text=_("A grid's code (or a county's: its whole area). Empty: every grid."),
    )
    tier = forms.ChoiceField(label=_("Only this tier"), required=False, choices=[("", _("Every tier")), *Tier.choices])
    confirm_overload = forms.BooleanField(
        label=_("I know this puts a manager above 50 customers; go ahead."), required=False
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        staff_picker(self.fields["leaving"])
        staff_picker(self.fields["targets"], many=True)
        self.fields["region"].widget.attrs.update(list="grid-pool", autocomplete="off", autocapitalize="none")

    def clean_customers(self) -> tuple[str, ...]:
        codes = tuple(dict.fromkeys(code for code in CODE_SPLIT.split(self.cleaned_data["customers"]) if code))
        if len(codes) > REASSIGN_CODES_MAX:
            raise forms.ValidationError(
                _("At most %(max)s customers at a time; choose a grid or a tier for more."),
                params={"max": REASSIGN_CODES_MAX},
            )
        return codes

    def clean_region(self) -> Region | None:
        value = self.cleaned_data["region"].strip()
        if not value:
            return None
        code = staff_username(value)  # a grid as the list shows one, "春熙路网格 (510104-G01)", works too
        region = filing_regions(self.user).exclude(level=RegionLevel.NATIONAL).filter(code=code).first()
        if region is None:
            raise forms.ValidationError(
                _("%(field)s: no region of your territory has the code %(value)s."),
                params={"field": self.fields["region"].label, "value": value},
            )
        return region

    def scope(self) -> ReassignScope:
        data = self.cleaned_data
        return ReassignScope(codes=data["customers"], region=data["region"], tier=data["tier"])


class VipDealForm(forms.Form):
    """The personal VIPs of a region in nobody's care, dealt among chosen personal-VIP managers (SPEC §4.3)."""

    region = forms.CharField(
        label=_("Personal VIPs of"),
        help_text=_("A region's code: a city, a county or a grid of your territory (its whole area)."),
    )
    managers = StaffListField(
        label=_("Personal-VIP managers"),
        help_text=_("Names or usernames, separated by spaces or commas; pick each from the list as you type."),
    )
    confirm_overload = forms.BooleanField(
        label=_("I know this puts a manager above 400 personal VIPs; go ahead."), required=False
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        staff_picker(self.fields["managers"], many=True)
        self.fields["region"].widget.attrs.update(list="region-pool", autocomplete="off", autocapitalize="none")

    def clean_region(self) -> Region:
        value = self.cleaned_data["region"].strip()
        code = staff_username(value)  # as the list shows one, "锦江区 (510104)"
        region = filing_regions(self.user).exclude(level=RegionLevel.NATIONAL).filter(code=code).first()
        if region is None:
            raise forms.ValidationError(
                _("%(field)s: no region of your territory has the code %(value)s."),
                params={"field": self.fields["region"].label, "value": value},
            )
        return region


class VipMoveForm(forms.Form):
    """Chosen personal VIPs of one manager put in another's care, or out of anyone's."""

    members = forms.TypedMultipleChoiceField(label=_("Personal VIPs"), coerce=int, choices=())
    manager = StaffField(
        label=_("Into the care of"),
        required=False,
        help_text=_("Empty: out of anyone's care (the VIPs become unassigned)."),
    )
    confirm_overload = forms.BooleanField(
        label=_("I know this puts a manager above 400 personal VIPs; go ahead."), required=False
    )

    def __init__(self, *args, member_ids: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].choices = [(pk, pk) for pk in member_ids]
        staff_picker(self.fields["manager"])
