from __future__ import annotations

import mimetypes

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, HttpResponseRedirect, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from accounts.models import Customer
from accounts.selectors import customer_get
from crm import versions
from crm.forms import add_service_errors, stale_shown, style_form
from crm.models import RegionLevel
from crm.paginator import CountedPaginator, EstimatingPaginator, OpenPaginator, lists_are_long
from crm.permissions import may, require
from crm.security import TokenAuthentication
from crm.visibility import filing_regions, territory_of_lists, territory_region
from tiering.selectors import TIER_RANK

from . import hooks, selectors, services
from .filters import NO_CHECK_IN, UNVERIFIED_REASONS, VisitFilter
from .forms import OPPORTUNITY_PREFIX, ReassignForm, ServiceStandardForm, TeamForm, VipDealForm, VipMoveForm, VisitForm
from .models import SINGLE_ROLES, ServiceStandard, TeamRoleKind, VisitPhoto
from .rules import MANAGER_CAPACITY, VIP_MANAGER_CAPACITY

STAFF_SEARCH_RESULTS = 20  # what a picker lists as the user types; more is a longer name to type
GRID_SUGGESTIONS = 500


def _next_url(request, default: str) -> str:
    """Where to go back to after saving: the page the user came from, if it is one of ours."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _require_team_managers(request) -> None:
    require(request.user, "teams.manage")


class StaffSearchView(LoginRequiredMixin, View):
    """The staff pickers' search (static/js/staff-picker.js): `GET ?q=` gives, as JSON, at most 20 active members
    of staff of the caller's territory (`selectors.staff_pool`, never anyone outside it) whose name or username
    contains `q`, best match first: `{"results": [{"username", "name", "label", "role", "region"}], "more"}`,
    where `label` is what the picker shows, "姓名 (username)", and `more` says that more people match."""

    def get(self, request):
        found = list(selectors.staff_search(request.user, request.GET.get("q", ""))[: STAFF_SEARCH_RESULTS + 1])
        people = found[:STAFF_SEARCH_RESULTS]
        results = [
            {
                "username": person.username,
                "name": person.display_name,
                "label": f"{person.display_name} ({person.username})",
                "role": person.get_role_display(),
                "region": person.region.name if person.region is not None else "",
            }
            for person in people
        ]
        response = JsonResponse({"results": results, "more": len(found) > len(people)})
        # Who works where is nothing for a shared cache to keep.
        response["Cache-Control"] = "private, no-store"
        return response


class VisitFormView(LoginRequiredMixin, View):
    """Log a visit (or change one's own within 7 days): one short form that works on a phone."""

    template_name = "teams/visit_form.html"

    def _form(self, request, customer, visit=None, data=None):
        initial = None
        if visit is not None:
            initial = {
                "visited_at": timezone.localtime(visit.visited_at),
                "kind": visit.kind,
                "visitor_role": visit.visitor_role,
                "key_persons": list(visit.key_persons.all()),
                "staff_present": list(visit.staff_present.all()),
                "purpose": visit.purpose,
                "summary": visit.summary,
                "opportunities": visit.opportunities,
                "next_step": visit.next_step,
                "next_visit_on": visit.next_visit_on,
                "version": versions.version_of(visit),
            }
        return style_form(
            VisitForm(
                data,
                initial=initial,
                customer=customer,
                user=request.user,
                roles_held=selectors.roles_held(user=request.user, customer=customer),
                team_ids=selectors.team_member_ids(customer),
                plans=self._plans(customer, visit),
                opportunities=self._opportunities(customer, visit),
                editing=visit is not None,
            )
        )

    @staticmethod
    def _plans(customer, visit):
        """The campaign plans a new visit may move on; none when editing one."""
        if visit is not None or hooks.visit_plans.provider is None:
            return None
        plans = hooks.visit_plans.provider.to_visit(customer)
        return plans if plans.exists() else None

    @staticmethod
    def _opportunities(customer, visit):
        """The customer's open opportunities a new visit may move on (and the box for one it found); none when
        editing a visit."""
        if visit is not None or hooks.visit_opportunities.provider is None:
            return None
        return list(hooks.visit_opportunities.provider.open_of(customer))

    def _objects(self, request, code=None, pk=None):
        if pk is not None:
            visit = get_object_or_404(selectors.visits_visible(request.user).select_related("customer"), pk=pk)
            require(request.user, "teams.change_visit", visit)
            return customer_get(user=request.user, code=visit.customer.code), visit
        return customer_get(user=request.user, code=code), None

    def get(self, request, code=None, pk=None):
        customer, visit = self._objects(request, code, pk)
        return self._render(request, customer, visit, self._form(request, customer, visit))

    def post(self, request, code=None, pk=None):
        customer, visit = self._objects(request, code, pk)
        form = self._form(request, customer, visit, data=request.POST)
        if form.is_valid():
            found, moves = form.opportunity_moves()
            data = {
                name: value
                for name, value in form.cleaned_data.items()
                if name != "new_opportunity" and not name.startswith(OPPORTUNITY_PREFIX)
            }
            version = data.pop("version", None) or None
            if visit is not None and data.get("visited_at") == timezone.localtime(visit.visited_at).replace(
                second=0, microsecond=0
            ):
                # the form shows minutes: a visit logged to the second (through the API) keeps its time unless the
                # user changed it
                del data["visited_at"]
            # A position not taken leaves the visit without one (the check-in is optional).
            data = {name: value for name, value in data.items() if value is not None or name not in POSITION_FIELDS}
            photos = request.FILES.getlist("photos")
            try:
                # The visit and its photos together: a photo refused leaves nothing half saved.
                with transaction.atomic():
                    if visit is None:
                        saved = services.visit_log(user=request.user, customer=customer, data=data)
                        if found or moves:
                            # Opportunities found or moved on by the visit, in its transaction (campaigns' floor).
                            hooks.visit_opportunities.provider.record(
                                user=request.user, visit=saved, found=found, moves=moves
                            )
                    else:
                        saved = services.visit_update(user=request.user, visit=visit, data=data, version=version)
                    for photo in photos:
                        services.visit_photo_add(user=request.user, visit=saved, photo=photo)
            except versions.StaleVersion as refusal:
                stale_shown(form, refusal, data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                message = (
                    _("Visit to %(name)s saved.") % {"name": customer.name}
                    if visit
                    else _("Visit to %(name)s logged.") % {"name": customer.name}
                )
                checked = services.visit_verification_text(saved) if saved.latitude is not None else ""
                messages.success(request, f"{message} {checked}".strip())
                return HttpResponseRedirect(
                    _next_url(request, reverse("accounts:customer-detail", args=[customer.code]))
                )
        return self._render(request, customer, visit, style_form(form), status=400)

    def _render(self, request, customer, visit, form, status=200):
        back = _next_url(request, reverse("accounts:customer-detail", args=[customer.code]))
        return render(
            request,
            self.template_name,
            {
                "customer": customer,
                "visit": visit,
                "form": form,
                "next": back,
                "check_in": {
                    "radius_m": settings.VISIT_CHECK_IN_RADIUS_M,
                    "accuracy_m": settings.VISIT_CHECK_IN_ACCURACY_M,
                    "photo_max_bytes": settings.VISIT_PHOTO_MAX_BYTES,
                    "location": customer.location,
                },
                "photos": list(visit.photos.order_by("id")) if visit is not None else [],
            },
            status=status,
        )


POSITION_FIELDS = (*VisitForm.CHECK_IN, *VisitForm.CHECK_OUT)


class VisitPhotoFileView(View):
    """A visit's photo, streamed from the storage to those who may see the customer (never a public file): others
    get 404, as for anything of a customer they do not see. Signed-in staff by their session; a script by its API
    token (`Authorization: Token …`), as the photo list of the API gives these addresses."""

    def get(self, request, pk):
        user = request.user
        if not user.is_authenticated and request.headers.get("Authorization", "").startswith("Token "):
            try:
                found = TokenAuthentication().authenticate(Request(request))
            except AuthenticationFailed:
                found = None
            if found is not None:
                user = found[0]
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        photo = get_object_or_404(
            VisitPhoto.objects.filter(visit__customer__in=Customer.objects.visible_to(user)), pk=pk
        )
        content_type = mimetypes.guess_type(photo.image.name)[0] or "application/octet-stream"
        response = FileResponse(photo.image.open("rb"), content_type=content_type)
        # Private to the one who may see it: no shared cache keeps a customer's photo.
        response["Cache-Control"] = "private, max-age=3600"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class VisitLocationConfirmView(LoginRequiredMixin, View):
    """A department head makes a visit's check-in position the customer's location (the button on the customer
    page), which confirms it; visits are then verified against it."""

    def post(self, request, pk):
        visit = get_object_or_404(selectors.visits_visible(request.user).select_related("customer__region"), pk=pk)
        try:
            services.visit_location_confirm(user=request.user, visit=visit)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("The location of %(name)s is now the position of the visit of %(day)s.")
                % {"name": visit.customer.name, "day": f"{timezone.localtime(visit.visited_at):%Y-%m-%d}"},
            )
        return HttpResponseRedirect(_next_url(request, reverse("accounts:customer-detail", args=[visit.customer.code])))


class DueVisitsView(LoginRequiredMixin, View):
    """My customers whose service standard is not met yet this period, most urgent first (SPEC §5.3)."""

    def get(self, request):
        today = timezone.localdate()
        verified_only = selectors.verified_only_of(request)
        due = selectors.due_visits(request.user, today, verified_only)
        for item in due:
            item.days_left = (item.status.period_end - today).days
        return render(
            request,
            "teams/due_visits.html",
            {
                "due": due,
                "second_manager_rows": selectors.second_manager_rows(request.user, today, verified_only),
                "today": today,
            },
        )


UNVERIFIED_PAGE_SIZE = 50
UNVERIFIED_FILTERS = ("reason", "visited_from", "visited_to")


class UnverifiedVisitsView(LoginRequiredMixin, View):
    """The on-site visits of the customers one sees that their check-in did not verify (外勤签到), the newest
    first, for department heads (and provincial staff, headquarters) to review: why not, how far off, and where
    the customer has no location yet, the button that makes an accurate check-in its location."""

    def get(self, request):
        _require_team_managers(request)
        # The visit FilterSet of the API, by the page's own filters only.
        data = QueryDict(mutable=True)
        for name in UNVERIFIED_FILTERS:
            if name in request.GET:
                data[name] = request.GET[name]
        filterset = VisitFilter(data, queryset=selectors.unverified_visits(request.user), request=request)
        visits = filterset.qs if filterset.is_valid() else filterset.queryset.none()
        # A territory's unverified visits are read region by region, newest first (`crm.paginator`).
        territory, _whole = filterset.territory_of_list(request.user)
        for name in list(filterset.form.fields):
            if name not in UNVERIFIED_FILTERS:
                del filterset.form.fields[name]
        style_form(filterset.form, small=True)
        paginator = EstimatingPaginator(
            visits, UNVERIFIED_PAGE_SIZE, territory=territory, estimate_first=lists_are_long(request.user)
        )
        page = paginator.get_page(request.GET.get("page"))
        labels = dict(UNVERIFIED_REASONS)
        for visit in page:
            visit.reason_label = (
                labels.get(visit.unverified_reason or NO_CHECK_IN) or visit.get_unverified_reason_display()
            )
            # What `visit_location_confirm` takes, for a customer without a location. Every row's customer is one
            # the user sees and the page is for those who manage teams, which is what `accounts.confirm_location`
            # asks: no query per row.
            visit.may_confirm_location = visit.customer.location is None and visit.gives_location
        return render(
            request,
            "teams/unverified_visits.html",
            {"filter": filterset, "page": page, "query": data.urlencode(), "filtered": bool(data)},
        )


class TeamEditView(LoginRequiredMixin, View):
    """Assign or change any role on one customer's team (department heads and provincial staff)."""

    template_name = "teams/team_form.html"

    def _setup(self, request, code):
        customer = customer_get(user=request.user, code=code)  # outsiders: 404 first
        _require_team_managers(request)
        require(request.user, "teams.manage_customer_team", customer)  # a listed group's: at its level (issue 21)
        return customer, selectors.team_status(customer)

    def get(self, request, code):
        customer, status = self._setup(request, code)
        initial = {role: (user.username if user else "") for role, user in status.holders.items()}
        initial["assistants"] = " ".join(user.username for user in status.assistants)
        initial["version"] = services.team_version(customer)
        form = style_form(TeamForm(initial=initial, required_roles=status.required))
        return self._render(request, customer, status, form)

    def post(self, request, code):
        customer, status = self._setup(request, code)
        form = TeamForm(request.POST, required_roles=status.required)
        if form.is_valid():
            roles = {role.value: form.cleaned_data[role.value] for role in SINGLE_ROLES}
            try:
                services.team_set(
                    by=request.user,
                    customer=customer,
                    roles=roles,
                    assistants=form.cleaned_data["assistants"],
                    version=form.cleaned_data.get("version") or None,
                )
            except versions.StaleVersion as refusal:
                stale_shown(form, refusal, form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Team of %(name)s saved.") % {"name": customer.name})
                return HttpResponseRedirect(
                    _next_url(request, reverse("accounts:customer-detail", args=[customer.code]))
                )
        return self._render(request, customer, status, style_form(form), code=400)

    def _render(self, request, customer, status, form, code=200):
        return render(
            request,
            self.template_name,
            {
                "customer": customer,
                "team": status,
                "form": form,
                "next": _next_url(request, reverse("accounts:customer-detail", args=[customer.code])),
            },
            status=code,
        )


class IncompleteTeamsView(LoginRequiredMixin, View):
    """Customers whose team lacks a role their tier's standard requires, by missing role."""

    def get(self, request):
        _require_team_managers(request)
        role = request.GET.get("role") or None
        if role not in (None, *(r.value for r in SINGLE_ROLES)):
            role = None
        by_tier = selectors.standards()
        gaps = selectors.team_gaps(request.user, by_tier)
        customers = selectors.incomplete_teams(request.user, role, by_tier).select_related("region").order_by("code")
        count = gaps.by_role[role] if role else gaps.incomplete
        # Counted now, the gaps are exact: the list needs no count of its own (a second pass over the customers).
        # From the night's counts they are not the live list's: it is paged without a count, page after page.
        # A territory's list is read region by region (`crm.paginator`): its customers lacking a role are a few in
        # a hundred, far apart in code order.
        territory = territory_of_lists(request.user)
        paginator = (
            CountedPaginator(customers, settings.CUSTOMER_LIST_PAGE_SIZE, count=count, territory=territory)
            if gaps.as_of is None
            else OpenPaginator(customers, settings.CUSTOMER_LIST_PAGE_SIZE, territory=territory)
        )
        page = paginator.get_page(request.GET.get("page"))
        labels = dict(TeamRoleKind.choices)
        for customer in page:
            customer.missing_labels = [labels[missing] for missing in selectors.team_missing_of(customer, by_tier)]
        return render(
            request,
            "teams/incomplete_teams.html",
            {
                "page": page,
                "role": role,
                "count": count,
                "as_of": gaps.as_of,
                "role_counts": [(r.value, r.label, gaps.by_role[r.value]) for r in SINGLE_ROLES],
                "query": f"role={role}" if role else "",
            },
        )


class ManagerLoadView(LoginRequiredMixin, View):
    """Customers per customer manager; above 50 a manager is overloaded (SPEC §5.2). Beside them, personal VIPs per
    personal-VIP manager against the 400 line (SPEC §4.3); `?vip=overloaded` lists only those above it."""

    def get(self, request):
        _require_team_managers(request)
        loads = selectors.manager_load(request.user)
        page = Paginator(loads.managers.select_related("region"), 100).get_page(request.GET.get("page"))
        vip_loads = selectors.vip_manager_load(request.user)
        vip_only_overloaded = request.GET.get("vip") == "overloaded"
        vip_managers = vip_loads.managers
        if vip_only_overloaded:
            vip_managers = vip_managers.filter(vip_count__gt=VIP_MANAGER_CAPACITY)
        vip_page = Paginator(vip_managers.select_related("region"), 100).get_page(request.GET.get("vip_page"))
        context = {
            "page": page,
            "capacity": MANAGER_CAPACITY,
            "as_of": loads.as_of,
            "vip_page": vip_page,
            "vip_capacity": VIP_MANAGER_CAPACITY,
            "vip_as_of": vip_loads.as_of,
            "vip_summary": selectors.vip_load_summary(vip_loads),
            "vip_only_overloaded": vip_only_overloaded,
            "may_assign_vips": may(request.user, "teams.assign_vips", territory_region(request.user)),
        }
        return render(request, "teams/manager_load.html", context)


class VipDealView(LoginRequiredMixin, View):
    """Deal a region's personal VIPs in nobody's care among chosen personal-VIP managers, evenly by load: preview
    first, then apply, all or nothing (SPEC §4.3)."""

    template_name = "teams/vip_deal.html"

    def get(self, request):
        _require_team_managers(request)
        region = territory_region(request.user)
        initial = {"region": request.GET.get("region") or (region.code if region and region.depth else "")}
        return self._render(request, style_form(VipDealForm(initial=initial, user=request.user)))

    def post(self, request):
        _require_team_managers(request)
        form = VipDealForm(request.POST, user=request.user)
        plan = None
        if form.is_valid():
            data = form.cleaned_data
            try:
                require(request.user, "teams.assign_vips", data["region"])
                plan = selectors.vip_deal_plan(by=request.user, region=data["region"], managers=data["managers"])
                if "apply" in request.POST:
                    result = services.vip_deal(
                        by=request.user,
                        region=data["region"],
                        managers=data["managers"],
                        confirm_overload=data["confirm_overload"],
                    )
                    messages.success(
                        request,
                        _("%(count)s personal VIPs of %(region)s dealt among %(managers)s managers.")
                        % {"count": result.dealt, "region": data["region"].name, "managers": len(result.per_manager)},
                    )
                    return HttpResponseRedirect(reverse("teams:manager-load") + "#vip-load")
            except ValidationError as error:
                add_service_errors(form, error)
        return self._render(request, style_form(form), plan, status=400 if form.errors else 200)

    def _render(self, request, form, plan=None, status=200):
        if not (plan and plan.overloaded):
            form.fields.pop("confirm_overload", None)
        regions = (
            filing_regions(request.user)
            .exclude(level__in=[RegionLevel.NATIONAL, RegionLevel.GRID])
            .order_by("code")
            .only("code", "name")[:GRID_SUGGESTIONS]
        )
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "fields": [form[name] for name in ("region", "managers")],
                "confirm_fields": [form[name] for name in ("confirm_overload",) if name in form.fields],
                "plan": plan,
                "regions": regions,
                "capacity": VIP_MANAGER_CAPACITY,
            },
            status=status,
        )


class VipManagerView(LoginRequiredMixin, View):
    """The personal VIPs in one manager's care, of the customers the user sees; chosen ones moved into another
    manager's care, or out of anyone's."""

    template_name = "teams/vip_manager.html"

    def _manager(self, request, username):
        _require_team_managers(request)
        return get_object_or_404(selectors.staff_pool(request.user), username=username)

    def _members(self, request, manager):
        members = selectors.vip_members_of(manager).filter(customer__in=Customer.objects.visible_to(request.user))
        return Paginator(members.select_related("customer"), 100).get_page(request.GET.get("page"))

    def get(self, request, username):
        manager = self._manager(request, username)
        page = self._members(request, manager)
        form = VipMoveForm(member_ids=[m.pk for m in page])
        return self._render(request, manager, page, style_form(form))

    def post(self, request, username):
        manager = self._manager(request, username)
        page = self._members(request, manager)
        form = VipMoveForm(request.POST, member_ids=[m.pk for m in page])
        if form.is_valid():
            data = form.cleaned_data
            try:
                moved = services.vip_assign(
                    by=request.user,
                    member_ids=data["members"],
                    manager=data["manager"],
                    confirm_overload=data["confirm_overload"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("%(count)s personal VIPs moved.") % {"count": moved})
                return HttpResponseRedirect(reverse("teams:vip-manager", args=[manager.username]))
        return self._render(request, manager, page, style_form(form), status=400)

    def _render(self, request, manager, page, form, status=200):
        return render(
            request,
            self.template_name,
            {
                "manager": manager,
                "page": page,
                "form": form,
                "move_fields": [form[name] for name in ("manager", "confirm_overload")],
                "chosen": set(form["members"].value() or []),
                "capacity": VIP_MANAGER_CAPACITY,
                "vip_count": selectors.vip_counts([manager.pk])[manager.pk],
            },
            status=status,
        )


REASSIGN_SCOPE_FIELDS = ("customers", "region", "tier")


class ReassignView(LoginRequiredMixin, View):
    """Hand the customers of a leaving manager to others, all of them or those of chosen customers, a grid or a tier:
    preview first, then apply, all or nothing."""

    template_name = "teams/reassign.html"

    def get(self, request):
        _require_team_managers(request)
        form = ReassignForm(initial={"leaving": request.GET.get("leaving", "")}, user=request.user)
        return self._render(request, style_form(form))

    def post(self, request):
        _require_team_managers(request)
        form = ReassignForm(request.POST, user=request.user)
        plan = None
        if form.is_valid():
            data = form.cleaned_data
            scope = form.scope()
            try:
                # The preview and the apply read the same scope through the same selector (`reassign_roles`).
                services.team_reassign_check(
                    by=request.user, leaving=data["leaving"], targets=data["targets"], scope=scope
                )
                plan = selectors.reassign_plan(
                    by=request.user, leaving=data["leaving"], targets=data["targets"], scope=scope
                )
                if "apply" in request.POST:
                    result = services.team_reassign(
                        by=request.user,
                        leaving=data["leaving"],
                        targets=data["targets"],
                        scope=scope,
                        confirm_overload=data["confirm_overload"],
                    )
                    messages.success(
                        request,
                        _("%(customers)s customers of %(name)s handed over (%(roles)s roles).")
                        % {
                            "customers": result.customers,
                            "name": data["leaving"].display_name,
                            "roles": result.roles,
                        },
                    )
                    return HttpResponseRedirect(reverse("teams:manager-load"))
            except ValidationError as error:
                add_service_errors(form, error)
        return self._render(request, style_form(form), plan, status=400 if form.errors else 200)

    def _render(self, request, form, plan=None, status=200):
        if not (plan and plan.overloaded):  # the confirmation is only asked for when a target would be overloaded
            form.fields.pop("confirm_overload", None)
        customers = []
        if plan is not None:
            names = Customer.objects.in_bulk(list(plan.customers)[:500])
            customers = [(names[pk], target) for pk, target in plan.customers.items() if pk in names]
        grids = (
            filing_regions(request.user)
            .filter(level=RegionLevel.GRID)
            .order_by("code")
            .only("code", "name")[:GRID_SUGGESTIONS]
        )
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "people_fields": [form[name] for name in ("leaving", "targets")],
                "scope_fields": [form[name] for name in REASSIGN_SCOPE_FIELDS],
                "confirm_fields": [form[name] for name in ("confirm_overload",) if name in form.fields],
                "plan": plan,
                "plan_customers": customers,
                "grids": grids,
                "capacity": MANAGER_CAPACITY,
            },
            status=status,
        )


class ServiceStandardListView(LoginRequiredMixin, View):
    def get(self, request):
        return render(
            request,
            "teams/standards.html",
            {
                # Highest tier first: A+ before A, which an ordering by the tier's text would not give.
                "standards": sorted(
                    ServiceStandard.objects.select_related("updated_by"), key=lambda row: -TIER_RANK[row.tier]
                ),
                "role_labels": dict(TeamRoleKind.choices),
            },
        )


class ServiceStandardEditView(LoginRequiredMixin, View):
    def _standard(self, request, tier):
        require(request.user, "teams.change_standards")
        return get_object_or_404(ServiceStandard, tier=tier)

    def get(self, request, tier):
        standard = self._standard(request, tier)
        return render(
            request,
            "teams/standard_form.html",
            {
                "standard": standard,
                "form": style_form(
                    ServiceStandardForm(instance=standard, initial={"version": versions.version_of(standard)})
                ),
            },
        )

    def post(self, request, tier):
        standard = self._standard(request, tier)
        form = ServiceStandardForm(request.POST, instance=standard)
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version", None) or None
            try:
                services.service_standard_update(by=request.user, standard=standard, data=data, version=version)
            except versions.StaleVersion as refusal:
                stale_shown(form, refusal, data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Service standard of tier %(tier)s saved.") % {"tier": tier})
                return HttpResponseRedirect(reverse("teams:standards"))
        return render(request, "teams/standard_form.html", {"standard": standard, "form": style_form(form)}, status=400)
