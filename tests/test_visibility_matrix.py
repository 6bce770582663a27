"""The visibility matrix: every route of the URLconf × four callers, generated from the URL configuration, so that a
new route without an expectation fails (SPEC §1, §2; `crm.permissions`, `crm.visibility`).

The callers:
- anonymous: a page sends them to /login/ (302), the API answers 401;
- outsider: a signed-in member of staff who does not see the route's object: 404, never 403 (which would tell them
  it exists) and never 200;
- insider without the right: sees the object but lacks the action's right (an account manager on a provincial
  staff action): 403;
- insider with the right: a 2xx, or the documented non-error answer (302 after a form's POST).

`EXPECTATIONS` holds one entry per route name ("namespace:name"), each with all four callers; "n/a" where a kind of
caller does not apply (a route without an object has no outsider). `test_every_route_has_an_expectation` compares
its keys with the URLconf: a new route fails there by name until it is given its four answers here. Where the read
needs no right but a write of the route does, the insider without the right probes that write (`Call.method`).
The API's routes with a DRF format-suffix twin (`customers.json`) are keyed once, by their name, and the twin is
probed with the same expectations.

The data are the shared fixtures' (`territory`, `cast`, `customers`) and, made only when a route needs them, the
objects of `World` (a visit, a campaign with its plans and a call list, a draft rule set, an import run, ...).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from campaigns import services as campaign_services
from campaigns.models import CallList, Campaign, CampaignCreationRun, CustomerPlan, CustomerProduct
from crm.periods import Period
from imports.models import ImportRun
from kpis.services import kpi_compute
from partners.months import last_closed
from teams.models import Visit
from tests.campaigns.test_call_lists import make_campaign
from tests.factories import PASSWORD
from tiering.models import RuleSet, TierOverride
from tiering.services import rule_set_draft_create, tier_override_request, tier_override_set

pytestmark = pytest.mark.django_db

NA = "n/a"
PAGE, API = "page", "api"
CALLERS = ("anonymous", "outsider", "insider_without_right", "insider_with_right")

# Top-level parts of the URLconf that are not the product's own routes.
SKIPPED_PREFIXES = ("admin/", "i18n/")

# The month of the partner's settlement (World.settlement): the last one over.
SETTLED_MONTH = last_closed(timezone.localdate())
SETTLED = f"period={SETTLED_MONTH:%Y-%m}"
DNC_MOBILE = "13912345678"  # a number on the do-not-call list (World.do_not_call)
PRODUCT = "VPMN"  # 集团V网, held by CD0001 (World.holding)


# -- the data ------------------------------------------------------------------------------------------------------


class World:
    """The objects the routes address, on top of the shared fixtures; each is made the first time it is asked for,
    so that a probe pays only for what its route needs."""

    def __init__(self, territory, cast, customers):
        self.territory, self.cast, self.customers = territory, cast, customers

    @cached_property
    def visit(self) -> Visit:
        """alice's visit to her customer CD0001, logged just now (she may still change it)."""
        return Visit.objects.create(
            customer=self.customers["alice"],
            visitor=self.cast["alice"],
            visitor_role="customer_manager",
            kind="onsite",
            visited_at=timezone.now(),
            summary="走访",
            # checked in with a good position, so that a department head may make it the customer's location
            latitude=30.657,
            longitude=104.066,
            accuracy_m=20,
        )

    @cached_property
    def photo(self):
        """A photo of alice's visit, stored through the default storage."""
        from django.core.files.base import ContentFile

        from teams.models import VisitPhoto
        from tests.factories import image_bytes

        photo = VisitPhoto(visit=self.visit, uploaded_by=self.cast["alice"])
        photo.image.save("photo.jpg", ContentFile(image_bytes()), save=True)
        return photo

    @cached_property
    def lead(self):
        """A caller's interest in CD0001, recorded by bob (who may not work it), sent to alice, its manager."""
        from campaigns.services import lead_record

        return lead_record(
            user=self.cast["bob"],
            data={"caller_name": "王总", "caller_mobile": "13800138000", "customer": "CD0001"},
        )

    @cached_property
    def partner(self):
        """A solution provider working in 成都, under contract."""
        from crm.models import Partner

        return Partner.objects.create(
            name="成都数智方案有限公司",
            uscc="91510100MA6123456W",
            kinds=["solution_provider"],
            region=self.territory["chengdu"],
            contract_starts_on=timezone.localdate() - datetime.timedelta(days=30),
            contract_ends_on=timezone.localdate() + datetime.timedelta(days=335),
        )

    @cached_property
    def settlement(self):
        """The partner's settlement of the last month over, computed by paul: waiting for review."""
        from partners.services import settlements_compute

        if self.partner.contract_starts_on > SETTLED_MONTH:  # under contract during the month (the 31st of a month)
            self.partner.contract_starts_on = SETTLED_MONTH
            self.partner.save()
        settlements_compute(user=self.cast["paul"], month=SETTLED_MONTH, partner=self.partner)
        return self.partner.settlements.get()

    @cached_property
    def settlement_run(self):
        """A computation of Sichuan's settlements of the last month over, started by paul, still running."""
        from partners.models import SettlementJobRun

        return SettlementJobRun.objects.create(
            triggered_by=self.cast["paul"], region=self.territory["sichuan"], period=SETTLED_MONTH
        )

    @cached_property
    def commission_rule(self):
        """Sichuan's own commission rule: a one-off amount for solutions."""
        from partners.models import CommissionRule

        return CommissionRule.objects.create(
            scope=self.territory["sichuan"],
            partner_kind="solution_provider",
            product_id=PRODUCT,
            basis="one_off",
            amount=Decimal("800.00"),
            valid_from=SETTLED_MONTH,
        )

    @cached_property
    def national_commission_rule(self):
        """A national commission rule, which every provincial staff reads and only headquarters changes."""
        from partners.models import CommissionRule

        return CommissionRule.objects.create(
            scope=self.territory["root"],
            partner_kind="sales_agent",
            product_id=PRODUCT,
            basis="revenue_share",
            rate=Decimal("10.00"),
            months=3,
            valid_from=SETTLED_MONTH,
        )

    @cached_property
    def campaign(self) -> Campaign:
        """A campaign over 成都 with a plan for bob's CD0002 (alice's CD0001 gets one from `plan`)."""
        campaign = make_campaign(self.cast, self.territory)
        CustomerPlan.objects.create(
            campaign=campaign, customer=self.customers["wuhou"], objective="V网", owner=self.cast["bob"]
        )
        return campaign

    @cached_property
    def plan(self) -> CustomerPlan:
        return CustomerPlan.objects.create(
            campaign=self.campaign, customer=self.customers["alice"], objective="V网", owner=self.cast["alice"]
        )

    @cached_property
    def call_list(self) -> CallList:
        """alice's call list of the campaign (its agent and builder): CD0001's key person."""
        self.plan  # noqa: B018 - the plan puts CD0001 on the campaign
        return campaign_services.call_list_build(user=self.cast["alice"], campaign=self.campaign, source="key_persons")

    @cached_property
    def entry(self):
        return self.call_list.entries.get(customer=self.customers["alice"])

    @cached_property
    def auto_call_list(self) -> CallList:
        """alice's automatic call list of the campaign (its agent and builder), broadcast by a dialer."""
        self.plan  # noqa: B018 - the plan puts CD0001 on the campaign
        return campaign_services.call_list_build(
            user=self.cast["alice"], campaign=self.campaign, source="key_persons", mode="auto"
        )

    @cached_property
    def opportunity(self):
        """alice's opportunity (商机) at her customer CD0001."""
        return campaign_services.opportunity_create(
            user=self.cast["alice"],
            customer=self.customers["alice"],
            data={"title": "云视讯", "expected_close_on": timezone.localdate() + datetime.timedelta(days=30)},
        )

    @cached_property
    def notification(self):
        """A notification in alice's inbox."""
        from crm.models import Notification

        return Notification.objects.create(
            recipient=self.cast["alice"], kind="plan_assigned", title="新的营销计划", url="/campaigns/"
        )

    @cached_property
    def rule_set(self) -> RuleSet:
        """A draft of Sichuan's tier rules."""
        return rule_set_draft_create(user=self.cast["paul"])

    @cached_property
    def override_request(self) -> TierOverride:
        """dora's request (she heads CD0001's department) for a manual tier of CD0001, waiting for a decision."""
        return tier_override_request(
            customer=self.customers["alice"],
            user=self.cast["dora"],
            tier="A+",
            reason="省重点保障客户",
            expires_on=timezone.localdate() + datetime.timedelta(days=30),
        )

    @cached_property
    def override_in_force(self) -> TierOverride:
        """paul's manual tier of CD0001, set directly and in force."""
        return tier_override_set(
            customer=self.customers["alice"],
            user=self.cast["paul"],
            tier="A+",
            reason="省重点保障客户",
            expires_on=timezone.localdate() + datetime.timedelta(days=30),
        )

    @cached_property
    def service_manager(self):
        """bob as CD0001's service manager: he sees it, and is not its customer manager."""
        from tests.factories import TeamRoleFactory

        return TeamRoleFactory(customer=self.customers["alice"], user=self.cast["bob"], role="service_manager")

    @cached_property
    def national_rule_set(self) -> RuleSet:
        """The national rules in force, which every member of staff sees."""
        return RuleSet.objects.filter(scope_id="000000").order_by("-version").first()

    @cached_property
    def import_run(self) -> ImportRun:
        """paul's import into Sichuan, refused by its check (it cannot be confirmed); its file is no longer kept."""
        return ImportRun.objects.create(
            kind="customers",
            status="invalid",
            created_by=self.cast["paul"],
            territory=self.territory["sichuan"],
            file_name="客户.csv",
            file_path="/nonexistent/imports/客户.csv",
        )

    @cached_property
    def campaign_creation(self) -> CampaignCreationRun:
        """dora's campaign over 成都, waiting for a worker to create it (issue 19, point 5)."""
        return CampaignCreationRun.objects.create(
            triggered_by=self.cast["dora"],
            name="全市V网推广",
            department=self.cast["dora"].department,
            region=self.territory["chengdu"],
            fingerprint="0" * 32,
            request_key="0" * 64,
            plans=6000,
            chunks_total=1,
        )

    @cached_property
    def holding(self) -> CustomerProduct:
        return CustomerProduct.objects.create(
            customer=self.customers["alice"],
            product_id=PRODUCT,
            active_users=12,
            subscribed_on=datetime.date(2026, 1, 1),
        )

    @cached_property
    def do_not_call(self) -> str:
        campaign_services.do_not_call_add(user=self.cast["paul"], mobile=DNC_MOBILE, reason="客户要求")
        return DNC_MOBILE

    @cached_property
    def snapshots(self):
        """This month's KPI snapshots (the API answers 404 for a scope without any)."""
        return kpi_compute(period=Period.of(timezone.localdate()))

    @cached_property
    def arrears_case(self):
        """An open collection case over CD0001's arrears of 86 000 (issue 21)."""
        from arrears.models import ArrearsCase

        return ArrearsCase.objects.create(
            customer=self.customers["alice"],
            opened_amount=Decimal("86000.00"),
            amount=Decimal("86000.00"),
            threshold=Decimal("50000.00"),
            due_on=timezone.localdate() + datetime.timedelta(days=14),
        )

    @cached_property
    def national_group(self):
        """A national bank (issue 21): its headquarters BANK00 in 锦江区 on the national list, a branch BANK44 in 广州;
        its account team at headquarters, hq_am (an account manager whose home is the national root), in the cast
        from then on."""
        from tests.factories import CustomerFactory, TeamRoleFactory, UserFactory

        head = CustomerFactory(code="BANK00", region=self.territory["jinjiang"], list_level="national")
        CustomerFactory(code="BANK44", region=self.territory["tianhe"], parent=head)
        self.cast["hq_am"] = UserFactory(username="hq_am", region=self.territory["root"])
        TeamRoleFactory(customer=head, user=self.cast["hq_am"])
        return head

    @cached_property
    def grid_manager(self):
        """gina, the grid manager (网格经理) of 春熙路网格 (510104-G01), in the cast from then on."""
        from tests.factories import UserFactory

        self.cast["gina"] = UserFactory(username="gina", role="grid_manager", region=self.territory["grid"])
        return self.cast["gina"]

    @cached_property
    def prospect(self):
        """A company of 春熙路网格 in its pool (公海, issue 21), filed by its grid manager."""
        from prospects.services import prospect_file

        return prospect_file(
            user=self.grid_manager,
            data={"name": "成都春熙咖啡有限公司", "region": self.territory["grid"], "address": "春熙路9号"},
        )

    @cached_property
    def claimed_prospect(self):
        """The pool's prospect, claimed by alice, an account manager of 锦江区."""
        from prospects.services import prospect_claim

        return prospect_claim(user=self.cast["alice"], prospect=self.prospect)


# -- the expectations ----------------------------------------------------------------------------------------------

Kwargs = Callable[[World], dict[str, Any]]
Status = int | tuple[int, ...]


@dataclass(frozen=True)
class Call:
    """One signed-in caller of a route: who (a name of the cast) and the status they get; optionally another method,
    body or URL kwargs than the route's (an insider without the right probes the write the right guards)."""

    user: str
    status: Status
    method: str | None = None
    data: dict | Callable[[World], dict] | None = None
    kwargs: Kwargs | None = None


@dataclass(frozen=True)
class Route:
    """How to call a route, and what each kind of caller gets. The four callers have no default: every route says
    what each gets, or "n/a"."""

    kind: str  # PAGE (session, templates) or API (token, JSON)
    anonymous: Status
    outsider: Call | str
    insider_without_right: Call | str
    insider_with_right: Call | str
    kwargs: Kwargs = lambda world: {}
    query: str = ""
    method: str = "get"
    data: dict | Callable[[World], dict] | None = None
    needs: tuple[str, ...] = ()  # World objects the probe needs beyond those its URL names
    anonymous_location: str = "/login/"  # where an anonymous caller of a page is sent


def code(customer_code: str = "CD0001") -> Kwargs:
    return lambda world: {"code": customer_code}


def pk(name: str) -> Kwargs:
    return lambda world: {"pk": getattr(world, name).pk}


def _override(world: World) -> dict:
    return {"tier": "A", "reason": "重点客户", "expires_on": str(timezone.localdate() + datetime.timedelta(days=30))}


ALICE_OK = Call("alice", 200)


def _dialer_results(world: World) -> dict:
    """A dialer's results file of alice's automatic list: its one number accepted."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    entry = world.auto_call_list.entries.get()
    return {"file": SimpleUploadedFile("results.csv", f"entry_id,outcome\n{entry.pk},accepted\n".encode())}


def _partner_data(world: World) -> dict:
    return {
        "name": "成都新伙伴有限公司",
        "uscc": "91510100MA6ABCDEF3",
        "kinds": ["sales_agent"],
        "region": "510100",
        "contract_starts_on": str(timezone.localdate()),
        "contract_ends_on": str(timezone.localdate() + datetime.timedelta(days=365)),
    }


def customer_read(kind: str) -> Route:
    """A read of alice's customer CD0001, needing no right but seeing it: the anonymous caller is sent to sign in
    (302, a page) or refused (401, the API), carol, who does not see it, gets 404, alice 200."""
    return Route(
        kind,
        kwargs=code(),
        anonymous=302 if kind == PAGE else 401,
        outsider=Call("carol", 404),
        insider_without_right=NA,
        insider_with_right=ALICE_OK,
    )


def key_person(world: World) -> dict[str, Any]:
    """CD0001's key person (the `customers` fixture gives it one)."""
    return {"code": "CD0001", "pk": world.customers["alice"].key_persons.first().pk}


def member(world: World) -> dict[str, Any]:
    """A current group member of CD0001."""
    found, _created = world.customers["alice"].members.get_or_create(mobile="13700009999", defaults={"name": "成员"})
    return {"code": "CD0001", "pk": found.pk}


def holding_of(product: str) -> Kwargs:
    return lambda world: {"code": "CD0001", "product": product}


def people_write(
    kwargs: Kwargs | None = None, *, method: str = "get", done: int = 200, needs: tuple[str, ...] = ()
) -> Route:
    """A page that writes CD0001's records (key persons, members, holdings): carol, who does not see it, gets 404;
    whoever sees it keeps its records (as the API lets them), so no insider lacks the right; alice may."""
    return Route(
        PAGE,
        kwargs=kwargs or code(),
        method=method,
        needs=needs,
        anonymous=302,
        outsider=Call("carol", 404),
        insider_without_right=NA,
        insider_with_right=Call("alice", done),
    )


def partner_money(kind: str, *, method: str = "get", kwargs: Kwargs | None = None, done: int = 200) -> Route:
    """A route of a partner's commissions (World.partner's settlement of SETTLED_MONTH): carol, who does not see the
    partner (it works in 成都), gets 404; dora sees the partner but not its money: 403; paul, Sichuan's staff, may."""
    return Route(
        kind,
        kwargs=kwargs or pk("partner"),
        method=method,
        query="" if method == "post" or kind == PAGE else f"?{SETTLED}",
        data={"period": f"{SETTLED_MONTH:%Y-%m}"} if method == "post" and kind == API else None,
        needs=("settlement",),
        anonymous=401 if kind == API else 302,
        outsider=Call("carol", 404),
        insider_without_right=Call("dora", 403),
        insider_with_right=Call("paul", done),
    )


EXPECTATIONS: dict[str, Route] = {
    # -- the ground floor's pages ----------------------------------------------------------------------------------
    "home": Route(
        PAGE,
        anonymous=302,
        anonymous_location="/customers/",  # on to the customer list, which asks for a login
        outsider=NA,
        insider_without_right=NA,
        insider_with_right=Call("alice", 302),
    ),
    # The icon a browser asks for where no page names one: sent on to our static files, for anyone.
    "favicon": Route(
        PAGE,
        anonymous=302,
        anonymous_location=settings.STATIC_URL,
        outsider=NA,
        insider_without_right=NA,
        insider_with_right=Call("alice", 302),
    ),
    "login": Route(
        PAGE,
        anonymous=200,
        outsider=NA,
        insider_without_right=NA,
        insider_with_right=Call("alice", 302),  # signed in already: sent on
    ),
    "logout": Route(
        PAGE, method="post", anonymous=302, outsider=NA, insider_without_right=NA, insider_with_right=Call("alice", 302)
    ),
    "audit": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=Call("alice", 403), insider_with_right=Call("paul", 200)
    ),
    # The one jobs page and what it polls: provincial staff and headquarters; the runs of another province are
    # simply not listed (tests/crm/test_job_board.py).
    "jobs": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=Call("dora", 403), insider_with_right=Call("paul", 200)
    ),
    "jobs-progress": Route(
        PAGE,
        query="?runs=imports-1",
        anonymous=302,
        outsider=NA,
        insider_without_right=Call("alice", 403),
        insider_with_right=Call("paul", 200),
    ),
    # -- notifications: one's own inbox (another's notification is 404), the head's department robot -------------
    "notifications:inbox": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK
    ),
    "notifications:read": Route(
        PAGE,
        kwargs=pk("notification"),
        method="post",
        anonymous=302,
        outsider=Call("bob", 404),
        insider_without_right=NA,
        insider_with_right=Call("alice", 302),
    ),
    "notifications:read-all": Route(
        PAGE, method="post", anonymous=302, outsider=NA, insider_without_right=NA, insider_with_right=Call("alice", 302)
    ),
    "notifications:settings": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK
    ),
    "notifications:robot": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=Call("alice", 403), insider_with_right=Call("dora", 200)
    ),
    "notification-list": Route(API, anonymous=401, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK),
    "notification-read": Route(
        API,
        kwargs=pk("notification"),
        method="post",
        anonymous=401,
        outsider=Call("bob", 404),
        insider_without_right=NA,
        insider_with_right=ALICE_OK,
    ),
    "notification-read-all": Route(
        API, method="post", anonymous=401, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK
    ),
    # -- the workbench and the top bar's search (what they list is the user's own: see their tests) --------------
    "workbench:today": Route(PAGE, anonymous=302, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK),
    "search:search": Route(PAGE, anonymous=302, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK),
    # -- teams -----------------------------------------------------------------------------------------------------
    "teams:due-visits": Route(PAGE, anonymous=302, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK),
    "teams:visits-unverified": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=Call("alice", 403), insider_with_right=Call("dora", 200)
    ),
    "teams:visit-edit": Route(
        PAGE,
        kwargs=pk("visit"),
        anonymous=302,
        outsider=Call("carol", 404),
        insider_without_right=Call("dora", 403),  # sees the visit; only its visitor changes it
        insider_with_right=ALICE_OK,
    ),
    "teams:visit-create": customer_read(PAGE),
    "teams:visit-confirm-location": Route(
        PAGE,
        kwargs=pk("visit"),
        method="post",
        anonymous=302,
        outsider=Call("carol", 404),
        insider_without_right=Call("alice", 403),  # an account manager does not confirm a customer's location
        insider_with_right=Call("dora", 302),
    ),
    "teams:visit-photo": Route(
        PAGE,
        kwargs=pk("photo"),
        anonymous=302,
        outsider=Call("carol", 404),
        insider_without_right=NA,
        insider_with_right=Call("dora", 200),
    ),
    "teams:team-edit": Route(
        PAGE,
        kwargs=code(),
        anonymous=302,
        outsider=Call("carol", 404),
        insider_without_right=Call("alice", 403),
        insider_with_right=Call("dora", 200),
    ),
    "teams:incomplete-teams": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=Call("alice", 403), insider_with_right=Call("dora", 200)
    ),
    "teams:manager-load": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=Call("alice", 403), insider_with_right=Call("dora", 200)
    ),
    "teams:reassign": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=Call("alice", 403), insider_with_right=Call("dora", 200)
    ),
    # personal-VIP staffing (issue 21): the territory's department heads and provincial staff deal and move VIPs
    "teams:vip-deal": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=Call("alice", 403), insider_with_right=Call("dora", 200)
    ),
    "teams:vip-manager": Route(  # a manager of another territory does not exist for the caller
        PAGE,
        kwargs=lambda world: {"username": "bob"},
        anonymous=302,
        outsider=Call("gd_paul", 404),
        insider_without_right=Call("alice", 403),
        insider_with_right=Call("dora", 200),
    ),
    # the staff pickers' search: anyone signed in, over the staff of their own territory only (its tests)
    "teams:staff-search": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK
    ),
    "teams:standards": Route(PAGE, anonymous=302, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK),
    "teams:standard-edit": Route(
        PAGE,
        kwargs=lambda world: {"tier": "B"},
        anonymous=302,
        outsider=NA,  # the service standards are national
        insider_without_right=Call("alice", 403),
        insider_with_right=Call("paul", 200),
    ),
    # -- customers -------------------------------------------------------------------------------------------------
    "accounts:customer-list": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK
    ),
    "accounts:customer-create": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK
    ),
    "accounts:customer-detail": customer_read(PAGE),
    # A national group's headquarters: dora sees it in her territory but does not manage it (issue 21).
    "accounts:customer-edit": Route(
        PAGE,
        kwargs=code(),
        anonymous=302,
        outsider=Call("carol", 404),
        insider_without_right=Call("dora", 403, kwargs=code("BANK00")),
        insider_with_right=ALICE_OK,
        needs=("national_group",),
    ),
    # A group's branches (issue 21), across provinces for its account team at headquarters.
    "accounts:customer-group": Route(
        PAGE,
        kwargs=code("BANK00"),
        anonymous=302,
        outsider=Call("carol", 404),
        insider_without_right=NA,
        insider_with_right=Call("hq_am", 200),
        needs=("national_group",),
    ),
    "accounts:customer-history": customer_read(PAGE),
    "accounts:customer-timeline": customer_read(PAGE),
    "accounts:member-list": customer_read(PAGE),
    # The customer's key persons and members are kept by its team and department head; provincial staff only see them.
    "accounts:key-person-create": people_write(),
    "accounts:key-person-edit": people_write(key_person),
    "accounts:key-person-delete": people_write(key_person, method="post", done=302),
    "accounts:member-create": people_write(),
    "accounts:member-edit": people_write(member),
    "accounts:member-remove": people_write(member, method="post", done=302),
    # -- tiering ---------------------------------------------------------------------------------------------------
    "tiering:rule-sets": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=Call("alice", 403), insider_with_right=Call("paul", 200)
    ),
    "tiering:rule-set": Route(
        PAGE,
        kwargs=pk("rule_set"),
        anonymous=302,
        outsider=Call("gd_paul", 404),  # Guangdong's staff do not see Sichuan's rules
        insider_without_right=Call("alice", 403, kwargs=pk("national_rule_set")),  # a set she sees
        insider_with_right=Call("paul", 200),
    ),
    "tiering:recompute": Route(
        PAGE,
        anonymous=302,
        outsider=NA,
        # the preview of the scope and count, and its confirmation (tests/tiering/test_simulation.py)
        insider_without_right=Call("alice", 403, method="post", data={"confirm": "1", "scope": "510000"}),
        insider_with_right=Call("paul", 200),
    ),
    "tiering:simulation-movers": Route(
        PAGE,
        kwargs=pk("rule_set"),
        anonymous=302,
        outsider=Call("gd_paul", 404),  # Guangdong's staff do not see Sichuan's draft
        insider_without_right=Call("alice", 403, kwargs=pk("national_rule_set")),
        insider_with_right=Call("paul", 200),
    ),
    "tiering:quota": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=Call("alice", 403), insider_with_right=Call("paul", 200)
    ),
    # Manual tiers: asked for by the customer's head or customer manager, decided by provincial staff (issue 18).
    "tiering:overrides": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=Call("alice", 403), insider_with_right=Call("paul", 200)
    ),
    "tiering:override-request": Route(
        PAGE,
        kwargs=code(),
        needs=("service_manager",),
        anonymous=302,
        outsider=Call("carol", 404),
        insider_without_right=Call("bob", 403),  # on CD0001's team, not its customer manager
        insider_with_right=Call("dora", 200),
    ),
    "tiering:override-decide": Route(
        PAGE,
        kwargs=pk("override_request"),
        method="post",
        data={"decision": "approve"},
        anonymous=302,
        outsider=Call("gd_paul", 404),
        insider_without_right=Call("alice", 403),
        insider_with_right=Call("paul", 302),  # back to the queue
    ),
    "tiering:override-withdraw": Route(
        PAGE,
        kwargs=pk("override_request"),
        method="post",
        anonymous=302,
        outsider=Call("carol", 404),
        insider_without_right=Call("alice", 403),  # not hers: dora asked
        insider_with_right=Call("dora", 302),
    ),
    "tiering:override-remove": Route(
        PAGE,
        kwargs=pk("override_in_force"),
        method="post",
        anonymous=302,
        outsider=Call("carol", 404),
        insider_without_right=Call("dora", 403),
        insider_with_right=Call("paul", 302),
    ),
    # -- KPIs ------------------------------------------------------------------------------------------------------
    "kpis:dashboard": Route(
        PAGE,
        query="?region=510100",
        anonymous=302,
        outsider=Call("gd_paul", 404),  # a scope the caller does not see whole
        insider_without_right=NA,
        insider_with_right=Call("dora", 200),
    ),
    "kpis:targets": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=Call("alice", 403), insider_with_right=Call("paul", 200)
    ),
    "kpis:product-targets": Route(  # a province's own; headquarters pick one
        PAGE, anonymous=302, outsider=NA, insider_without_right=Call("alice", 403), insider_with_right=Call("paul", 200)
    ),
    "kpis:recompute": Route(  # the KPIs are nation-wide: no outsider; back to the dashboard when no longer latest
        PAGE,
        method="post",
        data=lambda world: {"period": str(Period.of(timezone.localdate())), "confirm": "1"},
        anonymous=302,
        outsider=NA,
        insider_without_right=Call("dora", 403),
        insider_with_right=Call("paul", 302),
    ),
    # -- commissions (issue 20): provincial staff list, compute and approve; a partner's staff read their own --------
    "partners:settlements": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=Call("alice", 403), insider_with_right=Call("paul", 200)
    ),
    "partners:settlements-compute": Route(
        PAGE,
        method="post",
        data={"period": f"{SETTLED_MONTH:%Y-%m}"},
        needs=("partner",),
        anonymous=302,
        outsider=NA,
        insider_without_right=Call("dora", 403),
        insider_with_right=Call("paul", 302),  # back to the month's list
    ),
    "partners:settlement": partner_money(PAGE, kwargs=pk("settlement")),
    # commission rules: provincial staff read the national ones and keep their province's; Guangdong's do not see
    # Sichuan's (404); headquarters keep the national ones
    "partners:commission-rules": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=Call("alice", 403), insider_with_right=Call("paul", 200)
    ),
    "partners:commission-rule-create": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=Call("dora", 403), insider_with_right=Call("paul", 200)
    ),
    "partners:commission-rule": Route(
        PAGE,
        kwargs=pk("commission_rule"),
        anonymous=302,
        outsider=Call("gd_paul", 404),
        insider_without_right=Call("paul", 403, kwargs=pk("national_commission_rule")),
        insider_with_right=Call("paul", 200),
    ),
    "partners:commission-rule-end": Route(
        PAGE,
        method="post",
        kwargs=pk("commission_rule"),
        data={"valid_until": f"{SETTLED_MONTH:%Y-%m}"},
        anonymous=302,
        outsider=Call("gd_paul", 404),
        insider_without_right=Call("paul", 403, kwargs=pk("national_commission_rule")),
        insider_with_right=Call("paul", 302),
    ),
    "partners:settlement-approve": partner_money(PAGE, method="post", kwargs=pk("settlement"), done=302),
    # -- campaigns -------------------------------------------------------------------------------------------------
    "campaigns:campaigns": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK
    ),
    "campaigns:campaign-create": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=Call("alice", 403), insider_with_right=Call("dora", 200)
    ),
    "campaigns:creation": Route(
        PAGE,
        kwargs=pk("campaign_creation"),
        anonymous=302,
        outsider=Call("carol", 404),
        insider_without_right=NA,  # only its starter and the planners of its territory see it at all
        insider_with_right=Call("dora", 200),
    ),
    "campaigns:campaign": Route(
        PAGE,
        kwargs=pk("campaign"),
        needs=("plan",),
        anonymous=302,
        outsider=Call("carol", 404),
        insider_without_right=NA,
        insider_with_right=ALICE_OK,
    ),
    "campaigns:campaign-cancel": Route(
        PAGE,
        kwargs=pk("campaign"),
        needs=("plan",),
        anonymous=302,
        outsider=Call("carol", 404),
        insider_without_right=Call("alice", 403),  # she sees the campaign (a plan of hers), but does not plan
        insider_with_right=Call("dora", 200),  # the preview of what cancelling closes
    ),
    "campaigns:plan-move": Route(
        PAGE,
        kwargs=lambda world: {"pk": world.campaign.pk, "plan": world.plan.pk},
        method="post",
        data={"stage": "opportunity"},
        anonymous=302,
        outsider=Call("carol", 404),
        insider_without_right=NA,  # whoever sees the plan moves it
        insider_with_right=Call("alice", 302),
    ),
    "campaigns:activities": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK
    ),
    "campaigns:activity-create": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK
    ),
    "campaigns:gap-matrix": Route(
        PAGE,
        query="?region=510100",
        anonymous=302,
        outsider=Call("gd_paul", 404),  # a region the caller may not pick
        insider_without_right=NA,
        insider_with_right=Call("dora", 200),
    ),
    "campaigns:do-not-call": Route(
        PAGE,
        needs=("do_not_call",),
        anonymous=302,
        outsider=NA,  # the list is one for the whole company
        insider_without_right=Call("alice", 403, method="post", data={"remove": DNC_MOBILE}),
        insider_with_right=Call("paul", 200),
    ),
    "campaigns:call-lists": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK
    ),
    "campaigns:call-list": Route(
        PAGE,
        kwargs=pk("call_list"),
        anonymous=302,
        outsider=Call("carol", 404),
        # bob sees the list (its campaign has a plan of his), but only its agent or builder closes it
        insider_without_right=Call("bob", 403, method="post", data={"close": "1"}),
        insider_with_right=ALICE_OK,
    ),
    "campaigns:call-list-close": Route(
        PAGE,
        kwargs=pk("call_list"),
        anonymous=302,
        outsider=Call("carol", 404),
        insider_without_right=Call("bob", 403),  # he sees the list, but only its agent or builder closes it
        insider_with_right=ALICE_OK,  # the preview of what closing ends
    ),
    "campaigns:call-list-distribute": Route(
        PAGE,
        kwargs=pk("call_list"),
        method="post",
        data={"agents": "alice"},
        anonymous=302,
        outsider=Call("carol", 404),
        insider_without_right=Call("bob", 403),  # he sees the list; its builder and those who manage teams share it
        insider_with_right=Call("alice", 302),
    ),
    "campaigns:call-list-left-out": Route(
        PAGE,
        kwargs=pk("call_list"),
        anonymous=302,
        outsider=Call("carol", 404),
        insider_without_right=NA,  # whoever sees the list sees what its build left out of the customers they see
        insider_with_right=ALICE_OK,
    ),
    "campaigns:call-list-dialer-file": Route(
        PAGE,
        kwargs=pk("auto_call_list"),
        anonymous=302,
        outsider=Call("carol", 404),
        insider_without_right=Call("bob", 403),  # only its agent or builder sends it to the dialer
        insider_with_right=ALICE_OK,
    ),
    "campaigns:call-list-dialer-results": Route(
        PAGE,
        kwargs=pk("auto_call_list"),
        method="post",
        data=lambda world: _dialer_results(world),
        anonymous=302,
        outsider=Call("carol", 404),
        insider_without_right=Call("bob", 403),
        insider_with_right=Call("alice", 302),  # recorded, back to the list
    ),
    "campaigns:calls": Route(
        PAGE,
        kwargs=pk("campaign"),
        needs=("plan",),
        anonymous=302,
        outsider=Call("carol", 404),
        insider_without_right=NA,
        insider_with_right=ALICE_OK,
    ),
    # whoever sees an opportunity's customer is on its team or manages it: nobody sees one without the right to it
    "campaigns:opportunities": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK
    ),
    "campaigns:opportunity-create": Route(
        PAGE,
        query="?customer=CD0001",
        anonymous=302,
        outsider=Call("carol", 404),
        insider_without_right=NA,
        insider_with_right=ALICE_OK,
    ),
    "campaigns:opportunity": Route(
        PAGE,
        kwargs=pk("opportunity"),
        anonymous=302,
        outsider=Call("carol", 404),
        insider_without_right=NA,
        insider_with_right=Call("dora", 200),
    ),
    # A customer's product holdings: kept like its people, from the customer page's coverage card.
    "campaigns:holding": people_write(holding_of(PRODUCT)),
    "campaigns:holding-remove": people_write(holding_of(PRODUCT), method="post", done=302, needs=("holding",)),
    # -- imports ---------------------------------------------------------------------------------------------------
    "imports:imports": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=Call("alice", 403), insider_with_right=Call("paul", 200)
    ),
    "imports:run": Route(
        PAGE,
        kwargs=pk("import_run"),
        anonymous=302,
        outsider=Call("gd_paul", 404),
        insider_without_right=NA,  # whoever sees an import may import
        insider_with_right=Call("paul", 200),
    ),
    "imports:confirm": Route(
        PAGE,
        kwargs=pk("import_run"),
        method="post",
        anonymous=302,
        outsider=Call("gd_paul", 404),
        insider_without_right=NA,
        insider_with_right=Call("paul", 302),  # back to the run, which says why it cannot be written
    ),
    "imports:discard": Route(
        PAGE,
        kwargs=pk("import_run"),
        method="post",
        anonymous=302,
        outsider=Call("gd_paul", 404),
        insider_without_right=NA,
        insider_with_right=Call("paul", 302),  # back to the run, which says why it cannot be discarded
    ),
    # -- the API: the ground floor ---------------------------------------------------------------------------------
    "auth-token": Route(
        API,
        method="post",
        anonymous=400,  # the sign-in itself: open to all, an empty body is refused
        outsider=NA,
        insider_without_right=NA,
        insider_with_right=Call("alice", 200, data={"username": "alice", "password": PASSWORD}),
    ),
    "auth-logout": Route(
        API, method="post", anonymous=401, outsider=NA, insider_without_right=NA, insider_with_right=Call("alice", 204)
    ),
    "api-root": Route(API, anonymous=401, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK),
    "region-list": Route(API, anonymous=401, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK),
    "region-detail": Route(
        API,
        kwargs=code("510100"),
        anonymous=401,
        outsider=NA,  # administrative divisions are public facts
        insider_without_right=NA,
        insider_with_right=ALICE_OK,
    ),
    "audit-list": Route(
        API, anonymous=401, outsider=NA, insider_without_right=Call("alice", 403), insider_with_right=Call("paul", 200)
    ),
    # The departments of the caller's territory: carol (绵阳) does not see 成都's, which alice belongs to.
    "department-list": Route(API, anonymous=401, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK),
    "department-detail": Route(
        API,
        kwargs=lambda world: {"pk": world.cast["alice"].department_id},
        anonymous=401,
        outsider=Call("carol", 404),
        insider_without_right=NA,
        insider_with_right=ALICE_OK,
    ),
    "schema": Route(API, anonymous=401, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK),
    "api-docs": Route(API, anonymous=401, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK),
    # -- the API: customers ----------------------------------------------------------------------------------------
    "industry-list": Route(API, anonymous=401, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK),
    "industry-detail": Route(
        API, kwargs=code("C39"), anonymous=401, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK
    ),
    "customer-list": Route(API, anonymous=401, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK),
    # a PATCH of a national group's headquarters by the head of the city it lies in: seen, not hers to change (issue 21)
    "customer-detail": Route(
        API,
        kwargs=code(),
        anonymous=401,
        outsider=Call("carol", 404),
        insider_without_right=Call("dora", 403, method="patch", data={"name": "改名"}, kwargs=code("BANK00")),
        insider_with_right=ALICE_OK,
        needs=("national_group",),
    ),
    "customer-key-persons": customer_read(API),
    "customer-members": customer_read(API),
    "customer-history": customer_read(API),
    # -- the API: tiering ------------------------------------------------------------------------------------------
    "customer-tier": customer_read(API),
    "customer-tier-override": Route(
        API,
        kwargs=code(),
        method="post",
        data=_override,
        anonymous=401,
        outsider=Call("carol", 404),
        insider_without_right=Call("alice", 403),
        insider_with_right=Call("paul", 201),
    ),
    "tier-recompute": Route(
        API,
        method="post",
        anonymous=401,
        outsider=NA,
        insider_without_right=Call("alice", 403),
        insider_with_right=Call("paul", (200, 202)),  # 200 run here (no broker), 202 handed to the workers
    ),
    "tier-list-csv": Route(
        API, anonymous=401, outsider=NA, insider_without_right=Call("alice", 403), insider_with_right=Call("dora", 200)
    ),
    "tier-list-xlsx": Route(
        API, anonymous=401, outsider=NA, insider_without_right=Call("alice", 403), insider_with_right=Call("dora", 200)
    ),
    # -- the API: teams --------------------------------------------------------------------------------------------
    "customer-team": Route(
        API,
        kwargs=code(),
        anonymous=401,
        outsider=Call("carol", 404),
        insider_without_right=Call("alice", 403, method="put", data={}),  # PUT replaces the team: teams.manage
        insider_with_right=Call("dora", 200),
    ),
    "visit-list": Route(API, anonymous=401, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK),
    "visit-detail": Route(
        API,
        kwargs=pk("visit"),
        anonymous=401,
        outsider=Call("carol", 404),
        insider_without_right=Call("dora", 403, method="patch", data={}),  # only its visitor changes a visit
        insider_with_right=ALICE_OK,
    ),
    "visit-photos": Route(
        API,
        kwargs=pk("visit"),
        anonymous=401,
        outsider=Call("carol", 404),
        insider_without_right=Call("dora", 403, method="post", data={}),  # only its visitor adds photos
        insider_with_right=ALICE_OK,
    ),
    "visit-confirm-location": Route(
        API,
        kwargs=pk("visit"),
        method="post",
        anonymous=401,
        outsider=Call("carol", 404),
        insider_without_right=Call("alice", 403),
        insider_with_right=Call("dora", 200),
    ),
    # -- the API: campaigns ----------------------------------------------------------------------------------------
    "channel-conflicts": Route(
        API,
        query="?customer=CD0001",
        anonymous=401,
        outsider=Call("carol", 404),
        insider_without_right=NA,
        insider_with_right=ALICE_OK,
    ),
    "campaigns:channel-conflicts": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK
    ),
    # -- prospects (潜在客户, issue 21): those of the reader's territory; the grid and account managers claim one, its
    # holder (and the managers over it) works it; gina, the grid's manager, sees alice's claim but does not hold it
    "prospect-list": Route(API, anonymous=401, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK),
    "prospect-possible-duplicates": Route(
        API,
        query="?name=成都锦程科技有限公司&address=成都市锦江区红星路1号",
        anonymous=401,
        outsider=NA,
        insider_without_right=NA,
        insider_with_right=ALICE_OK,
    ),
    "prospect-detail": Route(
        API,
        kwargs=pk("prospect"),
        anonymous=401,
        outsider=Call("carol", 404),
        insider_without_right=NA,
        insider_with_right=ALICE_OK,
    ),
    "prospect-claim": Route(
        API,
        kwargs=pk("prospect"),
        method="post",
        anonymous=401,
        outsider=Call("carol", 404),
        insider_without_right=Call("dora", 403),  # a department head manages, does not claim
        insider_with_right=ALICE_OK,
    ),
    "prospect-release": Route(
        API,
        kwargs=pk("claimed_prospect"),
        method="post",
        needs=("grid_manager",),
        anonymous=401,
        outsider=Call("carol", 404),
        insider_without_right=Call("gina", 403),
        insider_with_right=ALICE_OK,
    ),
    "prospect-visits": Route(
        API,
        kwargs=pk("claimed_prospect"),
        method="post",
        data={"summary": "初次拜访"},
        needs=("grid_manager",),
        anonymous=401,
        outsider=Call("carol", 404),
        insider_without_right=Call("gina", 403),
        insider_with_right=Call("alice", 201),
    ),
    "prospect-convert": Route(
        API,
        kwargs=pk("claimed_prospect"),
        method="post",
        data={"code": "PR0001"},
        needs=("grid_manager",),
        anonymous=401,
        outsider=Call("carol", 404),
        insider_without_right=Call("gina", 403),
        insider_with_right=Call("alice", 201),
    ),
    "prospects:list": Route(PAGE, anonymous=302, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK),
    "prospects:detail": Route(
        PAGE,
        kwargs=pk("prospect"),
        anonymous=302,
        outsider=Call("carol", 404),
        insider_without_right=NA,
        insider_with_right=ALICE_OK,
    ),
    "prospects:claim": Route(
        PAGE,
        kwargs=pk("prospect"),
        method="post",
        anonymous=302,
        outsider=Call("carol", 404),
        insider_without_right=Call("dora", 403),
        insider_with_right=Call("alice", 302),
    ),
    "prospects:release": Route(
        PAGE,
        kwargs=pk("claimed_prospect"),
        method="post",
        needs=("grid_manager",),
        anonymous=302,
        outsider=Call("carol", 404),
        insider_without_right=Call("gina", 403),
        insider_with_right=Call("alice", 302),
    ),
    "prospects:visit": Route(
        PAGE,
        kwargs=pk("claimed_prospect"),
        method="post",
        data={"summary": "初次拜访"},
        needs=("grid_manager",),
        anonymous=302,
        outsider=Call("carol", 404),
        insider_without_right=Call("gina", 403),
        insider_with_right=Call("alice", 302),
    ),
    "prospects:convert": Route(
        PAGE,
        kwargs=pk("claimed_prospect"),
        method="post",
        data={"code": "PR0001"},
        needs=("grid_manager",),
        anonymous=302,
        outsider=Call("carol", 404),
        insider_without_right=Call("gina", 403),
        insider_with_right=Call("alice", 302),
    ),
    # grids (网格, issue 21): their grid manager, the department heads and provincial staff over them; an account
    # manager sees customers, not a territory (403); a grid of another province is 404
    "kpis:grids": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=Call("alice", 403), insider_with_right=Call("dora", 200)
    ),
    "kpis:grid": Route(
        PAGE,
        kwargs=lambda world: {"code": "510104-G01"},
        anonymous=302,
        outsider=Call("gd_paul", 404),
        insider_without_right=Call("alice", 403),
        insider_with_right=Call("dora", 200),
    ),
    # -- inbound leads (issue 20): the recorder and the assignee see one, the assignee and managers work it ----------
    "lead-list": Route(API, anonymous=401, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK),
    "lead-detail": Route(
        API,
        kwargs=pk("lead"),
        anonymous=401,
        outsider=Call("carol", 404),
        insider_without_right=NA,
        insider_with_right=ALICE_OK,
    ),
    "lead-close": Route(
        API,
        kwargs=pk("lead"),
        method="post",
        data={"note": "只是咨询"},
        anonymous=401,
        outsider=Call("carol", 404),
        insider_without_right=Call("bob", 403),  # recorded it, may not work it
        insider_with_right=ALICE_OK,
    ),
    "lead-convert": Route(
        API,
        kwargs=pk("lead"),
        method="post",
        data={"expected_close_on": str(timezone.localdate() + datetime.timedelta(days=30))},
        anonymous=401,
        outsider=Call("carol", 404),
        insider_without_right=Call("bob", 403),
        insider_with_right=ALICE_OK,
    ),
    # the pool's claim rules and the new-customer targets (issue 21): provincial staff their province's (another
    # province's rule is 404), department heads read their region's targets, account managers neither (403)
    "prospects:claim-rules": Route(
        PAGE,
        query="?region=510000",
        anonymous=302,
        outsider=Call("gd_paul", 404),
        insider_without_right=Call("dora", 403),
        insider_with_right=Call("paul", 200),
    ),
    "prospects:targets": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=Call("alice", 403), insider_with_right=Call("dora", 200)
    ),
    "arrears:cases": Route(PAGE, anonymous=302, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK),
    "arrears:outcome": Route(
        PAGE,
        kwargs=pk("arrears_case"),
        anonymous=302,
        outsider=Call("carol", 404),
        insider_without_right=NA,
        insider_with_right=ALICE_OK,
    ),
    "arrears:thresholds": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=Call("alice", 403), insider_with_right=Call("paul", 200)
    ),
    "campaigns:leads": Route(PAGE, anonymous=302, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK),
    "campaigns:lead-close": Route(
        PAGE,
        kwargs=pk("lead"),
        method="post",
        data={"note": "只是咨询"},
        anonymous=302,
        outsider=Call("carol", 404),
        insider_without_right=Call("bob", 403),
        insider_with_right=Call("alice", 302),
    ),
    "campaigns:lead-convert": Route(
        PAGE,
        kwargs=pk("lead"),
        method="post",
        data={"expected_close_on": str(timezone.localdate() + datetime.timedelta(days=30))},
        anonymous=302,
        outsider=Call("carol", 404),
        insider_without_right=Call("bob", 403),
        insider_with_right=Call("alice", 302),
    ),
    # -- the outbound desk's figures (issue 20): department heads and provincial staff ------------------------------
    "desk-agents": Route(
        API, anonymous=401, outsider=NA, insider_without_right=Call("alice", 403), insider_with_right=Call("dora", 200)
    ),
    "desk-lists": Route(
        API, anonymous=401, outsider=NA, insider_without_right=Call("alice", 403), insider_with_right=Call("dora", 200)
    ),
    "campaigns:desk": Route(
        PAGE, anonymous=302, outsider=NA, insider_without_right=Call("alice", 403), insider_with_right=Call("dora", 200)
    ),
    "channel-list": Route(API, anonymous=401, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK),
    "channel-detail": Route(
        API,
        kwargs=lambda world: {"code": "hotline_10000"},
        anonymous=401,
        outsider=NA,
        insider_without_right=NA,
        insider_with_right=ALICE_OK,
    ),
    "product-list": Route(API, anonymous=401, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK),
    "product-detail": Route(
        API,
        kwargs=code(PRODUCT),
        anonymous=401,
        outsider=NA,
        insider_without_right=NA,
        insider_with_right=ALICE_OK,
    ),
    "customer-product": Route(
        API,
        kwargs=lambda world: {"code": "CD0001", "product": PRODUCT},
        needs=("holding",),
        anonymous=401,
        outsider=Call("carol", 404),
        insider_without_right=NA,
        insider_with_right=ALICE_OK,
    ),
    "customer-coverage": customer_read(API),
    # -- arrears collection (issue 21): read by the operator's staff who see the customer, chased by its team ------
    "customer-arrears": customer_read(API),
    "customer-arrears-outcome": Route(
        API,
        kwargs=code(),
        method="post",
        data={"kind": "disputed", "note": "账单有误"},
        needs=("arrears_case",),
        anonymous=401,
        outsider=Call("carol", 404),
        insider_without_right=NA,
        insider_with_right=Call("alice", 201),
    ),
    "do-not-call": Route(
        API,
        needs=("do_not_call",),
        anonymous=401,
        outsider=NA,
        insider_without_right=Call("alice", 403, method="delete", data={"mobile": DNC_MOBILE}),
        insider_with_right=Call("paul", 200),
    ),
    "do-not-call-number": Route(
        API,
        kwargs=lambda world: {"mobile": world.do_not_call},
        method="delete",
        anonymous=401,
        outsider=NA,
        insider_without_right=Call("alice", 403),
        insider_with_right=Call("paul", 204),
    ),
    "campaign-list": Route(API, anonymous=401, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK),
    "campaign-detail": Route(
        API,
        kwargs=pk("campaign"),
        needs=("plan",),
        anonymous=401,
        outsider=Call("carol", 404),
        insider_without_right=NA,
        insider_with_right=ALICE_OK,
    ),
    "campaign-cancel": Route(
        API,
        kwargs=pk("campaign"),
        needs=("plan",),
        method="post",
        data={"reason": "预算取消"},
        anonymous=401,
        outsider=Call("carol", 404),
        insider_without_right=Call("alice", 403),  # she sees the campaign, but does not plan campaigns
        insider_with_right=Call("dora", 200),
    ),
    "campaign-give-to-partner": Route(
        API,
        kwargs=pk("campaign"),
        needs=("plan",),
        method="post",
        data=lambda world: {"partner": world.partner.pk},
        anonymous=401,
        outsider=Call("carol", 404),
        insider_without_right=Call("alice", 403),  # she sees the campaign, but does not hand plans over
        insider_with_right=Call("dora", 200),
    ),
    "campaign-plans": Route(
        API,
        kwargs=pk("campaign"),
        needs=("plan",),
        anonymous=401,
        outsider=Call("carol", 404),
        insider_without_right=NA,
        insider_with_right=ALICE_OK,
    ),
    "campaign-plan": Route(
        API,
        kwargs=lambda world: {"pk": world.campaign.pk, "plan": world.plan.pk},
        anonymous=401,
        outsider=Call("carol", 404),
        # handing a plan to another owner is for department heads and provincial staff
        insider_without_right=Call("alice", 403, method="patch", data={"owner": "dora"}),
        insider_with_right=ALICE_OK,
    ),
    "campaign-call-list": Route(
        API,
        kwargs=pk("campaign"),
        needs=("plan",),
        method="post",
        data={},
        anonymous=401,
        outsider=Call("carol", 404),
        insider_without_right=Call("alice", 403, data={"agent": "bob"}),  # a list for someone else
        insider_with_right=Call("alice", 201),
    ),
    "call-list-entries": Route(
        API,
        kwargs=pk("call_list"),
        anonymous=401,
        outsider=Call("carol", 404),
        insider_without_right=NA,
        insider_with_right=ALICE_OK,
    ),
    "call-entry-outcome": Route(
        API,
        kwargs=lambda world: {"pk": world.call_list.pk, "entry": world.entry.pk},
        method="post",
        data={"outcome": "no_answer"},
        anonymous=401,
        outsider=Call("carol", 404),
        insider_without_right=Call("dora", 403),  # sees the list and the number; only its agent records calls
        insider_with_right=ALICE_OK,
    ),
    "call-list-distribute": Route(
        API,
        kwargs=pk("call_list"),
        method="post",
        data={"agents": ["alice"]},
        anonymous=401,
        outsider=Call("carol", 404),
        insider_without_right=Call("bob", 403),  # he sees the list; its builder and those who manage teams share it
        insider_with_right=ALICE_OK,
    ),
    "call-list-left-out": Route(
        API,
        kwargs=pk("call_list"),
        anonymous=401,
        outsider=Call("carol", 404),
        insider_without_right=NA,
        insider_with_right=ALICE_OK,
    ),
    "call-list-dialer-file": Route(
        API,
        kwargs=pk("auto_call_list"),
        anonymous=401,
        outsider=Call("carol", 404),
        insider_without_right=Call("bob", 403),
        insider_with_right=ALICE_OK,
    ),
    "call-list-dialer-results": Route(
        API,
        kwargs=pk("auto_call_list"),
        method="post",
        data={},
        anonymous=401,
        outsider=Call("carol", 404),
        insider_without_right=Call("bob", 403),
        # the probe's JSON carries no file: 400 naming it (a file's answers: tests/campaigns/test_dialer.py)
        insider_with_right=Call("alice", 400),
    ),
    "opportunity-list": Route(API, anonymous=401, outsider=NA, insider_without_right=NA, insider_with_right=ALICE_OK),
    "opportunity-detail": Route(
        API,
        kwargs=pk("opportunity"),
        anonymous=401,
        outsider=Call("carol", 404),
        insider_without_right=NA,
        insider_with_right=Call("paul", 200),
    ),
    # -- the API: partners (issue 20): seen where they work, registered and changed by provincial staff ----------------
    "partner-list": Route(
        API,
        anonymous=401,
        outsider=NA,
        insider_without_right=Call("dora", 403, method="post", data=lambda world: _partner_data(world)),
        insider_with_right=Call("paul", 200),
    ),
    "partner-detail": Route(
        API,
        kwargs=pk("partner"),
        anonymous=401,
        outsider=Call("carol", 404),  # 绵阳's account manager: the partner works in 成都
        insider_without_right=Call("dora", 403, method="patch", data={"status": "suspended"}),
        insider_with_right=Call("paul", 200),
    ),
    # -- the API: commissions (issue 20): rules kept by provincial staff (national ones by headquarters); a partner's
    # month read by its territory's staff and its own, computed and approved by provincial staff ----------------------
    "commission-rule-list": Route(
        API, anonymous=401, outsider=NA, insider_without_right=Call("alice", 403), insider_with_right=Call("paul", 200)
    ),
    "commission-rule-detail": Route(
        API,
        kwargs=pk("commission_rule"),
        anonymous=401,
        outsider=Call("gd_paul", 404),  # Guangdong's staff do not see Sichuan's rules
        # the national rules are read by every province's staff, changed by headquarters only
        insider_without_right=Call(
            "gd_paul", 403, method="patch", data={"rate": "12.00"}, kwargs=pk("national_commission_rule")
        ),
        insider_with_right=Call("paul", 200),
    ),
    "settlement-list": Route(
        API,
        query=f"?{SETTLED}",
        anonymous=401,
        outsider=NA,
        insider_without_right=Call("alice", 403),
        insider_with_right=Call("paul", 200),
    ),
    "settlements-compute": Route(
        API,
        method="post",
        data={"period": f"{SETTLED_MONTH:%Y-%m}"},
        needs=("partner",),
        anonymous=401,
        outsider=NA,
        insider_without_right=Call("dora", 403),
        insider_with_right=Call("paul", 202),  # the computation handed to the workers (run here: eager)
    ),
    "settlement-run": Route(
        API,
        kwargs=pk("settlement_run"),
        anonymous=401,
        outsider=Call("gd_paul", 404),  # a computation of Sichuan's partners
        insider_without_right=Call("alice", 403),
        insider_with_right=Call("paul", 200),
    ),
    "partner-settlement": partner_money(API),
    "partner-settlement-compute": partner_money(API, method="post"),
    "partner-settlement-approve": partner_money(API, method="post"),
    "partner-settlement-csv": partner_money(API),
    "partner-settlement-xlsx": partner_money(API),
    # -- the API: KPIs ---------------------------------------------------------------------------------------------
    "kpis": Route(
        API,
        query="?region=510100",
        needs=("snapshots",),
        anonymous=401,
        outsider=Call("gd_paul", 404),
        insider_without_right=NA,
        insider_with_right=Call("dora", 200),
    ),
    "kpis-product-revenue": Route(
        API,
        query="?region=510100",
        needs=("snapshots",),
        anonymous=401,
        outsider=Call("gd_paul", 404),
        insider_without_right=NA,
        insider_with_right=Call("dora", 200),
    ),
    # -- the API: imports ------------------------------------------------------------------------------------------
    "import-run-list": Route(
        API, anonymous=401, outsider=NA, insider_without_right=NA, insider_with_right=Call("paul", 200)
    ),
    "import-run-detail": Route(
        API,
        kwargs=pk("import_run"),
        anonymous=401,
        outsider=Call("gd_paul", 404),
        insider_without_right=NA,
        insider_with_right=Call("paul", 200),
    ),
    "import-run-confirm": Route(
        API,
        kwargs=pk("import_run"),
        method="post",
        anonymous=401,
        outsider=Call("gd_paul", 404),
        insider_without_right=NA,
        # the right is asked first (`import_run_confirm`); then this run, refused by its check, cannot be written
        insider_with_right=Call("paul", 400),
    ),
    "import-run-discard": Route(
        API,
        kwargs=pk("import_run"),
        method="post",
        anonymous=401,
        outsider=Call("gd_paul", 404),
        insider_without_right=NA,
        # the right is asked first (`import_run_discard`); then this run, refused by its check, has nothing to drop
        insider_with_right=Call("paul", 400),
    ),
    "import-run-errors": Route(
        API,
        kwargs=pk("import_run"),
        anonymous=401,
        outsider=Call("gd_paul", 404),
        insider_without_right=NA,
        insider_with_right=Call("paul", 200),
    ),
    "import-template-xlsx": Route(
        API,
        kwargs=lambda world: {"kind": "customers"},
        anonymous=401,
        outsider=NA,
        insider_without_right=Call("alice", 403),
        insider_with_right=Call("paul", 200),
    ),
    "import-template-csv": Route(
        API,
        kwargs=lambda world: {"kind": "customers"},
        anonymous=401,
        outsider=NA,
        insider_without_right=Call("alice", 403),
        insider_with_right=Call("paul", 200),
    ),
}


# -- the routes of the URLconf -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    name: str  # "namespace:name", or the route itself when unnamed
    route: str
    format_suffix: bool  # a DRF format-suffix twin (`.json`) of a route of the same name


def _skipped(route: str) -> bool:
    if route.startswith(SKIPPED_PREFIXES):
        return True
    served = [prefix.lstrip("/") for prefix in (settings.STATIC_URL, settings.MEDIA_URL) if prefix]
    return any(prefix not in ("", "/") and route.startswith(prefix) for prefix in served)


def _walk(patterns, prefix: str = "", namespace: str = "") -> Iterator[Found]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if _skipped(route):
            continue
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name or route
            yield Found(name, route, "format" in pattern.pattern.regex.groupindex)


def url_routes() -> dict[str, list[Found]]:
    routes: dict[str, list[Found]] = defaultdict(list)
    for found in _walk(get_resolver().url_patterns):
        routes[found.name].append(found)
    return dict(routes)


def test_every_route_has_an_expectation():
    routes = set(url_routes())
    missing, stale = sorted(routes - set(EXPECTATIONS)), sorted(set(EXPECTATIONS) - routes)
    assert not missing, f"routes without an expectation in EXPECTATIONS: {missing}"
    assert not stale, f"expectations of routes the URLconf no longer has: {stale}"


def test_a_route_name_names_one_route_and_its_format_suffix_twin():
    """Names key the matrix: two routes of one name would let one of them go unprobed."""
    for name, found in url_routes().items():
        plain = [one.route for one in found if not one.format_suffix]
        assert len(plain) == 1, f"{name} names {len(plain)} routes: {plain}"


def test_every_expectation_names_its_four_callers():
    for name, route in EXPECTATIONS.items():
        for caller in CALLERS:
            answer = getattr(route, caller)
            if caller == "anonymous":
                assert isinstance(answer, int | tuple), name
            else:
                assert answer == NA or isinstance(answer, Call), f"{name}: {caller} is {answer!r}"
        assert isinstance(route.insider_with_right, Call), f"{name}: nobody gets through"


# -- the probes ----------------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _eager_celery(monkeypatch):
    """Jobs run in the request (the embedded default), even where a broker is configured."""
    from crm.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


@pytest.fixture
def world(territory, cast, customers) -> World:
    return World(territory, cast, customers)


def _probe(world: World, login, api, name: str, caller: str, *, url_format: str | None = None):
    """Call route `name` as `caller`; returns (the request as text, the response, what was expected)."""
    route = EXPECTATIONS[name]
    call = getattr(route, caller)
    for needed in route.needs:
        getattr(world, needed)
    if caller == "anonymous":
        client = APIClient() if route.kind == API else Client()
        expected, method, data, kwargs, who = route.anonymous, route.method, route.data, route.kwargs, "anonymous"
    else:
        user = world.cast[call.user]
        client = api(user) if route.kind == API else login(user)
        expected, method, who = call.status, call.method or route.method, f"{caller} {call.user}"
        data = call.data if call.data is not None else route.data
        kwargs = call.kwargs or route.kwargs
    if callable(data):
        data = data(world)
    url_kwargs = kwargs(world) | ({"format": url_format} if url_format else {})
    url = reverse(name, kwargs=url_kwargs or None) + route.query
    client.raise_request_exception = False  # a 500 is an answer to report against the expectation, with its route
    send = getattr(client, method)
    if method == "get":
        response = send(url)
    elif route.kind == API:
        response = send(url, data or {}, format="json")
    else:
        response = send(url, data or {})
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)  # a failure while streaming is a failure of the route
    return f"{method.upper()} {url} as {who}", response, expected


def _check(request: str, response, expected: Status, route: Route, caller: str) -> None:
    statuses = expected if isinstance(expected, tuple) else (expected,)
    assert response.status_code in statuses, (
        f"{request}: expected {' or '.join(map(str, statuses))}, got {response.status_code}"
    )
    if caller == "anonymous" and route.kind == PAGE and response.status_code == 302:
        location = response["Location"]
        assert location.startswith(route.anonymous_location), f"{request}: sent to {location}"


CASES = [
    pytest.param(name, caller, id=f"{name}-{caller}")
    for name, route in EXPECTATIONS.items()
    for caller in CALLERS
    if getattr(route, caller) != NA
]


@pytest.mark.parametrize(("name", "caller"), CASES)
def test_route_answers_the_caller_as_expected(world, login, api, name, caller):
    request, response, expected = _probe(world, login, api, name, caller)
    _check(request, response, expected, EXPECTATIONS[name], caller)


def _suffixed() -> list[str]:
    return sorted(name for name, found in url_routes().items() if any(one.format_suffix for one in found))


# The `.json` twins of the API's routes answer as their routes do: who may see what does not depend on the format.
SUFFIX_CASES = [
    pytest.param(name, caller, id=f"{name}.json-{caller}")
    for name in _suffixed()
    if name in EXPECTATIONS
    for caller in CALLERS
    if getattr(EXPECTATIONS[name], caller) != NA
]


@pytest.mark.parametrize(("name", "caller"), SUFFIX_CASES)
def test_format_suffix_twin_answers_as_its_route(world, login, api, name, caller):
    request, response, expected = _probe(world, login, api, name, caller, url_format="json")
    _check(request, response, expected, EXPECTATIONS[name], caller)


# A grid manager (网格经理, issue 21) works a territory, their grid: every read of a customer that alice, its manager,
# may read answers gina, the manager of its grid (春熙路网格), as it answers alice; a customer of the county beside
# (CD0002, 武侯区) does not exist for her.
def _reads_of_cd0001(world: World) -> list[str]:
    names = []
    for name, route in EXPECTATIONS.items():
        if route.method != "get" or route.insider_with_right != ALICE_OK or route.needs:
            continue
        try:
            kwargs = route.kwargs(world)
        except Exception:  # noqa: BLE001 - a route whose objects this probe does not make
            continue
        if kwargs == {"code": "CD0001"}:
            names.append(name)
    return names


def test_a_grid_manager_reads_the_customers_of_their_grid_and_no_other(world, login, api):
    gina = world.grid_manager
    names = _reads_of_cd0001(world)
    assert len(names) >= 5, names
    for name in names:
        route = EXPECTATIONS[name]
        client = api(gina) if route.kind == API else login(gina)
        client.raise_request_exception = False
        seen = client.get(reverse(name, kwargs={"code": "CD0001"}) + route.query)
        assert seen.status_code == 200, f"{name} CD0001 as gina: {seen.status_code}"
        unseen = client.get(reverse(name, kwargs={"code": "CD0002"}) + route.query.replace("CD0001", "CD0002"))
        assert unseen.status_code == 404, f"{name} CD0002 as gina: {unseen.status_code}"
