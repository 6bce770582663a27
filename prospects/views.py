"""Pages of the prospect pool (公海, issue 21): the prospects of the reader's territory with the form that files one —
its possible duplicates shown before it is saved — and a prospect's page, where it is claimed, visited, given back
or converted into a customer."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.models import Customer, Industry
from crm.forms import add_service_errors, style_form
from crm.models import Region, RegionLevel
from crm.permissions import kept_scope, may
from crm.views import KeptScopeMixin
from crm.visibility import filing_regions
from teams.forms import StaffField, staff_picker

from . import selectors, services
from .forms import ClaimRuleForm, NewCustomerTargetForm
from .models import ProspectStatus
from .rules import claim_expires_at

PROSPECTS_SHOWN = 100


class ProspectForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("name"), max_length=200)
    uscc = forms.CharField(label=gettext_lazy("unified social credit code"), max_length=18, required=False)
    region = forms.ModelChoiceField(label=gettext_lazy("region"), queryset=Region.objects.none())
    address = forms.CharField(label=gettext_lazy("address"), max_length=300)
    latitude = forms.FloatField(label=gettext_lazy("latitude"), required=False, widget=forms.HiddenInput)
    longitude = forms.FloatField(label=gettext_lazy("longitude"), required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        regions = filing_regions(user).order_by("path") if user is not None else Region.objects.none()
        self.fields["region"].queryset = regions
        if user is not None and user.region is not None and user.region.level == "grid":
            self.fields["region"].initial = user.region


class ConvertForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("customer code"), max_length=32, help_text=gettext_lazy("The BOSS group id.")
    )
    industry = forms.ModelChoiceField(label=gettext_lazy("industry"), queryset=Industry.objects.all(), required=False)
    # Typed and picked (the staff picker), not chosen from a list: a province has thousands of account managers
    # (20 000 at a million customers: a list of them took the page 3.2 s). Whether the one named may be the
    # customer manager is the conversion's to say (`selectors.customer_manager_candidates`), on this field.
    customer_manager = StaffField(
        label=gettext_lazy("customer manager"),
        required=False,
        help_text=gettext_lazy("An account manager of the province; whoever claimed it, when left empty."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        staff_picker(self.fields["customer_manager"])


class VisitForm(forms.Form):
    summary = forms.CharField(label=gettext_lazy("summary"), max_length=2000, widget=forms.Textarea({"rows": 2}))


SHOW = {"pool": ProspectStatus.POOL, "claimed": ProspectStatus.CLAIMED, "converted": ProspectStatus.CONVERTED}


class ProspectListView(LoginRequiredMixin, View):
    """The prospects the reader sees — the pool by default, or theirs, the claimed, the converted — and the form
    that files one: a first save with possible duplicates shows them and asks again."""

    template_name = "prospects/list.html"

    def render_page(self, request, form: ProspectForm, duplicates=None, status: int = 200):
        show = request.GET.get("show", "pool")
        prospects = selectors.prospects_for(request.user)
        if show == "mine":
            prospects = prospects.claimed_by(request.user)
        elif show in SHOW:
            prospects = prospects.filter(status=SHOW[show])
        else:
            show = "all"
        limits = selectors.claim_limits(request.user.region) if request.user.region is not None else None
        context = {
            "form": style_form(form),
            "duplicates": duplicates,
            "prospects": list(prospects.order_by("-created_at", "-id")[:PROSPECTS_SHOWN]),
            "show": show,
            "shown": PROSPECTS_SHOWN,
            "held": selectors.claimed_count(request.user),
            "limits": limits,
            "may_file": may(request.user, "prospects.file"),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        return self.render_page(request, ProspectForm(user=request.user))

    def post(self, request):
        form = ProspectForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render_page(request, form, status=400)
        data = {key: value for key, value in form.cleaned_data.items() if value not in (None, "")}
        if not request.POST.get("confirm"):
            duplicates = selectors.possible_duplicates(
                user=request.user, name=data["name"], address=data["address"], uscc=data.get("uscc")
            )
            if duplicates:
                return self.render_page(request, form, duplicates=duplicates)
        try:
            prospect = services.prospect_file(user=request.user, data=data)
        except ValidationError as error:
            add_service_errors(form, error)
            return self.render_page(request, form, status=400)
        messages.success(request, _("%(name)s filed into the pool.") % {"name": prospect.name})
        return HttpResponseRedirect(reverse("prospects:detail", args=[prospect.pk]))


class ProspectDetailView(LoginRequiredMixin, View):
    """One prospect: where it is, its possible duplicates, who holds it and until when, its visits; claim, give back,
    log a visit, convert."""

    template_name = "prospects/detail.html"

    def get(self, request, pk: int, convert_form: ConvertForm | None = None, status: int = 200):
        prospect = selectors.prospect_get(user=request.user, pk=pk)
        user = request.user
        limits = selectors.claim_limits(prospect.region)
        expires = None
        if prospect.status == ProspectStatus.CLAIMED and prospect.claimed_at is not None:
            expires = claim_expires_at(
                claimed_at=prospect.claimed_at,
                last_visited_at=prospect.last_visited_at,
                return_after_days=limits.return_after_days,
            )
        workable = prospect.status != ProspectStatus.CONVERTED and may(user, "prospects.work", prospect)
        context = {
            "prospect": prospect,
            "duplicates": []
            if prospect.status == ProspectStatus.CONVERTED
            else selectors.possible_duplicates(
                user=user, name=prospect.name, address=prospect.address, uscc=prospect.uscc, exclude=prospect
            ),
            "visits": prospect.visits.select_related("visitor")[:50],
            "limits": limits,
            "expires": expires,
            "may_claim": prospect.status == ProspectStatus.POOL and may(user, "prospects.claim", prospect),
            "workable": workable,
            "may_release": workable and prospect.status == ProspectStatus.CLAIMED,
            "visit_form": style_form(VisitForm(), small=True),
            "convert_form": style_form(convert_form or ConvertForm()),
        }
        return render(request, self.template_name, context, status=status)


class ProspectActionView(LoginRequiredMixin, View):
    """Claim, give back, visit or convert a prospect, then back to its page with what happened."""

    http_method_names = ["post"]
    action = "claim"

    def post(self, request, pk: int):
        prospect = selectors.prospect_get(user=request.user, pk=pk)
        back = HttpResponseRedirect(reverse("prospects:detail", args=[prospect.pk]))
        try:
            if self.action == "claim":
                services.prospect_claim(user=request.user, prospect=prospect)
                messages.success(request, _("Claimed: it is yours to visit and convert."))
            elif self.action == "release":
                services.prospect_release(user=request.user, prospect=prospect)
                messages.success(request, _("Given back to the pool."))
            elif self.action == "visit":
                form = VisitForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(form.errors["summary"])
                services.prospect_visit_log(
                    user=request.user, prospect=prospect, data={"summary": form.cleaned_data["summary"]}
                )
                messages.success(
                    request, _("Visit logged at %(time)s.") % {"time": timezone.localtime().strftime("%H:%M")}
                )
            else:
                form = ConvertForm(request.POST)
                if not form.is_valid():
                    return ProspectDetailView().get(request, pk, convert_form=form, status=400)
                data = {key: value for key, value in form.cleaned_data.items() if value not in (None, "")}
                try:
                    customer = services.prospect_convert(user=request.user, prospect=prospect, data=data)
                except ValidationError as error:
                    add_service_errors(form, error)
                    return ProspectDetailView().get(request, pk, convert_form=form, status=400)
                messages.success(request, _("%(name)s is a customer now.") % {"name": customer.name})
                if not Customer.objects.visible_to(request.user).filter(pk=customer.pk).exists():
                    return back  # an account manager who named another customer manager sees it no more
                return HttpResponseRedirect(reverse("accounts:customer-detail", args=[customer.code]))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return back


class ClaimRulesView(KeptScopeMixin, View):
    """The pool's claim rule (at most N claimed per manager, back to the pool after M days without a visit): a
    province's own (provincial staff), or the national default and any province's (headquarters, `?region=`); both
    fields empty take the level above's."""

    template_name = "prospects/claim_rules.html"
    scope_permission = "prospects.view_claim_rules"
    scope_refusal = gettext_lazy("Only provincial staff and headquarters keep the prospect pool's claim rules.")
    scope_picks_province = True

    def _render(self, request, region: Region, form, status: int = 200):
        own = selectors.own_claim_rule(region)
        context = {
            "region": region,
            "form": form,
            "own": own,
            "above": selectors.claim_limits_above(region),
            "provinces": Region.objects.filter(level=RegionLevel.PROVINCE).order_by("code")
            if request.user.sees_everything
            else None,
            "province_rules": selectors.claim_rules_of_provinces() if request.user.sees_everything else None,
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        region = self.kept_region(request)
        own = selectors.own_claim_rule(region)
        initial = {"max_claimed": own.max_claimed, "return_after_days": own.return_after_days} if own else {}
        return self._render(request, region, style_form(ClaimRuleForm(initial=initial)))

    def post(self, request):
        region = self.kept_region(request)
        form = ClaimRuleForm(request.POST)
        if form.is_valid():
            try:
                services.claim_rule_set(
                    user=request.user,
                    region=region,
                    max_claimed=form.cleaned_data["max_claimed"],
                    return_after_days=form.cleaned_data["return_after_days"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The claim rule of %(region)s is saved.") % {"region": region.name})
                query = f"?region={region.code}" if request.user.sees_everything else ""
                return HttpResponseRedirect(reverse("prospects:claim-rules") + query)
        return self._render(request, region, style_form(form), status=400)


class TargetsView(LoginRequiredMixin, View):
    """The year's targets of new group customers set over the reader's territory — provinces, cities, counties,
    grids — with the new customers filed so far (among those the reader sees) and the share reached, each count a
    link to its customers; provincial staff and headquarters set them here, department heads read theirs."""

    template_name = "prospects/targets.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may(request.user, "prospects.view_targets"):
            raise PermissionDenied(
                _("Only department heads, provincial staff and headquarters see the new-customer targets.")
            )
        return super().dispatch(request, *args, **kwargs)

    @staticmethod
    def _number(text: str) -> int | None:
        """A whole number of ASCII digits (`str.isdigit` also takes "²", which `int` refuses), else None."""
        return int(text) if text.isascii() and text.isdigit() and len(text) <= 8 else None

    def _year(self, request) -> int:
        year = self._number(request.GET.get("year", ""))
        return year if year is not None and 2000 <= year <= 2100 else timezone.localdate().year

    def _render(self, request, year: int, form, status: int = 200):
        user = request.user
        kept = kept_scope(user)
        context = {
            "year": year,
            "this_year": timezone.localdate().year,
            "rows": selectors.target_progress_list(user=user, year=year),
            "form": form,
            "may_keep": kept is not None and may(user, "prospects.keep_targets", kept),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        year = self._year(request)
        initial = {"year": year, "region": request.GET.get("region", "")}
        target = self._number(request.GET.get("target", ""))
        if target is not None:
            initial["target"] = target
        return self._render(request, year, style_form(NewCustomerTargetForm(initial=initial, user=request.user)))

    def post(self, request):
        kept = kept_scope(request.user)
        if kept is None or not may(request.user, "prospects.keep_targets", kept):
            raise PermissionDenied(
                _("Only provincial staff and headquarters set new-customer targets, within their territory.")
            )
        form = NewCustomerTargetForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.new_customer_target_set(
                    user=request.user, region=data["region"], year=data["year"], target=data["target"]
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("The new-customer target of %(region)s for %(year)s is saved.")
                    % {"region": data["region"].name, "year": data["year"]},
                )
                return HttpResponseRedirect(f"{reverse('prospects:targets')}?year={data['year']}")
        year = form.cleaned_data.get("year") or self._year(request)
        return self._render(request, year, style_form(form), status=400)
