from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView

from crm import audit_display, versions
from crm.forms import style_form
from crm.paginator import EstimatingPaginator, lists_are_long
from crm.permissions import may, require
from crm.visibility import province_path, territory_region

from . import hooks, selectors, services, timeline
from .filters import CustomerFilter
from .forms import CustomerForm, GroupMemberForm, KeyPersonForm, PersonFormBase, VersionForm
from .models import Customer, VipLevel
from .rules import PROFILE_REQUIREMENTS, mask_mobile


class CustomerListView(LoginRequiredMixin, View):
    """*My customers*: the customers the user may see, searchable, filterable, sortable and paginated."""

    template_name = "accounts/customer_list.html"

    def get(self, request):
        filterset = CustomerFilter(request.GET, queryset=selectors.customer_list(user=request.user), request=request)
        customers = filterset.qs if filterset.is_valid() else filterset.queryset.none()
        style_form(filterset.form, small=True)
        # A territory's list, in code order, is read region by region (`crm.paginator`), unless a sparse filter
        # finds its few rows quicker.
        territory, whole = filterset.territory_of_list(request.user)
        paginator = EstimatingPaginator(
            customers,
            settings.CUSTOMER_LIST_PAGE_SIZE,
            territory=territory,
            whole=whole,
            estimate_first=lists_are_long(request.user),
        )
        page = paginator.get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        # What the floors above add: each customer's visit status and one's due visits, and for those who read a
        # territory each customer's manager and last visit (teams); an account manager's own figures (kpis).
        extra: dict = {"mine": None, "due_count": None, "team_columns": False}
        for context in hooks.customer_list_context(request=request, page=page):
            extra.update(context)
        return render(
            request,
            self.template_name,
            {
                **extra,
                "title": customer_list_title(request.user),
                "filter": filterset,
                "page": page,
                "query": query.urlencode(),
                "can_export": may(request.user, "tiering.export_tier_lists"),
                "chips": filter_chips(filterset.form, query),
                # On a phone the filters other than search fold away unless one is in use or wrong.
                "filters_open": any(
                    query.get(field.name) for field in filterset.form if field.name != "search" and not field.is_hidden
                )
                or bool(filterset.errors),
            },
        )


def filter_chips(form, query) -> list[dict]:
    """The filters in use that the form does not show (a higher floor's, such as an import's new customers, which
    a link sets): each as a chip with its label, its value, the link that removes it and its errors."""
    chips = []
    for field in form:
        if field.is_hidden and query.get(field.name):
            rest = query.copy()
            rest.pop(field.name, None)
            chips.append(
                {"label": field.label, "value": query[field.name], "without": rest.urlencode(), "errors": field.errors}
            )
    return chips


def customer_list_title(user) -> str:
    """The customer list says whose customers it lists: an account manager's own (我的客户), a department's
    (成都市政企客户部的客户), a province's for its staff (四川省的客户), everyone's for headquarters."""
    if user.sees_own_customers_only:
        return _("My customers")
    if user.sees_everything:
        return _("All customers")
    if user.heads_a_department and user.department is not None:  # loaded already by the visibility rule
        return _("Customers of %(name)s") % {"name": user.department.name}
    region = user.region
    if region is not None and user.is_provincial_staff and region.path != province_path(region):
        region = territory_region(user)  # staff whose home is below the province see the whole province
    return _("Customers of %(name)s") % {"name": region.name} if region is not None else _("My customers")


class CustomerDetailView(LoginRequiredMixin, View):
    template_name = "accounts/customer_detail.html"

    def get(self, request, code: str):
        customer = selectors.customer_page_get(user=request.user, code=code)
        members = customer.member_counts
        vip_counts = [(label, members[level]) for level, label in VipLevel.choices]
        key_persons = list(customer.key_persons.all())
        selectors.mobiles_shown(
            user=request.user,
            customer=customer,
            where=request.path,
            mobiles=sum(1 for person in key_persons if person.mobile),
        )
        may_change_people = may(request.user, "accounts.change_people", customer)
        context = {
            "customer": customer,
            # A branch links up to its group's headquarters (when the reader sees it); a headquarters rolls its
            # branches up (issue 21).
            "parent_group": selectors.page_parent(customer),
            "group": selectors.group_rollup(user=request.user, customer=customer) if customer.children_count else None,
            "key_persons": key_persons,
            "members": members,
            "vip_counts": vip_counts,
            "may_change_people": may_change_people,
            "profile_missing": profile_missing_links(request, customer, may_change_people),
        }
        # The tier and its history, the team and visits, coverage and campaigns come from the floors above.
        for extra in hooks.customer_page_context(request=request, customer=customer):
            context.update(extra)
        return render(request, self.template_name, context)


def profile_missing_links(request, customer: Customer, may_change_people: bool) -> list[tuple[str, str, str]]:
    """What the profile lacks (SPEC §3) as (label, link, code), the link to the form that fixes it when the user may
    use that form (else empty): the customer's own fields on its edit form (at the field), a key person with a
    mobile on the key person form, the customer manager on the team form."""
    back = urlencode({"next": request.get_full_path()})
    edit = reverse("accounts:customer-edit", args=[customer.code])
    links = {
        "uscc": f"{edit}#id_uscc",
        "industry": f"{edit}#id_industry",
        "region": f"{edit}#id_region",
        "address": f"{edit}#id_address",
        "handset_count": f"{edit}#id_handset_count",
    }
    if may_change_people:
        links["key_person"] = f"{reverse('accounts:key-person-create', args=[customer.code])}?{back}"
    if may(request.user, "teams.manage_customer_team", customer):
        links["customer_manager"] = reverse("teams:team-edit", args=[customer.code])
    return [(PROFILE_REQUIREMENTS[code], links.get(code, ""), code) for code in customer.profile_missing]


GROUP_PAGE_SIZE = 50


class CustomerGroupView(LoginRequiredMixin, View):
    """A group headquarters' page of its branches (issue 21): the group's figures added up over every branch the
    reader sees, across regions and levels, by city, its tier mix, members and coverage, and every branch."""

    template_name = "accounts/customer_group.html"

    def get(self, request, code: str):
        customer = selectors.customer_get(user=request.user, code=code)
        group = selectors.group_rollup(user=request.user, customer=customer)
        rows = selectors.group_branch_rows(user=request.user, branches=group.branches)
        paginator = Paginator(rows, GROUP_PAGE_SIZE)
        paginator.count = group.branch_count  # counted already by the roll-up's sums
        context = {
            "customer": customer,
            "parent_group": selectors.customer_parent(user=request.user, customer=customer),
            "group": group,
            "page": paginator.get_page(request.GET.get("page")),
            "query": "",
        }
        # What the floors above add up over the group: the coverage of its products (campaigns), over the ids of
        # the branches the reader sees (read as ids only).
        branches = group.branches.order_by().only("pk")
        for extra in hooks.customer_group_context(request=request, customer=customer, branches=branches):
            context.update(extra)
        return render(request, self.template_name, context)


class CustomerHistoryView(LoginRequiredMixin, View):
    """The customer's history tab: the audit trail's writes about it, newest first."""

    template_name = "accounts/customer_history.html"

    def get(self, request, code: str):
        customer = selectors.customer_get(user=request.user, code=code)
        page = Paginator(selectors.customer_history(customer), HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
        # people, products and regions by their names, read once for the page (`crm.audit_display`)
        page.object_list = audit_display.readable(page.object_list, request.user)
        return render(request, self.template_name, {"customer": customer, "page": page, "query": ""})


HISTORY_PAGE_SIZE = 50


class CustomerFormView(LoginRequiredMixin, FormView):
    template_name = "accounts/customer_form.html"
    form_class = CustomerForm

    def get_customer(self):
        code = self.kwargs.get("code")
        if not code:
            return None
        customer = selectors.customer_get(user=self.request.user, code=code)
        # An outsider got 404 above; an insider who may not change it (a branch of a national- or provincial-list
        # group seen from a city, issue 21) gets 403 before the form.
        require(self.request.user, "accounts.keep_listed_customer", customer)
        return customer

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        kwargs["instance"] = self.get_customer()
        return kwargs

    def get_form(self, form_class=None):
        return style_form(super().get_form(form_class))

    def form_valid(self, form: CustomerForm):
        try:
            customer = form.save()
        except ValidationError:
            return self.form_invalid(style_form(form))
        messages.success(self.request, _("Customer %(name)s saved.") % {"name": customer.name})
        return HttpResponseRedirect(reverse("accounts:customer-detail", args=[customer.code]))


class SearchView(LoginRequiredMixin, View):
    """The top bar's search over what the user sees: a page of grouped results, or (`?partial=1`) the same list
    alone for the type-ahead under the box. Mobile numbers are masked here; the customer page shows them whole."""

    def get(self, request):
        results = selectors.search(user=request.user, query=request.GET.get("q", ""))
        for person in results.key_persons:
            person.mobile_masked = mask_mobile(person.mobile) if person.mobile else ""
        context = {"results": results, "min_length": selectors.SEARCH_MIN_LENGTH}
        if request.GET.get("partial"):
            return render(request, "accounts/_search_results.html", context)
        return render(request, "accounts/search.html", context)


# -- key persons and group members (SPEC §3) -------------------------------------------------------------------------

MEMBER_PAGE_SIZE = 50


def next_url(request, default: str) -> str:
    """Where to go after a save: the page the user came from (`next`) when it is one of ours."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


class CustomerPeopleView(LoginRequiredMixin, View):
    """Base of the pages that write a customer's key persons and members: an outsider gets 404 before anything,
    an insider who does not keep the customer's records (`accounts.change_people`) 403."""

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.customer: Customer | None = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.customer = selectors.customer_get(user=request.user, code=kwargs["code"])
        require(request.user, "accounts.change_people", self.customer)
        return super().dispatch(request, *args, **kwargs)


class PersonFormView(CustomerPeopleView):
    """Add (no pk) or edit a key person or a group member of the customer."""

    template_name = "accounts/person_form.html"
    form_class: type[PersonFormBase]
    kind: str  # "key_person" or "member"

    def get_object(self, pk: int | None):
        return None

    def default_next(self) -> str:
        return reverse("accounts:customer-detail", args=[self.customer.code])

    def render_form(self, request, form, obj):
        return render(
            request,
            self.template_name,
            {
                "customer": self.customer,
                "form": style_form(form),
                "object": obj,
                "kind": self.kind,
                "next": next_url(request, self.default_next()),
            },
        )

    def get(self, request, code: str, pk: int | None = None):
        obj = self.get_object(pk)
        form = self.form_class(instance=obj, user=request.user, customer=self.customer)
        return self.render_form(request, form, obj)

    def post(self, request, code: str, pk: int | None = None):
        obj = self.get_object(pk)
        form = self.form_class(request.POST, instance=obj, user=request.user, customer=self.customer)
        if form.is_valid():
            try:
                saved = form.save()
            except ValidationError:
                return self.render_form(request, form, obj)
            messages.success(request, _("%(name)s saved.") % {"name": saved.name})
            return HttpResponseRedirect(next_url(request, self.default_next()))
        return self.render_form(request, form, obj)


class KeyPersonFormView(PersonFormView):
    form_class = KeyPersonForm
    kind = "key_person"

    def get_object(self, pk: int | None):
        return None if pk is None else get_object_or_404(self.customer.key_persons, pk=pk)


class KeyPersonDeleteView(CustomerPeopleView):
    http_method_names = ["post"]

    def post(self, request, code: str, pk: int):
        person = get_object_or_404(self.customer.key_persons, pk=pk)
        form = VersionForm(request.POST)
        form.is_valid()
        try:
            services.key_person_delete(
                user=request.user, person=person, version=form.cleaned_data.get("version") or None
            )
        except versions.StaleVersion as stale:
            messages.error(request, stale.message)
            return HttpResponseRedirect(reverse("accounts:key-person-edit", args=[code, pk]))
        messages.success(request, _("Key person %(name)s removed.") % {"name": person.name})
        return HttpResponseRedirect(next_url(request, reverse("accounts:customer-detail", args=[code])))


class GroupMemberFormView(PersonFormView):
    form_class = GroupMemberForm
    kind = "member"

    def get_object(self, pk: int | None):
        if pk is None:
            return None
        return get_object_or_404(self.customer.members.filter(selectors.member_current()), pk=pk)

    def default_next(self) -> str:
        return reverse("accounts:member-list", args=[self.customer.code])


class GroupMemberRemoveView(CustomerPeopleView):
    """A member removed is marked as left today (`left_on`), as a replacing import marks them: kept for history."""

    http_method_names = ["post"]

    def post(self, request, code: str, pk: int):
        member = get_object_or_404(self.customer.members.filter(selectors.member_current()), pk=pk)
        form = VersionForm(request.POST)
        form.is_valid()
        try:
            services.group_member_remove(
                user=request.user, member=member, version=form.cleaned_data.get("version") or None
            )
        except versions.StaleVersion as stale:
            messages.error(request, stale.message)
            return HttpResponseRedirect(reverse("accounts:member-edit", args=[code, pk]))
        messages.success(request, _("%(name)s is no longer a group member.") % {"name": member.name})
        return HttpResponseRedirect(next_url(request, reverse("accounts:member-list", args=[code])))


class GroupMemberListView(LoginRequiredMixin, View):
    """The customer's current group members, paginated (a customer may have tens of thousands), searchable by
    mobile number or name, each with their VIP level; with `?left=1` those who left (a replacing import marks the
    members BOSS no longer lists), each with the day they left."""

    template_name = "accounts/member_list.html"

    def get(self, request, code: str):
        customer = selectors.customer_get(user=request.user, code=code)
        search = request.GET.get("q", "").strip()[:50]
        left = request.GET.get("left") == "1"
        members = selectors.member_search(customer, search, left=left)
        page = EstimatingPaginator(members, MEMBER_PAGE_SIZE).get_page(request.GET.get("page"))
        selectors.mobiles_shown(
            user=request.user, customer=customer, where=request.path, mobiles=sum(1 for m in page if m.mobile)
        )
        return render(
            request,
            self.template_name,
            {
                "customer": customer,
                "page": page,
                "search": search,
                "left": left,
                "query": urlencode(
                    {key: value for key, value in (("q", search), ("left", "1" if left else "")) if value}
                ),
                "may_change": may(request.user, "accounts.change_people", customer),
            },
        )


# -- the timeline ----------------------------------------------------------------------------------------------------


class CustomerTimelineView(LoginRequiredMixin, View):
    """The customer's one timeline: visits, calls, plan stage moves, opportunities, tier, team and status changes,
    newest first; a page ends on a moment, and "more" asks for what came before it."""

    template_name = "accounts/customer_timeline.html"

    def get(self, request, code: str):
        customer = selectors.customer_get(user=request.user, code=code)
        before = parse_datetime(request.GET.get("before", "")) if request.GET.get("before") else None
        if request.GET.get("before") and (before is None or timezone.is_naive(before)):
            return HttpResponseBadRequest(_("Give `before` as an ISO date and time with its offset."))
        page = timeline.timeline_page(customer=customer, user=request.user, before=before)
        more = ""
        if page.next_before:
            query = urlencode({"before": page.next_before.isoformat()})
            more = f"{reverse('accounts:customer-timeline', args=[code])}?{query}"
        return render(
            request,
            self.template_name,
            {
                "customer": customer,
                "entries": [(entry, timeline.KIND_LABELS.get(entry.kind, entry.kind)) for entry in page.entries],
                "more": more,
                "before": before,
            },
        )
