from __future__ import annotations

import datetime

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Industry, Segment, Tier
from accounts.validators import validate_mobile
from crm.forms import date_picker
from crm.models import Department, Region, RegionLevel, User
from crm.periods import Period
from crm.visibility import filing_regions, territory_departments
from teams.forms import StaffField, StaffListField, staff_picker

from .models import (
    CallMode,
    CallOutcome,
    CallSource,
    Campaign,
    CampaignKind,
    Channel,
    Competitor,
    OpportunitySource,
    OpportunityStage,
    PlanStage,
    Product,
)
from .rules import COVERAGE_LABELS
from .selectors import products


class DoNotCallForm(forms.Form):
    mobile = forms.CharField(label=_("Mobile"), max_length=11, validators=[validate_mobile])
    reason = forms.CharField(label=_("Reason"), max_length=200)


def _region_label(region: Region) -> str:
    indent = {RegionLevel.CITY: 1, RegionLevel.COUNTY: 2}.get(region.level, 0)
    return "　" * indent + region.name


class CampaignForm(forms.Form):
    """A campaign as its planner sets it up (SPEC §6.2); the segment's empty choices mean any."""

    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Campaign kind"), choices=CampaignKind.choices, widget=forms.RadioSelect)
    department = forms.ModelChoiceField(
        label=_("Owning department"),
        queryset=Department.objects.none(),
        required=False,
        help_text=_("Empty: your own department."),
    )
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none())
    starts_on = forms.DateField(label=_("Starts on"), widget=date_picker())
    ends_on = forms.DateField(label=_("Ends on"), widget=date_picker())
    target_products = forms.ModelMultipleChoiceField(
        label=_("Target products"), queryset=Product.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    tiers = forms.MultipleChoiceField(
        label=_("Customer tiers"), choices=Tier.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    coverage = forms.MultipleChoiceField(
        label=_("Coverage of the target products"),
        choices=list(COVERAGE_LABELS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Customers with any target product in one of these states; none ticked: any."),
    )
    industries = forms.ModelMultipleChoiceField(
        label=_("Industries"),
        queryset=Industry.objects.order_by("code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every industry."),
    )
    goal_openings = forms.IntegerField(label=_("Goal: customers opened"), min_value=0, required=False)
    goal_revenue = forms.DecimalField(
        label=_("Goal: new monthly revenue (CNY)"), min_value=0, max_digits=14, decimal_places=2, required=False
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        regions = filing_regions(user)
        self.fields["region"].queryset = regions.filter(
            level__in=[RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY]
        ).order_by("path")
        self.fields["region"].label_from_instance = _region_label
        self.fields["department"].queryset = territory_departments(user).order_by("region_id", "name")
        self.fields["target_products"].queryset = products()
        self.fields["industries"].label_from_instance = lambda industry: f"{industry.code} {industry.name}"
        if not self.is_bound:
            today = timezone.localdate()
            self.initial.setdefault("department", user.department)
            self.initial.setdefault("region", user.region)
            self.initial.setdefault("kind", CampaignKind.PRODUCT_PUSH)
            self.initial.setdefault("starts_on", today)
            self.initial.setdefault("ends_on", Period.of(today).last_day)

    def fields_before_industries(self) -> list:
        names = list(self.fields)
        return [self[name] for name in names[: names.index("industries")]]

    def fields_after_industries(self) -> list:
        names = list(self.fields)
        return [self[name] for name in names[names.index("industries") + 1 :]]

    def industry_groups(self) -> list[dict]:
        """The industry checkboxes grouped under their segment (行业客户), in the segments' order, each with how many
        are ticked: the picker a phone taps and a keyboard walks, which posts the same `industries` field."""
        groups: dict[str, dict] = {
            value: {"segment": value, "label": label, "choices": [], "checked": 0} for value, label in Segment.choices
        }
        for choice in self["industries"]:
            industry = choice.data["value"].instance
            group = groups[industry.segment]
            group["choices"].append(choice)
            group["checked"] += bool(choice.data["selected"])
        return [group for group in groups.values() if group["choices"]]

    def service_data(self) -> dict:
        """The cleaned form as `campaign_create` takes it."""
        data = dict(self.cleaned_data)
        data["segment"] = {
            "tiers": data.pop("tiers"),
            "industries": [industry.code for industry in data.pop("industries")],
            "coverage": data.pop("coverage"),
        }
        return data


class CampaignCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": _("Give the reason for cancelling the campaign."),
            "max_length": _("The reason is at most 200 characters."),
        },
    )


class PlanMoveForm(forms.Form):
    stage = forms.ChoiceField(label=_("Stage"), choices=PlanStage.choices)
    reason = forms.CharField(label=_("Reason (needed to move back)"), max_length=200, required=False)
    # the version of the plan as the page showed it (`crm.versions`): a move made on a plan changed meanwhile is
    # refused rather than made from a stage the user did not see
    version = forms.CharField(widget=forms.HiddenInput, required=False)


class ActivityForm(forms.Form):
    """A site activity (现场活动) as it is recorded after the day."""

    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=Campaign.objects.none(), required=False)
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.none(),
        required=False,
        help_text=_("An activity of a campaign belongs to the campaign's department."),
    )
    held_on = forms.DateField(label=_("Date"), widget=date_picker())
    place = forms.CharField(label=_("Place"), max_length=200)
    channel = forms.ModelChoiceField(
        label=_("Channel"),
        queryset=Channel.objects.all(),
        required=False,
        help_text=_("Who held it: the department's own staff (direct) unless another channel did."),
    )
    staff = StaffListField(label=_("Staff"), required=False)
    attendance = forms.IntegerField(label=_("Attendance"), min_value=0, initial=0)
    new_subscriptions = forms.IntegerField(label=_("New subscriptions"), min_value=0, initial=0)
    revenue = forms.DecimalField(label=_("Revenue (CNY)"), min_value=0, max_digits=14, decimal_places=2, initial=0)
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user: User, campaigns: QuerySet[Campaign], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns
        self.fields["department"].queryset = territory_departments(user).order_by("region_id", "name")
        if not self.is_bound:
            self.initial.setdefault("department", user.department)
            self.initial.setdefault("held_on", timezone.localdate())


class CallOutcomeForm(forms.Form):
    """The outcome of one call, posted from a row of the agent's call list page."""

    entry = forms.IntegerField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("", "—"), *CallOutcome.choices],
        error_messages={"required": _("Choose an outcome of the call.")},
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
    call_back_at = forms.DateTimeField(
        label=_("Call back at"),
        required=False,
        # the browser's picker of a local date and time, which reads and writes 2026-12-06T14:30 in any language
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
    )


class CallListBuildForm(forms.Form):
    """Build a call list of a campaign: whom to call, and (department heads and provincial staff) for which agent."""

    source = forms.ChoiceField(label=_("Whom to call"), choices=CallSource.choices, initial=CallSource.ALL)
    mode = forms.ChoiceField(label=_("How"), choices=CallMode.choices, initial=CallMode.MANUAL, required=False)
    channel = forms.ModelChoiceField(
        label=_("Channel"),
        queryset=Channel.objects.all(),
        required=False,
        help_text=_("The 10000 desk's lists: 10000号; empty: direct."),
    )
    agent = StaffField(
        label=_("Agent"), required=False, help_text=_("A username; empty: you."), widget=forms.TextInput()
    )

    def __init__(self, *args, may_name_agent: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if may_name_agent:
            staff_picker(self.fields["agent"])
        else:
            del self.fields["agent"]


class CallListDistributeForm(forms.Form):
    """Share a list's numbers still to call among the agents of a pool."""

    agents = StaffListField(
        label=_("Agents"),
        help_text=_("Names or usernames, separated by spaces or commas: the numbers still to call are dealt evenly."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        staff_picker(self.fields["agents"], many=True)


class DialerResultsForm(forms.Form):
    """A dialer's results file for an automatic list."""

    file = forms.FileField(label=_("Results file (CSV)"), allow_empty_file=False)


class OpportunityForm(forms.Form):
    """An opportunity (商机) as its owner records or changes it, one short form that works on a phone. `customer` is
    asked only when the page was not opened from a customer; `owner` offers the customer's team."""

    customer = forms.CharField(label=_("Customer code"), max_length=32)
    title = forms.CharField(label=_("Name"), max_length=100)
    stage = forms.ChoiceField(label=_("Stage"), choices=OpportunityStage.choices, initial=OpportunityStage.FOUND)
    lost_reason = forms.CharField(label=_("Reason lost"), max_length=200, required=False)
    expected_monthly_revenue = forms.DecimalField(
        label=_("Expected monthly revenue (CNY)"),
        max_digits=14,
        decimal_places=2,
        initial=0,
        min_value=0,
        error_messages={"min_value": _("The expected monthly revenue cannot be negative.")},
    )
    expected_one_off_revenue = forms.DecimalField(
        label=_("Expected one-off revenue (CNY)"),
        max_digits=14,
        decimal_places=2,
        initial=0,
        min_value=0,
        error_messages={"min_value": _("The expected one-off revenue cannot be negative.")},
    )
    probability = forms.IntegerField(
        label=_("Probability (%)"),
        required=False,
        min_value=0,
        max_value=100,
        help_text=_("Empty: the stage's usual probability."),
        error_messages={
            "min_value": _("The probability is a percentage from 0 to 100."),
            "max_value": _("The probability is a percentage from 0 to 100."),
        },
    )
    expected_close_on = forms.DateField(label=_("Expected close date"), widget=date_picker())
    products = forms.ModelMultipleChoiceField(
        label=_("Products"), queryset=Product.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    competitor = forms.ChoiceField(label=_("Competitor"), choices=[("", "—"), *Competitor.choices], required=False)
    source = forms.ChoiceField(label=_("Source"), choices=OpportunitySource.choices, initial=OpportunitySource.VISIT)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)
    # the version of the opportunity as the page showed it (`crm.versions`)
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, owners: QuerySet[User] | None = None, ask_customer: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["products"].queryset = products()
        if owners is None:
            del self.fields["owner"]
        else:
            self.fields["owner"].queryset = owners
            self.fields["owner"].label_from_instance = lambda user: user.display_name
            self.fields["owner"].empty_label = _("— me, or the customer manager —")
        if not ask_customer:
            del self.fields["customer"]
        if not self.is_bound:
            self.initial.setdefault("expected_close_on", Period.of(timezone.localdate()).end + datetime.timedelta(-1))

    def service_data(self) -> dict:
        """The cleaned form as the opportunity services take it."""
        data = {key: value for key, value in self.cleaned_data.items() if key not in ("customer", "version")}
        if data.get("owner") is None:
            data.pop("owner", None)
        return data
