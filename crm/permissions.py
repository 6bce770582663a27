"""Who may do what (SPEC §1, §2): one predicate per action, composed from role and territory with the `rules`
package, and the one place that answers "may this user do ACTION (on this object)".

Services enforce these themselves (`require`), so a command, the admin or a test is refused exactly as the API
is; views, serializers and templates ask the same rules (`may`, `crm.api.permissions.May`, and in templates
`{% load rules %}{% test_rule "teams.manage" user as may_manage %}`). Seeing is not here: what a user may see is
the visibility rule (`Customer.objects.visible_to`, `crm.visibility`), and an outsider gets 404 before any of
these is asked; an insider without the right gets 403.

The rules live in a rule set of their own, not as Django permissions: a superuser passes every `has_perm`, but
not, say, the rule that only a call list's agent records its calls.

Objects are read by their attributes (a customer's manager, a call list's agent), never by importing the apps
above the ground floor.
"""

from __future__ import annotations

from typing import Any

import rules
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Region, Role, TeamRoleKind, User
from .visibility import NATIONAL_CODE, province_path, territory_path, territory_region

# -- who the user is ------------------------------------------------------------------------------------------------


@rules.predicate
def is_staff_member(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


@rules.predicate
def is_headquarters(user) -> bool:
    return is_staff_member(user) and user.sees_everything


@rules.predicate
def is_provincial_staff(user) -> bool:
    return is_staff_member(user) and user.role == Role.PROVINCIAL_STAFF


@rules.predicate
def is_department_head(user) -> bool:
    return is_staff_member(user) and user.role == Role.DEPARTMENT_HEAD


@rules.predicate
def is_account_manager(user) -> bool:
    return is_staff_member(user) and user.role == Role.ACCOUNT_MANAGER


@rules.predicate
def is_partner_staff(user) -> bool:
    return is_staff_member(user) and user.role == Role.PARTNER


@rules.predicate
def is_grid_manager(user) -> bool:
    return is_staff_member(user) and user.role == Role.GRID_MANAGER


is_provincial_or_above = is_headquarters | is_provincial_staff
manages_teams = is_provincial_or_above | is_department_head


# -- what the object is to the user ---------------------------------------------------------------------------------


@rules.predicate
def sees_customer(user, customer) -> bool:
    """The customer is within what the user sees (§2); the customer's own queryset knows how. The answer is kept on
    the user (one request's) for the customer in its region: a page asks it for each of its sections."""
    if customer is None:
        return False
    seen = _seen(user)
    key = (customer.pk, getattr(customer, "region_id", None))
    if key not in seen:
        # An account manager who holds a role on the customer's team today sees it (the roles are the seeds of
        # what they see), and the roles read for it are kept for `roles_known`; the group reach beyond their own
        # customers needs the whole rule.
        held = _roles_today(user, customer) if user.is_authenticated and user.role == Role.ACCOUNT_MANAGER else None
        seen[key] = bool(held) or type(customer).objects.visible_to(user).filter(pk=customer.pk).exists()
    return seen[key]


def _roles_today(user, customer) -> list[str]:
    roles = list(user.team_roles.active().filter(customer_id=customer.pk).order_by().values_list("role", flat=True))
    _seen(user)[("roles", customer.pk, timezone.localdate())] = roles
    return roles


def roles_known(user, customer) -> list[str] | None:
    """The roles (unordered) the user holds today on the customer's team, when `sees_customer` has read them in this
    request; None when it has not."""
    return _seen(user).get(("roles", customer.pk, timezone.localdate()))


_SEEN = "_sees_customer"


def _seen(user) -> dict:
    seen = getattr(user, _SEEN, None)
    if seen is None:
        seen = {}
        setattr(user, _SEEN, seen)  # on the user itself, through request.user's lazy wrapper too
    return seen


def customer_seen(user, customer) -> None:
    """Tell `sees_customer` that the user sees `customer`, which was just read through what the user sees."""
    _seen(user)[(customer.pk, getattr(customer, "region_id", None))] = True


def customer_managed(user, customer, manages: bool) -> None:
    """Tell `manages_the_customer` whether the user is the customer's manager today, read with the customer."""
    _seen(user)[("manager", customer.pk)] = bool(manages)


@rules.predicate
def is_agent(user, call_list) -> bool:
    return call_list is not None and call_list.agent_id == user.pk


@rules.predicate
def calls_the_entry(user, entry) -> bool:
    """The user calls this number of a call list: the pool agent it is assigned to, else the list's agent."""
    return entry is not None and entry.calling_agent_id == user.pk


@rules.predicate
def built_it(user, call_list) -> bool:
    return call_list is not None and call_list.created_by_id == user.pk


@rules.predicate
def is_draft(user, rule_set) -> bool:
    return rule_set is not None and rule_set.status == "draft"


@rules.predicate
def is_national(user, thing) -> bool:
    """A national rule set or target: its scope (region) is the national root."""
    code = getattr(thing, "scope_id", None) or getattr(thing, "region_id", None) or getattr(thing, "code", None)
    return code == NATIONAL_CODE


@rules.predicate
def in_territory(user, thing) -> bool:
    """The object's region (a rule set's scope, a target's region, or the region itself) lies in the territory
    the user works in (`crm.visibility.territory_path`)."""
    region = getattr(thing, "scope", None) or getattr(thing, "region", None) or thing
    path = territory_path(user)
    return region is not None and path is not None and region.path.startswith(path)


@rules.predicate
def heads_it(user, department) -> bool:
    return department is not None and department.head_id == user.pk


@rules.predicate
def may_change_visit(user, visit) -> bool:
    return visit is not None and visit.editable_by(user)


@rules.predicate
def sees_its_customer(user, thing) -> bool:
    """The customer the object belongs to (an opportunity's) is within what the user sees (§2)."""
    return thing is not None and sees_customer(user, thing.customer)


@rules.predicate
def owns_it(user, thing) -> bool:
    return thing is not None and thing.owner_id == user.pk


@rules.predicate
def on_its_customers_team(user, thing) -> bool:
    """The user holds a role today on the team of the customer the object belongs to (read through the user's
    team roles, so the ground floor never names the team model)."""
    return thing is not None and user.team_roles.active().filter(customer_id=thing.customer_id).exists()


@rules.predicate
def manages_the_customer(user, customer) -> bool:
    """The user is the customer's manager (客户经理) today (read through the user's team roles); kept on the user for
    the request, as `sees_customer` is."""
    if customer is None or not user.is_authenticated:
        return False
    seen = _seen(user)
    key = ("manager", customer.pk)
    if key not in seen:
        roles = user.team_roles.active().filter(customer_id=customer.pk, role=TeamRoleKind.CUSTOMER_MANAGER)
        seen[key] = roles.exists()
    return seen[key]


@rules.predicate
def is_assignee(user, thing) -> bool:
    """The object (an inbound lead) is assigned to the user."""
    return thing is not None and thing.assigned_to_id == user.pk


@rules.predicate
def requested_it(user, thing) -> bool:
    """The user asked for the object (a tier override request)."""
    return thing is not None and thing.requested_by_id == user.pk


@rules.predicate
def claimed_it(user, prospect) -> bool:
    """The user holds this prospect, claimed from the pool (公海, issue 21)."""
    return prospect is not None and prospect.claimed_by_id is not None and prospect.claimed_by_id == user.pk


@rules.predicate
def nobody_claimed_it(user, prospect) -> bool:
    """The prospect is in the pool (公海): nobody holds it."""
    return prospect is not None and prospect.claimed_by_id is None


@rules.predicate
def works_for_it(user, partner) -> bool:
    """The user is staff of this partner company (issue 20)."""
    return partner is not None and user.partner_id is not None and user.partner_id == partner.pk


# How deep the territory of the staff who own a list level lies: the national root ("000000/"), a province.
_LIST_LEVEL_DEPTH = {"national": 1, "provincial": 2}


@rules.predicate
def manages_by_list_level(user, customer) -> bool:
    """The list level (清单级别) lets the user manage the customer (issue 21). A city-list customer is managed as §2
    says, by whoever sees it. One on a national or provincial list, and every branch of such a group
    (`Customer.list_governance`), belongs to an account team at that level: headquarters; staff whose territory is
    that level's and holds it — the headquarters' group-customer department for a national list, the province's
    (its department, its provincial staff) for a provincial one; and the account teams of the customer and of the
    listed customers above it. City staff still see such a branch in their territory, but do not manage it.
    Asked without a customer, it answers for customers in general."""
    if customer is None:
        return True
    level, listed = customer.list_governance()
    if level not in _LIST_LEVEL_DEPTH or user.sees_everything:
        return True
    if level in list_levels_kept(user) and customer.region.path.startswith(territory_path(user) or ""):
        return True
    owners = [pk for pk in (customer.pk, *listed) if pk is not None]
    return bool(owners) and list_team_customers(user).filter(customer_id__in=owners).exists()


def list_levels_kept(user) -> frozenset[str]:
    """The list levels at which the user manages every listed customer of their territory by that territory
    (`manages_by_list_level`'s first half): every level for headquarters; a level whose territory depth theirs is
    at or above for the staff who hold a territory (a province's staff: the provincial list); none for account
    managers and partner staff, who manage a listed customer through its account team alone
    (`list_team_customers`). The customers import asks it, set-based, as the API asks the predicate."""
    if user.sees_everything:
        return frozenset(_LIST_LEVEL_DEPTH)
    path = territory_path(user)
    if path is None or user.sees_own_customers_only:
        return frozenset()
    return frozenset(level for level, depth in _LIST_LEVEL_DEPTH.items() if path.count("/") <= depth)


def list_team_customers(user) -> QuerySet:
    """The customers on whose account team the user holds a role today, as `customer_id` values: a listed customer,
    or a branch of a listed group, is the user's to manage when it or a listed customer above it is among them
    (`manages_by_list_level`'s second half; a subquery for the customers import)."""
    return user.team_roles.active().values("customer_id")


# Who keeps a customer's records (key persons, group members, product holdings) up to date: whoever sees the
# customer (§2) — its team, the department head and provincial staff over it, headquarters — as the API has always
# let them; a customer outside what the user sees is refused.
keeps_customer_records = is_staff_member & sees_customer


# -- the actions ----------------------------------------------------------------------------------------------------

ACTIONS: dict[str, tuple[rules.Predicate, Any]] = {
    # Tier lists are exported by provincial staff, headquarters and department heads (SPEC §4.4).
    "tiering.export_tier_lists": (manages_teams, _("Only department heads and provincial staff export tier lists.")),
    # Rule sets, recomputes and the quota report: provincial staff and headquarters.
    "tiering.manage_rules": (is_provincial_or_above, _("Only provincial staff and headquarters maintain tier rules.")),
    # Published and retired sets are history: only drafts change, the national ones only by headquarters.
    "tiering.change_rule_set": (
        is_provincial_or_above & is_draft & in_territory & (is_headquarters | ~is_national),
        _("Only a draft of your own scope can be changed or published."),
    ),
    "tiering.override_tier": (
        is_provincial_or_above & sees_customer,
        _("Only provincial staff and headquarters set tiers by hand."),
    ),
    # A manual tier is requested by the customer's department head or its customer manager, and approved or rejected
    # by provincial staff (or headquarters) over the customer, never by whoever asked for it (issue 18).
    "tiering.request_override": (
        (is_department_head & sees_customer) | (is_account_manager & manages_the_customer),
        _("Only the customer's department head or customer manager request a manual tier."),
    ),
    "tiering.review_overrides": (
        is_provincial_or_above,
        _("Only provincial staff and headquarters review manual tier requests."),
    ),
    "tiering.decide_override": (
        is_provincial_or_above & sees_its_customer & ~requested_it,
        _("Only provincial staff over the customer decide on a manual tier request, and never on their own."),
    ),
    "tiering.withdraw_override": (requested_it, _("Only who requested a manual tier withdraws the request.")),
    # A customer's location, which field visits are checked against, is set from a visit on site by a department
    # head (or provincial staff, headquarters) of the customer's territory, which confirms it.
    "accounts.confirm_location": (
        manages_teams & sees_customer,
        _("Only department heads and provincial staff confirm a customer's location."),
    ),
    # Customers are filed by staff in their territory; partner staff have none (issue 20): they work what is given,
    # and leave the customer's own record (name, USCC, region, figures) to the operator's staff.
    "accounts.file_customers": (
        is_staff_member & ~is_partner_staff,
        _("Partner staff work the customers given to their company; they file none."),
    ),
    # A national- or provincial-list customer, and each branch of such a group, is kept by its account team and the
    # staff at that level (issue 21); city staff who see it in their territory are refused (403).
    "accounts.keep_listed_customer": (
        is_staff_member & manages_by_list_level,
        _(
            "This customer is on a national or provincial list (or a branch of such a group): only its account team "
            "and the group-customer department at that level change it."
        ),
    ),
    "accounts.change_customer": (
        is_staff_member & ~is_partner_staff & manages_by_list_level,
        _("Partner staff work the customers given to their company; the operator's staff keep their records."),
    ),
    # Key persons and group members (SPEC §3) are kept by the customer's team, its department head and headquarters.
    "accounts.change_people": (
        keeps_customer_records,
        _("Only staff who see the customer change its key persons and group members."),
    ),
    # Product holdings (SPEC §6.1): the same people, for the customer's products.
    "campaigns.change_holdings": (
        keeps_customer_records,
        _("Only staff who see the customer change its product holdings."),
    ),
    # Department heads, provincial staff and headquarters assign the roles on customers' teams (SPEC §1).
    "teams.manage": (manages_teams, _("Only department heads and provincial staff assign team roles.")),
    # One customer's team, as the customer itself (issue 21): on a national- or provincial-list customer, and each
    # branch of such a group, the staff at that level (and its account team's) assign and end the roles; city staff
    # who see it in their territory are refused (403).
    "teams.manage_customer_team": (
        manages_teams & manages_by_list_level,
        _(
            "This customer is on a national or provincial list (or a branch of such a group): only the "
            "group-customer department at that level assigns its team roles."
        ),
    ),
    "teams.change_standards": (is_provincial_or_above, _("Only provincial staff change the service standards.")),
    # Personal VIPs (SPEC §4.3) are put in a personal-VIP manager's care by the department heads and provincial staff
    # of their territory (issue 21), and by headquarters.
    "teams.assign_vips": (
        manages_teams & in_territory,
        _("Only department heads and provincial staff of the territory assign personal VIPs to their managers."),
    ),
    "teams.change_visit": (
        may_change_visit,
        _("Only the visitor can change a visit, and only within 7 days of logging it."),
    ),
    "campaigns.plan": (manages_teams, _("Campaigns are planned by department heads and provincial staff.")),
    "campaigns.hand_over_plan": (
        manages_teams,
        _("Only department heads and provincial staff hand a plan to another owner."),
    ),
    "campaigns.build_call_list_for_others": (
        manages_teams,
        _("Only department heads and provincial staff build call lists for someone else."),
    ),
    # The outbound desk's productivity (issue 20): those who run campaigns and teams.
    "campaigns.view_desk": (manages_teams, _("Only department heads and provincial staff see the desk's figures.")),
    "campaigns.record_call": (calls_the_entry, _("Only the agent who calls this number records its calls.")),
    # A list's numbers are shared among the agents of a pool (the 10000 desk) by whoever built it or manages teams;
    # an automatic list's dialer file goes out, and its results come back, through its agent or its builder.
    "campaigns.distribute_call_list": (
        built_it | manages_teams,
        _("Only the builder of this call list, department heads and provincial staff share it among agents."),
    ),
    "campaigns.run_dialer": (
        is_agent | built_it,
        _("Only the agent of this call list or its builder exports it to the dialer and imports its results."),
    ),
    # Inbound leads (来电商机, issue 20): any member of staff who takes a call records one (the 10000 desk above all);
    # its assignee and the department heads and provincial staff over its region work it.
    "campaigns.record_lead": (is_staff_member, _("Only staff record inbound leads.")),
    "campaigns.work_lead": (
        is_assignee | (manages_teams & in_territory),
        _("Only the lead's assignee and the managers over its region work a lead."),
    ),
    # Opportunities (商机): whoever sees the customer records one; its owner, the customer's team and the managers
    # above them change it.
    "campaigns.record_opportunity": (
        is_staff_member & sees_customer,
        _("Only staff who see the customer record its opportunities."),
    ),
    "campaigns.change_opportunity": (
        sees_its_customer & (owns_it | on_its_customers_team | manages_teams),
        _("Only the owner, the customer's team and their managers change an opportunity."),
    ),
    "campaigns.close_call_list": (is_agent | built_it, _("Only the agent of this call list or its builder closes it.")),
    # The do-not-call list is kept whole by provincial staff (SPEC §6.3): they see numbers whole and take them off.
    "campaigns.manage_do_not_call": (
        is_provincial_or_above,
        _("Only provincial staff take a number off the do-not-call list."),
    ),
    # Partner companies (issue 20) are registered and kept by provincial staff within their province, and headquarters.
    "partners.manage": (is_provincial_or_above, _("Only provincial staff and headquarters register partners.")),
    "partners.change": (
        is_provincial_or_above & in_territory,
        _("Only provincial staff of the partner's territory and headquarters change a partner."),
    ),
    # Commissions (酬金, issue 20): rules kept by provincial staff for their province and by headquarters nationally; a
    # month's settlements computed and approved by provincial staff of the partner's territory (and headquarters),
    # read by them and by the partner's own staff.
    "partners.view_commission_rules": (
        is_provincial_or_above,
        _("Only provincial staff and headquarters read the commission rules."),
    ),
    "partners.keep_commission_rules": (
        is_provincial_or_above & in_territory & (is_headquarters | ~is_national),
        _("Only provincial staff keep their province's commission rules, and headquarters the national ones."),
    ),
    "partners.list_settlements": (
        is_provincial_or_above | is_partner_staff,
        _("Only provincial staff, headquarters and partner staff read commission settlements."),
    ),
    "partners.view_settlement": (
        (is_provincial_or_above & in_territory) | (is_partner_staff & works_for_it),
        _("Only provincial staff of the partner's territory, headquarters and its own staff read its settlements."),
    ),
    "partners.settle": (
        is_provincial_or_above & in_territory,
        _("Only provincial staff of the partner's territory and headquarters compute commission settlements."),
    ),
    "partners.approve_settlement": (
        is_provincial_or_above & in_territory,
        _("Only provincial staff of the partner's territory and headquarters approve commission settlements."),
    ),
    # Prospects (潜在客户, issue 21): filed by the staff of a territory (grid managers above all) within it; claimed
    # from the pool (公海) by those who work customers — grid managers and account managers — in their territory,
    # up to the province's limit; worked (visited, converted into a customer) by the one who holds it, by its grid's
    # manager while nobody does, and by the managers over its region.
    "prospects.file": (
        is_staff_member & ~is_partner_staff,
        _("Only staff file prospects, within their own territory."),
    ),
    "prospects.claim": (
        (is_grid_manager | is_account_manager) & in_territory,
        _("Only grid managers and account managers of its territory claim a prospect."),
    ),
    "prospects.work": (
        claimed_it | (manages_teams & in_territory) | (is_grid_manager & in_territory & nobody_claimed_it),
        _(
            "Only who claimed the prospect, its grid's manager while nobody holds it, and the managers over its region "
            "work it."
        ),
    ),
    # The pool's claim rules are a province's (provincial staff) or the national default (headquarters); new-customer
    # targets are set by provincial staff over their province's regions and by headquarters, and read by the
    # department heads over theirs.
    "prospects.view_claim_rules": (
        is_provincial_or_above,
        _("Only provincial staff and headquarters keep the prospect pool's claim rules."),
    ),
    "prospects.keep_claim_rules": (
        is_provincial_or_above & in_territory & (is_headquarters | ~is_national),
        _("Provincial staff keep their province's claim rule, headquarters the national one."),
    ),
    "prospects.view_targets": (
        is_provincial_or_above | is_department_head,
        _("Only department heads, provincial staff and headquarters see the new-customer targets."),
    ),
    "prospects.keep_targets": (
        is_provincial_or_above & in_territory,
        _("Only provincial staff and headquarters set new-customer targets, within their territory."),
    ),
    # A grid's page (its customers, profiles, coverage, prospects and visits): those with a territory over it — its grid
    # manager, department heads, provincial staff — not the account managers and partners, who see customers only.
    "prospects.view_grid": (
        is_staff_member & ~is_account_manager & ~is_partner_staff,
        _("A grid's page is for its grid manager, department heads and provincial staff."),
    ),
    # Arrears collection (大额欠费, issue 21): the operator's staff who see the customer read its arrears (partner staff
    # work what is given to their company, not its bills); the customer's team and the managers over it record what
    # the chase gave; thresholds are kept by provincial staff for their province and by headquarters nationally.
    "arrears.view": (
        is_staff_member & ~is_partner_staff & sees_customer,
        _("Only the operator's staff who see the customer read its arrears."),
    ),
    "arrears.view_cases": (
        is_staff_member & ~is_partner_staff,
        _("Only the operator's staff read collection cases."),
    ),
    "arrears.record_outcome": (
        ~is_partner_staff & sees_its_customer & (on_its_customers_team | manages_teams),
        _("Only the customer's team and the managers over it record the outcome of a collection case."),
    ),
    "arrears.view_thresholds": (
        is_provincial_or_above,
        _("Only provincial staff and headquarters keep the arrears thresholds."),
    ),
    "arrears.set_thresholds": (
        is_provincial_or_above & in_territory & (is_headquarters | ~is_national),
        _("Provincial staff set their province's arrears thresholds, headquarters the national ones."),
    ),
    # KPI targets: headquarters the national ones, provincial staff their province's.
    "kpis.set_targets": (is_provincial_or_above, _("Only provincial staff and headquarters set KPI targets.")),
    "kpis.compute_now": (
        is_provincial_or_above,
        _("Only provincial staff and headquarters compute the KPIs outside the nightly run."),
    ),
    "kpis.set_target_of": (
        (is_headquarters & is_national) | (is_provincial_staff & ~is_national & in_territory),
        _("Headquarters set the national targets, provincial staff those of their province."),
    ),
    # Revenue targets per product (issue 21): provincial staff their province's, headquarters any province's.
    "kpis.set_product_targets": (
        is_headquarters | (is_provincial_staff & in_territory),
        _("Only provincial staff of the province and headquarters set its revenue targets per product."),
    ),
    # The KPI computations are nation-wide: provincial staff and above see their record.
    "kpis.view_job_runs": (is_provincial_or_above, _("Only provincial staff and headquarters see the computations.")),
    # BOSS extracts come in through provincial staff and headquarters (SPEC §8.4).
    "imports.run": (is_provincial_or_above, _("Only provincial staff and headquarters import files.")),
    # The admin site: provincial staff within their province, headquarters everything; deleting stays with them.
    "admin.use": (is_provincial_or_above, _("The admin site is for provincial staff and headquarters.")),
    "admin.change_reference_data": (is_headquarters, _("Only headquarters change national reference data.")),
    "admin.delete": (is_headquarters, _("Only headquarters delete records.")),
    # The workbench (今日工作台) is the home of those who work customers: account managers and department heads, who
    # also see their team's (who is behind).
    "workbench.home": (
        is_account_manager | is_department_head,
        _("The workbench is for account managers and department heads."),
    ),
    "workbench.team": (is_department_head, _("Only department heads see their team's workbench.")),
    # A department's group robot (企业微信/钉钉) is its head's to set (issue 17).
    "crm.set_department_robot": (
        is_department_head & heads_it,
        _("Only the head of this department sets its group robot."),
    ),
    # The audit trail of a province: its provincial staff; of every province: headquarters.
    "crm.view_audit": (is_provincial_or_above, _("Only provincial staff and headquarters read the audit trail.")),
    # The jobs page (tier recomputes, KPI computations, imports): those who run and review the jobs (SPEC §1).
    "crm.view_jobs": (is_provincial_or_above, _("Only provincial staff and headquarters see the jobs.")),
}

for _name, (_predicate, _message) in ACTIONS.items():
    rules.set_rule(_name, _predicate)


def provincial_deciders(region: Region) -> QuerySet[User]:
    """The active staff who decide for a customer of `region` what only provincial staff and headquarters may (a
    manual tier: `tiering.decide_override`): the provincial staff of its province and headquarters (hq_admin)."""
    province = province_path(region)
    return User.objects.filter(is_active=True).filter(
        Q(role=Role.PROVINCIAL_STAFF, region__path__startswith=province) | Q(role=Role.HQ_ADMIN)
    )


def kept_scope(user) -> Region | None:
    """The scope whose rules, thresholds and targets the user keeps: the national root for headquarters, their own
    province for provincial staff; None for anyone else, and for staff without a home region."""
    if not is_provincial_or_above(user):
        return None
    return territory_region(user)


def may(user, action: str, obj: Any = None) -> bool:
    """Whether `user` may do `action` (on `obj`)."""
    if action not in ACTIONS:
        raise KeyError(f"unknown action {action!r}")
    return rules.test_rule(action, user, obj)


def require(user, action: str, obj: Any = None) -> None:
    """Refuse (PermissionDenied, with the rule's message in the user's language) unless `user` may do it."""
    if not may(user, action, obj):
        raise PermissionDenied(str(ACTIONS[action][1]))
