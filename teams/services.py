"""Writes of teams, service standards and visits. Views, serializers, admin and commands call these."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q, Value, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from accounts.models import (
    GROUP_LIST_LEVELS,
    Customer,
    CustomerStatus,
    GroupMember,
    KeyPerson,
    ListLevel,
    Tier,
    list_governance_read,
)
from accounts.services import customer_location_set, customer_lock
from crm import audit, versions
from crm.models import AuditAction, Region, User
from crm.periods import Period
from crm.permissions import may, require
from crm.snapshots import counts_replace
from crm.visibility import province_path, territory_path, territory_region

from . import hooks, notices, selectors
from .models import (
    SINGLE_ROLES,
    ManagerLoad,
    ServiceStandard,
    TeamGapCount,
    TeamRole,
    TeamRoleKind,
    UnverifiedReason,
    VipAssignment,
    VipLoad,
    Visit,
    VisitPhoto,
)
from .rules import CUSTOMER_MANAGER, MANAGER_CAPACITY, VIP_MANAGER_CAPACITY, check_in_verification


def _check_assignee(*, customer: Customer, user: User, field: str) -> None:
    """A role goes to an active member of staff of the customer's own province; on a national-list group (issue 21),
    also to staff of headquarters (home region the national root), its account team at that level."""
    if not user.is_active:
        raise ValidationError({field: _("%(name)s is no longer an active member of staff.") % {"name": user}})
    if user.region is not None and user.region.depth == 0 and customer.list_governance()[0] == ListLevel.NATIONAL:
        return
    if user.region is None or not user.region.path.startswith(province_path(customer.region)):
        raise ValidationError(
            {
                field: _("%(name)s works in another province; team roles go to staff of %(province)s.")
                % {"name": user.display_name, "province": _province_name(customer)}
            }
        )


def _province_name(customer: Customer) -> str:
    code = province_path(customer.region).strip("/").split("/")[-1]
    return Region.objects.filter(pk=code).values_list("name", flat=True).first() or code


def _save_roles(new_roles: list[TeamRole]) -> None:
    try:
        with transaction.atomic():
            for role in new_roles:
                role.full_clean(validate_constraints=False)
                role.save()
    except IntegrityError as error:
        # Two people changed the same team at once; the database kept one holder per role.
        raise ValidationError(_("Someone else changed this team at the same time; reload and try again.")) from error


@dataclass
class TeamChange:
    started: int = 0
    ended: int = 0


@transaction.atomic
def team_set(
    *,
    by: User,
    customer: Customer,
    roles: dict[str, User | None],
    assistants: Iterable[User] | None = None,
    on: datetime.date | None = None,
    version: str | list[str] | None = None,
) -> TeamChange:
    """Make the customer's team what is given from `on` (today): one holder (or nobody) per named role, and exactly
    the given assistants when `assistants` is not None. Roles not named are left as they are.

    A change ends the old holder's role and starts the new holder's on the same day; ended roles stay as history.
    Changes of one customer's team follow one another (the customer's row is locked); with the `version` of the
    team the caller read (`team_version`), a change made on a stale team is refused (StaleVersion).
    """
    require(by, "teams.manage")
    require(by, "teams.manage_customer_team", customer)
    on = on or timezone.localdate()
    unknown = set(roles) - set(SINGLE_ROLES)
    if unknown:
        raise ValidationError({name: _("Unknown team role.") for name in sorted(unknown)})
    for role, user in roles.items():
        if user is not None:
            _check_assignee(customer=customer, user=user, field=role)
    assistants = None if assistants is None else list(dict.fromkeys(assistants))
    for user in assistants or []:
        _check_assignee(customer=customer, user=user, field="assistants")

    customer_lock(customer)
    before = team_lineup(customer)
    versions.check(
        customer,
        version,
        fields=[*roles, *(["assistants"] if assistants is not None else [])],
        current=versions.digest(before),
        about=(TEAM_OBJECT, str(customer.pk)),
        values=before,
        customer_id=customer.pk,
    )
    current = list(TeamRole.objects.active(on).select_for_update().filter(customer=customer))
    manager = TeamRoleKind.CUSTOMER_MANAGER
    if (
        manager in roles
        and roles[manager] is None
        and customer.status == CustomerStatus.ACTIVE
        and any(held.role == manager for held in current)
    ):
        # SPEC §5.1: an active customer has exactly one customer manager; vacating the role means naming the next.
        raise ValidationError(
            {manager: _("An active customer keeps a customer manager: name the successor instead of leaving it empty.")}
        )
    change = TeamChange()
    new_roles = []
    for role, user in roles.items():
        holders = [held for held in current if held.role == role]
        if user is not None and [held.user_id for held in holders] == [user.pk]:
            continue
        for held in holders:
            _end(held, on)
            change.ended += 1
        if user is not None:
            new_roles.append(TeamRole(customer=customer, user=user, role=role, starts_on=on))
    if assistants is not None:
        wanted = {user.pk for user in assistants}
        held_assistants = [held for held in current if held.role == TeamRoleKind.ASSISTANT]
        for held in held_assistants:
            if held.user_id not in wanted:
                _end(held, on)
                change.ended += 1
        kept = {held.user_id for held in held_assistants}
        new_roles += [
            TeamRole(customer=customer, user=user, role=TeamRoleKind.ASSISTANT, starts_on=on)
            for user in assistants
            if user.pk not in kept
        ]
    _save_roles(new_roles)
    change.started = len(new_roles)
    after = team_lineup(customer)
    audit.record_many([_team_entry(by=by, customer=customer, changes=audit.diff(before, after))])
    notices.team_change_notified(by=by, customer=customer, before=before, after=after)
    return change


def _team_entry(*, by: User, customer: Customer, changes: dict[str, Any], detail: dict[str, Any] | None = None):
    """The audit trail's entry of a change of the customer's team."""
    return audit.entry(
        user=by,
        action=AuditAction.UPDATE,
        customer=customer,
        object_type=TEAM_OBJECT,
        object_id=str(customer.pk),
        object_repr=customer.name,
        changes=changes,
        detail=detail,
    )


TEAM_OBJECT = "teams.team"


def team_lineup(customer: Customer) -> dict[str, Any]:
    """Who holds each role of the customer's team today, by username, and its assistants: what a team's version
    is made of and what the audit trail compares."""
    lineup: dict[str, Any] = {role.value: None for role in SINGLE_ROLES}
    assistants = []
    held = TeamRole.objects.active().filter(customer=customer).values_list("role", "user__username")
    for role, username in held:
        if role == TeamRoleKind.ASSISTANT:
            assistants.append(username)
        else:
            lineup[role] = username
    lineup["assistants"] = sorted(assistants)
    return lineup


def team_version(customer: Customer) -> str:
    return versions.digest(team_lineup(customer))


def _end(role: TeamRole, on: datetime.date) -> None:
    role.ends_on = on
    role.save(update_fields=["ends_on"])


@dataclass
class ReassignResult:
    customers: int
    roles: int


def team_reassign_check(
    *,
    by: User,
    leaving: User,
    targets: list[User],
    scope: selectors.ReassignScope = selectors.WHOLE_PORTFOLIO,
    on: datetime.date | None = None,
) -> None:
    """Refuse a reassignment that cannot be made, each reason on its field: the preview asks this before showing
    the plan, and `team_reassign` before applying it."""
    require(by, "teams.manage")
    if not targets:
        raise ValidationError({"targets": _("Choose at least one manager to take the customers over.")})
    if leaving in targets:
        raise ValidationError({"targets": _("The leaving manager cannot take over their own customers.")})
    path = territory_path(by)
    for user in [leaving, *targets]:
        field = "leaving" if user == leaving else "targets"
        if not user.is_active:
            raise ValidationError({field: _("%(name)s is no longer an active member of staff.") % {"name": user}})
        if path is None or (path and (user.region is None or not user.region.path.startswith(path))):
            raise ValidationError(
                {field: _("%(name)s works outside your region; choose staff of your own region.") % {"name": user}}
            )
    _reassign_scope_check(by=by, leaving=leaving, scope=scope, path=path, on=on)


def _reassign_scope_check(
    *, by: User, leaving: User, scope: selectors.ReassignScope, path: str | None, on: datetime.date | None
) -> None:
    if scope.region is not None and (path is None or not scope.region.path.startswith(path)):
        raise ValidationError(
            {
                "region": _("%(region)s lies outside your territory.")
                % {"region": f"{scope.region.name} {scope.region.code}"}
            }
        )
    if scope.tier and scope.tier not in Tier.values:
        raise ValidationError({"tier": _("Unknown tier %(tier)s.") % {"tier": scope.tier}})
    if scope.codes:
        outside = selectors.reassign_codes_outside(by=by, leaving=leaving, codes=scope.codes, on=on)
        if outside:
            raise ValidationError(
                {
                    "customers": _("Not customers of %(name)s: %(codes)s.")
                    % {"name": leaving.display_name, "codes": "、".join(outside)}
                }
            )


@transaction.atomic
def team_reassign(
    *,
    by: User,
    leaving: User,
    targets: list[User],
    scope: selectors.ReassignScope = selectors.WHOLE_PORTFOLIO,
    confirm_overload: bool = False,
    on: datetime.date | None = None,
) -> ReassignResult:
    """Hand the customers of a leaving manager in `scope` (by default all of them: chosen customers, a grid or a
    tier otherwise) to the targets, all roles of one customer to one target, evenly by customer-manager load
    (SPEC §5.2). All or nothing; the leaving manager's roles end `on` (today) and stay as history. A plan that
    would put a target above 50 customers needs `confirm_overload`. The scope is read as the preview read it
    (`selectors.reassign_roles`).
    """
    on = on or timezone.localdate()
    team_reassign_check(by=by, leaving=leaving, targets=targets, scope=scope, on=on)
    # Lock the leaving manager's roles so that a second reassign of the same manager waits, then sees none.
    list(TeamRole.objects.active(on).select_for_update().filter(user=leaving).values_list("pk", flat=True))
    plan = selectors.reassign_plan(by=by, leaving=leaving, targets=targets, scope=scope, on=on)
    if not plan.customers:
        if not scope.whole:
            raise ValidationError(
                _("No customer of %(name)s matches what you chose.") % {"name": leaving.display_name},
                code="empty_scope",
            )
        raise ValidationError({"leaving": _("%(name)s holds no role on a customer you can see.") % {"name": leaving}})
    refused = _listed_out_of_reach(by=by, customer_ids=list(plan.customers))
    if refused:
        raise ValidationError(
            _(
                "%(codes)s: on a national or provincial list (or branches of such a group), their team roles are "
                "assigned by the group-customer department at that level; choose the other customers."
            )
            % {"codes": "、".join(refused)},
            code="listed",
        )
    if plan.overloaded and not confirm_overload:
        raise ValidationError(
            _("This would put %(names)s above %(capacity)s customers; confirm to go ahead.")
            % {"names": "、".join(f"{u.display_name} ({n})" for u, n in plan.overloaded), "capacity": MANAGER_CAPACITY},
            code="overload",
        )
    held_roles = list(TeamRole.objects.active(on).filter(user=leaving, customer_id__in=plan.customers))
    roles_of_targets = set(
        TeamRole.objects.active(on)
        .filter(customer_id__in=plan.customers, user__in=targets)
        .values_list("customer_id", "user_id", "role")
    )
    new_roles = []
    ended = 0
    for role in held_roles:
        target = plan.customers[role.customer_id]
        _end(role, on)
        ended += 1
        if (role.customer_id, target.pk, role.role) not in roles_of_targets:
            new_roles.append(TeamRole(customer_id=role.customer_id, user=target, role=role.role, starts_on=on))
    _save_roles(new_roles)
    manager_loads_recount([leaving.pk, *(target.pk for target in targets)])
    _reassign_audited(by=by, leaving=leaving, plan=plan, held=held_roles)
    notices.reassign_notified(by=by, leaving=leaving, handed=plan.customers)
    return ReassignResult(customers=len(plan.customers), roles=ended)


def _listed_out_of_reach(*, by: User, customer_ids: list[int]) -> list[str]:
    """The codes of the customers among these whose team `by` may not assign for their list level (issue 21,
    `teams.manage_customer_team`); only those on a national or provincial list or in a group are read."""
    candidates = list(
        Customer.objects.filter(pk__in=customer_ids)
        .filter(Q(list_level__in=GROUP_LIST_LEVELS) | Q(parent__isnull=False))
        .select_related("region")
        .order_by("code")
    )
    list_governance_read(candidates)  # the groups above them all in one walk, not one a customer
    return [customer.code for customer in candidates if not may(by, "teams.manage_customer_team", customer)]


def _reassign_audited(*, by: User, leaving: User, plan, held: list[TeamRole]) -> None:
    """One entry per customer handed over, written in one INSERT."""
    roles_of: dict[int, list[str]] = {}
    for role in held:
        roles_of.setdefault(role.customer_id, []).append(role.role)
    customers = Customer.objects.filter(pk__in=roles_of).select_related("region").only("pk", "code", "name", "region")
    audit.record_many(
        [
            _team_entry(
                by=by,
                customer=customer,
                changes={
                    role: [leaving.username, plan.customers[customer.pk].username]
                    for role in sorted(roles_of[customer.pk])
                },
                detail={"reassigned_from": leaving.username},
            )
            for customer in customers
        ]
    )


STANDARD_FIELDS = ("required_roles", "period", "visits_required", "visits_role", "visits_role_required")


@transaction.atomic
def service_standard_update(
    *, by: User, standard: ServiceStandard, data: dict[str, Any], version: str | list[str] | None = None
) -> ServiceStandard:
    """Change a tier's service standard, its row locked; with the `version` the caller read, a change made on a
    standard changed meanwhile is refused (StaleVersion). The change goes to the audit trail."""
    require(by, "teams.change_standards")
    stored = ServiceStandard.objects.select_for_update().get(pk=standard.pk)
    versions.check(stored, version, fields=[name for name in data if name in STANDARD_FIELDS])
    versions.copy_stored(stored, standard)
    before = audit.snapshot(standard, STANDARD_FIELDS)
    for field, value in data.items():
        setattr(standard, field, value)
    standard.updated_by = by
    standard.full_clean()
    standard.save()
    audit.record_changed(user=by, obj=standard, before=before, fields=STANDARD_FIELDS)
    return standard


# -- visits ------------------------------------------------------------------------------------------------------


CHECK_IN_FIELDS = ("latitude", "longitude", "accuracy_m")
CHECK_OUT_POSITION = ("checkout_latitude", "checkout_longitude", "checkout_accuracy_m")
CHECK_OUT_FIELDS = (*CHECK_OUT_POSITION, "checked_out_at")


def _positions_checked(visit: Visit, errors: dict[str, str]) -> None:
    """A position is a latitude with its longitude; a check-out comes after the visit began."""
    for latitude, longitude in (("latitude", "longitude"), ("checkout_latitude", "checkout_longitude")):
        given = getattr(visit, latitude) is not None, getattr(visit, longitude) is not None
        if given == (True, False):
            errors.setdefault(longitude, _("Give the longitude together with the latitude."))
        elif given == (False, True):
            errors.setdefault(latitude, _("Give the latitude together with the longitude."))
    if visit.checkout_latitude is not None and visit.checked_out_at is None:
        visit.checked_out_at = timezone.now()
    if visit.checked_out_at and visit.visited_at and visit.checked_out_at < visit.visited_at:
        errors.setdefault("checked_out_at", _("A check-out cannot be before the visit began."))


def visit_verify(visit: Visit) -> Visit:
    """Compute the visit's distance to its customer's location and whether it is verified on site (SPEC §5.3,
    外勤签到), with the radius and accuracy limit of the settings. Reads nothing: the customer is loaded already."""
    position = (visit.latitude, visit.longitude) if visit.latitude is not None and visit.longitude is not None else None
    result = check_in_verification(
        kind=visit.kind,
        position=position,
        accuracy_m=visit.accuracy_m,
        customer_location=visit.customer.location,
        radius_m=settings.VISIT_CHECK_IN_RADIUS_M,
        accuracy_limit_m=settings.VISIT_CHECK_IN_ACCURACY_M,
    )
    visit.distance_m, visit.verified, visit.unverified_reason = result.distance_m, result.verified, result.reason
    return visit


def visit_verification_text(visit: Visit) -> str:
    """What the visitor is told of the check-in, in their language: verified and how far, or why not."""
    if visit.verified:
        return _("Verified on site, %(distance)s m from the customer.") % {"distance": round(visit.distance_m or 0)}
    if not visit.unverified_reason or visit.unverified_reason == UnverifiedReason.NOT_ONSITE:
        return ""  # a call or an online meeting has nothing to verify
    reason = str(UnverifiedReason(visit.unverified_reason).label)
    if visit.unverified_reason == UnverifiedReason.INACCURATE and visit.accuracy_m is not None:
        reason = _(
            "The position is accurate to %(accuracy)s m, worse than the %(limit)s m allowed; check in again "
            "outdoors or with GPS on."
        ) % {
            "accuracy": round(visit.accuracy_m),
            "limit": settings.VISIT_CHECK_IN_ACCURACY_M,
        }
    elif visit.unverified_reason == UnverifiedReason.TOO_FAR and visit.distance_m is not None:
        reason = _("The position is %(distance)s m from the customer, beyond the %(radius)s m allowed.") % {
            "distance": round(visit.distance_m),
            "radius": settings.VISIT_CHECK_IN_RADIUS_M,
        }
    return _("Not verified: %(reason)s") % {"reason": reason}


def _visit_fill(*, user: User, visit: Visit, data: dict[str, Any]) -> tuple[list[KeyPerson], list[User]]:
    """Check and set a visit's values; returns the key persons and staff present to link once it is saved (None
    when not given: a partial update leaves them as they are)."""
    data = dict(data)
    key_persons = data.pop("key_persons", None)
    staff_present = data.pop("staff_present", None)
    role_given = data.pop("visitor_role", None)
    dated = visit.visited_at
    errors: dict[str, str] = {}
    if visit.pk:
        # The check-in proves where the visitor was when the visit was logged; it is not moved afterwards.
        for field in CHECK_IN_FIELDS:
            if field in data and data[field] != getattr(visit, field):
                errors[field] = _("The check-in position is recorded when the visit is logged; it cannot be changed.")
                del data[field]
    for field, value in data.items():
        setattr(visit, field, value)
    visit.summary = (visit.summary or "").strip()
    _positions_checked(visit, errors)
    if visit.visited_at and visit.visited_at > timezone.now():
        errors["visited_at"] = _("A visit cannot be in the future.")
    elif visit.visited_at and (not visit.pk or visit.visited_at != dated):
        too_early = _too_early(user, timezone.localdate(visit.visited_at))
        if too_early:
            errors["visited_at"] = too_early
    held = selectors.roles_held(user=user, customer=visit.customer)
    if not visit.pk and not _may_log(user=user, customer=visit.customer, held=held):
        # Nothing else is checked: the rest would tell an outsider about a customer they may not see.
        raise ValidationError({"customer": _("You can log visits only for customers on whose team you are.")})
    if role_given:
        if role_given not in held:
            errors["visitor_role"] = _("You do not hold this role on the customer's team.")
        visit.visitor_role = role_given
    elif not visit.pk:
        visit.visitor_role = held[0] if held else ""
    # The refusals name what the caller gave (an id, a username), never what another customer's records say.
    others = [person for person in key_persons or [] if person.customer_id != visit.customer_id]
    if others:
        errors["key_persons"] = _("No key person of this customer has the id %(id)s.") % {"id": others[0].pk}
    team = set(selectors.team_member_ids(visit.customer)) if staff_present else set()
    strangers = [staff for staff in staff_present or [] if staff.pk not in team or staff.pk == user.pk]
    if strangers:
        errors["staff_present"] = _("%(username)s is not another member of this customer's team.") % {
            "username": strangers[0].username
        }
    if visit.next_visit_on and visit.visited_at and visit.next_visit_on < timezone.localdate(visit.visited_at):
        errors["next_visit_on"] = _("The next visit cannot be before this one.")
    try:
        # The customer and the visitor are loaded objects already, and the check constraints (a summary, a known
        # kind) are the fields' own validation; leaving them out saves four queries on the most frequent write.
        exclude = ["customer", "visitor", *(["visitor_role"] if "visitor_role" in errors else [])]
        visit.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, messages[0])
    if errors:
        raise ValidationError(errors)
    visit_verify(visit)
    return key_persons, staff_present


def _too_early(user: User, day: datetime.date) -> str | None:
    """Why a visit `user` logs or moves cannot be dated `day`, or None. The first day allowed is this month's (the
    KPI period that runs), or, for department heads and provincial staff, who may enter a late visit for their
    teams, the first of the same month a year ago."""
    period = Period.of(timezone.localdate())
    if may(user, "teams.manage"):
        earliest = period.months_back(13)[0].start
        message = _("A visit cannot be dated before %(day)s.")
    else:
        earliest = period.start
        message = _("A visit is dated this month, from %(day)s on; a department head may log an earlier one.")
    return message % {"day": earliest} if day < earliest else None


def _may_log(*, user: User, customer: Customer, held: list[str]) -> bool:
    """Whether `user` may log a visit to the customer, given the roles they hold on its team today.

    An account manager sees exactly the customers on whose team they are (SPEC §2), so their roles answer it without
    another query; partner staff log visits to the customers given to their company (issue 20); department heads and
    provincial staff log visits to any customer in their territory.
    """
    if user.is_partner_staff:
        return Customer.objects.visible_to(user).filter(pk=customer.pk).exists()
    if user.sees_own_customers_only:
        return bool(held)
    if not (held or may(user, "teams.manage")):
        return False
    return Customer.objects.visible_to(user).filter(pk=customer.pk).exists()


def _link(visit: Visit, name: str, objects: list, *, replace: bool) -> None:
    """Link the visit's key persons or staff present (`name`) and keep them on the visit as prefetch_related would
    leave them, so that the answer shows them without reading them back. A new visit has nobody linked yet: it
    writes only when there is somebody to link."""
    manager = getattr(visit, name)
    if objects or replace:
        manager.set(objects)
    linked = manager.get_queryset()
    linked._result_cache = list(objects)
    linked._prefetch_done = True
    # Django's private prefetch cache, which the stubs do not declare on models.
    visit._prefetched_objects_cache = {  # type: ignore[attr-defined]
        **getattr(visit, "_prefetched_objects_cache", {}),
        name: linked,
    }


@transaction.atomic
def visit_log(*, user: User, customer: Customer, data: dict[str, Any]) -> Visit:
    """Log a visit by `user` to a customer they can see (SPEC §5.3).

    An account manager logs visits only for customers on whose team they are; department heads and provincial staff
    may log visits to any customer they see (they then have no role on the team). `plans` in the data: the
    customer's campaign plans the visit was for, moved on to `visited` with it.
    """
    visit = Visit(customer=customer, visitor=user)
    data = dict(data)
    plans = data.pop("plans", None) or []
    data.setdefault("visited_at", timezone.now())
    key_persons, staff_present = _visit_fill(user=user, visit=visit, data=data)
    visit.save()
    _link(visit, "key_persons", key_persons or [], replace=False)
    _link(visit, "staff_present", staff_present or [], replace=False)
    # The visit itself holds what was logged; the trail keeps who logged it, when and through what. (A visit is the
    # most frequent write: its entry stays small.)
    audit.record(user=user, action=AuditAction.CREATE, obj=visit, customer=customer, object_repr=_visit_repr(visit))
    if plans:
        # The campaign plans (一户一案) the visit was made for move on to `visited` (SPEC §6.2).
        hooks.visit_plans.provider.advance(user=user, visit=visit, plans=plans)
    return visit


VISIT_FIELDS = (
    "visited_at",
    "kind",
    "visitor_role",
    "purpose",
    "summary",
    "opportunities",
    "next_step",
    "next_visit_on",
    *CHECK_OUT_FIELDS,
    "verified",
)


def _visit_repr(visit: Visit) -> str:
    return f"{visit.customer.name} · {timezone.localtime(visit.visited_at):%Y-%m-%d} · {visit.get_kind_display()}"


def _visit_facts(visit: Visit) -> dict[str, Any]:
    return {
        **audit.snapshot(visit, VISIT_FIELDS),
        "key_persons": sorted(person.pk for person in visit.key_persons.all()),
        "staff_present": sorted(user.username for user in visit.staff_present.all()),
    }


@transaction.atomic
def visit_update(*, user: User, visit: Visit, data: dict[str, Any], version: str | list[str] | None = None) -> Visit:
    """Change a visit (its visitor, within 7 days). The visit's row is locked, so changes follow one another; with
    the `version` the caller read, a change made on a stale visit is refused (StaleVersion)."""
    stored = Visit.objects.select_for_update(of=("self",)).select_related("customer__region").get(pk=visit.pk)
    versions.check(
        stored, version, fields=[name for name in data if name in VISIT_FIELDS], customer_id=stored.customer_id
    )
    versions.copy_stored(stored, visit)
    before = _visit_facts(visit)
    require(user, "teams.change_visit", visit)
    if "customer" in data and data["customer"] != visit.customer:
        raise ValidationError({"customer": _("A visit stays with its customer.")})
    if data.get("plans"):
        raise ValidationError({"plans": _("A visit moves campaign plans when it is logged, not when changed.")})
    data = {field: value for field, value in data.items() if field not in ("customer", "plans")}
    key_persons, staff_present = _visit_fill(user=user, visit=visit, data=data)
    visit.save()
    if key_persons is not None:
        _link(visit, "key_persons", key_persons, replace=True)
    if staff_present is not None:
        _link(visit, "staff_present", staff_present, replace=True)
    changes = audit.diff(before, _visit_facts(visit))
    if changes:
        audit.record(
            user=user,
            action=AuditAction.UPDATE,
            obj=visit,
            customer=stored.customer,
            changes=changes,
            object_repr=_visit_repr(visit),
        )
    return visit


def team_customer_filed(*, customer: Customer, user: User) -> None:
    """An account manager who files a customer becomes its customer manager (run by `customer_create`)."""
    if user.sees_own_customers_only:
        TeamRole.objects.create(customer=customer, user=user, role=TeamRoleKind.CUSTOMER_MANAGER)


@transaction.atomic
def team_found(*, by: User, customer: Customer, customer_manager: User) -> None:
    """The first customer manager of a customer just converted from a prospect (issue 21), named by who converted it
    (its grid manager, who may not otherwise assign team roles): only on a customer that has none yet, or whose
    customer manager is the account manager converting it, made so today as they filed it (`team_customer_filed`),
    whom the manager named replaces; later changes are `team_set`'s. The manager is told, and the change is on the
    team's history."""
    customer_lock(customer)
    before = team_lineup(customer)
    today = timezone.localdate()
    held = list(
        TeamRole.objects.active(today).select_for_update().filter(customer=customer, role=TeamRoleKind.CUSTOMER_MANAGER)
    )
    if any(role.user_id == customer_manager.pk for role in held):
        return
    if any(role.user_id != by.pk or role.starts_on != today for role in held):
        return
    _check_assignee(customer=customer, user=customer_manager, field="customer_manager")
    for role in held:  # the converter's own, of the filing a moment ago
        _end(role, today)
    _save_roles([TeamRole(customer=customer, user=customer_manager, role=TeamRoleKind.CUSTOMER_MANAGER)])
    after = team_lineup(customer)
    audit.record_many([_team_entry(by=by, customer=customer, changes=audit.diff(before, after))])
    notices.team_change_notified(by=by, customer=customer, before=before, after=after)


# -- verified field visits: photos and the customer's location -------------------------------------------------------

PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def _photo_checked(photo: UploadedFile) -> str:
    """The extension of an uploaded photo that is an image of a known format within the size limit; otherwise a
    ValidationError on `photo` that says which."""
    limit = settings.VISIT_PHOTO_MAX_BYTES
    if photo.size is not None and photo.size > limit:
        raise ValidationError(
            {
                "photo": _("The photo is %(size)s MB; photos may be up to %(limit)s MB.")
                % {"size": f"{photo.size / 1024 / 1024:.1f}", "limit": f"{limit / 1024 / 1024:g}"}
            }
        )
    try:
        photo.seek(0)
        with Image.open(photo) as image:
            image_format = image.format
            image.verify()  # reads the whole file: a truncated or forged image is refused here, not when shown
    except Exception as error:  # Pillow raises many kinds for a file that is not an image it can read
        raise ValidationError({"photo": _("The file is not an image; send a photo (JPEG, PNG or WebP).")}) from error
    finally:
        photo.seek(0)
    if image_format not in PHOTO_FORMATS:
        raise ValidationError({"photo": _("Send the photo as JPEG, PNG or WebP.")})
    return PHOTO_FORMATS[image_format]


@transaction.atomic
def visit_photo_add(*, user: User, visit: Visit, photo: UploadedFile) -> VisitPhoto:
    """Attach a photo taken at the visit (外勤拍照); the visitor does, while the visit can still be changed (7 days).
    Stored through the default storage (settings.STORAGES)."""
    require(user, "teams.change_visit", visit)
    extension = _photo_checked(photo)
    photo.name = f"photo.{extension}"
    stored = VisitPhoto(visit=visit, uploaded_by=user, size=photo.size or 0)
    stored.image.save(photo.name, photo, save=False)
    try:
        stored.save()
    except Exception:
        stored.image.delete(save=False)  # no file left behind without its row
        raise
    audit.record(
        user=user,
        action=AuditAction.CREATE,
        obj=stored,
        customer=visit.customer,
        object_repr=_visit_repr(visit),
        detail={"visit": visit.pk, "size": stored.size},
    )
    return stored


@transaction.atomic
def visit_location_confirm(*, user: User, visit: Visit) -> Visit:
    """Make the check-in position of an on-site visit the customer's location, confirmed by `user` (a department
    head or above: `accounts.confirm_location`), and verify the visit against it. Only a position accurate to the
    limit can become a customer's location."""
    require(user, "accounts.confirm_location", visit.customer)
    if not visit.checked_in_on_site:
        raise ValidationError(_("Only an on-site visit checked in with a position can give the customer's location."))
    if not visit.gives_location:
        raise ValidationError(
            _("This check-in is not accurate enough (%(limit)s m or better) to become the customer's location.")
            % {"limit": settings.VISIT_CHECK_IN_ACCURACY_M}
        )
    latitude, longitude = visit.latitude, visit.longitude
    assert latitude is not None and longitude is not None  # gives_location holds only with both
    visit.customer = customer_location_set(user=user, customer=visit.customer, latitude=latitude, longitude=longitude)
    stored = Visit.objects.select_for_update(of=("self",)).get(pk=visit.pk)
    before = audit.snapshot(stored, ("distance_m", "verified", "unverified_reason"))
    visit_verify(visit)
    visit.save(update_fields=["distance_m", "verified", "unverified_reason", "updated_at"])
    audit.record_changed(
        user=user,
        obj=visit,
        before=before,
        fields=("distance_m", "verified", "unverified_reason"),
        customer=visit.customer,
    )
    return visit


@transaction.atomic
def team_gaps_snapshot() -> int:
    """The night's counts of tiered customers per region, tier and single roles held (`TeamGapCount`), in place of
    the last night's, at once: the incomplete-teams page adds a territory's up (`selectors.team_gaps`) instead of
    reading every customer and team role of it. One INSERT … SELECT; returns the number of rows written."""
    sql, params = selectors.per_customer_roles(Customer.objects.all()).query.sql_with_params()
    grouped = f"SELECT region_id, tier, held, COUNT(*) FROM ({sql}) AS customers GROUP BY region_id, tier, held"
    return counts_replace(TeamGapCount, ["region_id", "tier", "held", "customers"], grouped, params)


@transaction.atomic
def manager_loads_snapshot() -> int:
    """The night's count of each account manager's customers (`ManagerLoad`), in place of the last night's, at once:
    the manager load page sorts a province's managers by it (`selectors.manager_load`). One INSERT … SELECT over the
    team roles' index; returns the number of rows written."""
    managed = TeamRole.objects.active().filter(role=CUSTOMER_MANAGER).order_by().values("user_id")
    counted = managed.annotate(path=Coalesce("user__region__path", Value("")), n=Count("pk"))
    sql, params = counted.values_list("user_id", "path", "n").query.sql_with_params()
    return counts_replace(ManagerLoad, ["user_id", "region_path", "customers"], sql, params)


def manager_loads_recount(user_ids: Iterable[int]) -> None:
    """Count the given managers' customers again, once the night has counted (a reassignment changed them): the
    load page shows what the reassignment did at once. A manager who no longer manages anyone counts 0."""
    _loads_recount(ManagerLoad, "customers", selectors.customer_manager_loads, user_ids)


def _loads_recount(model, field: str, count, user_ids: Iterable[int]) -> None:
    """Put `count(user_ids)` (user id → how many) in the load table `model`'s `field` for those users, in place
    of the night's figures; nothing while the night has not counted yet (the page then counts live)."""
    user_ids = list(user_ids)
    if not model.objects.exists():
        return
    counts = count(user_ids)
    paths = dict(User.objects.filter(pk__in=user_ids).values_list("pk", "region__path"))
    now = timezone.now()
    model.objects.bulk_create(
        [
            model(user_id=user, **{field: n}, region_path=paths.get(user) or "", computed_at=now)
            for user, n in counts.items()
        ],
        update_conflicts=True,
        unique_fields=["user"],
        update_fields=[field, "region_path", "computed_at"],
    )


# -- personal-VIP staffing (SPEC §4.3: one personal-VIP manager per 400 personal VIPs) ---------------------------


@transaction.atomic
def vip_loads_snapshot() -> int:
    """Each personal-VIP manager's personal VIPs in care (`VipLoad`), in place of the last count, at once: the load
    page sorts a territory's VIP managers by it (`selectors.vip_manager_load`). Run by the nightly KPI computation,
    after the night's VIP levels; one SELECT over today's assignments; returns the number of rows written."""
    cared = VipAssignment.objects.active().filter(selectors.VIP_OF_ASSIGNMENT).order_by().values("manager_id")
    counted = cared.annotate(path=Coalesce("manager__region__path", Value("")), n=Count("pk"))
    sql, params = counted.values_list("manager_id", "path", "n").query.sql_with_params()
    return counts_replace(VipLoad, ["user_id", "region_path", "vips"], sql, params)


def vip_loads_recount(user_ids: Iterable[int]) -> None:
    """Count the given managers' personal VIPs again (an assignment changed them), once the night has counted: the
    load page shows what the assignment did at once."""
    _loads_recount(VipLoad, "vips", selectors.vip_counts, user_ids)


def _vip_managers_checked(*, by: User, managers: list[User]) -> None:
    """Personal VIPs go to active account managers of `by`'s own pool (`selectors.vip_manager_candidates`)."""
    if not managers:
        raise ValidationError({"managers": _("Choose at least one personal-VIP manager.")})
    allowed = set(
        selectors.vip_manager_candidates(by).filter(pk__in=[m.pk for m in managers]).values_list("pk", flat=True)
    )
    outside = [m for m in managers if m.pk not in allowed]
    if outside:
        raise ValidationError(
            {
                "managers": _(
                    "%(names)s: personal VIPs go only to active account managers of your department or territory."
                )
                % {"names": "、".join(m.username for m in outside)}
            }
        )


def _vip_overload_refused(overloaded: list[tuple[User, int]], confirm_overload: bool) -> None:
    if overloaded and not confirm_overload:
        raise ValidationError(
            _("This would put %(names)s above %(capacity)s personal VIPs; confirm to go ahead.")
            % {
                "names": "、".join(f"{u.display_name} ({n})" for u, n in overloaded),
                "capacity": VIP_MANAGER_CAPACITY,
            },
            code="overload",
        )


@dataclass
class VipDealResult:
    dealt: int
    per_manager: dict[str, int]


@transaction.atomic
def vip_deal(
    *,
    by: User,
    region: Region,
    managers: list[User],
    confirm_overload: bool = False,
    on: datetime.date | None = None,
) -> VipDealResult:
    """Deal the personal VIPs of `region` in nobody's care among `managers` (SPEC §4.3), as the preview showed
    (`selectors.vip_deal_plan`): one at a time to whoever then has the fewest, each manager a run of them in
    customer order. One INSERT … SELECT, all or nothing; a deal that puts a manager above 400 needs
    `confirm_overload`. Department heads deal within their department's region, provincial staff their province."""
    on = on or timezone.localdate()
    require(by, "teams.assign_vips", region)
    _vip_managers_checked(by=by, managers=managers)
    plan = selectors.vip_deal_plan(by=by, region=region, managers=managers, on=on)
    if not plan.unassigned:
        raise ValidationError(
            {"region": _("Every personal VIP of %(region)s is in a manager's care already.") % {"region": region.name}}
        )
    _vip_overload_refused(plan.overloaded, confirm_overload)
    ranked = (
        selectors.vips_unassigned(by=by, region=region, on=on)
        .annotate(member_ref=F("pk"), rank=Window(RowNumber(), order_by=[F("customer_id").asc(), F("pk").asc()]))
        .values("member_ref", "rank")
    )
    select_sql, select_params = ranked.query.sql_with_params()
    arms, arm_params, upto = [], [], 0
    for manager in managers:
        if plan.taken[manager.pk]:
            upto += plan.taken[manager.pk]
            arms.append("WHEN q.rank <= %s THEN %s")
            arm_params += [upto, manager.pk]
    table = VipAssignment._meta.db_table
    sql = (
        f"INSERT INTO {table} (member_id, manager_id, starts_on, assigned_by_id) "  # noqa: S608 - names are ours
        f"SELECT q.member_ref, CASE {' '.join(arms)} END, %s, %s FROM ({select_sql}) AS q WHERE q.rank <= %s"
    )
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [*arm_params, on, by.pk, *select_params, upto])
            dealt = cursor.rowcount
    except IntegrityError as error:
        raise ValidationError(_("Someone else assigned these personal VIPs at the same time; look again.")) from error
    per_manager = {m.username: plan.taken[m.pk] for m in managers if plan.taken[m.pk]}
    audit.record(
        user=by,
        action=AuditAction.CREATE,
        object_type=VipAssignment._meta.label_lower,
        object_repr=f"{region.name}: {dealt}",
        region_path=region.path,
        detail={"vip_deal": region.code, "dealt": per_manager},
    )
    vip_loads_recount(m.pk for m in managers)
    return VipDealResult(dealt, per_manager)


@transaction.atomic
def vip_assign(
    *,
    by: User,
    member_ids: Iterable[int],
    manager: User | None,
    confirm_overload: bool = False,
    on: datetime.date | None = None,
) -> int:
    """Put chosen personal VIPs in `manager`'s care from `on` (today), ending the care they were in; with no
    manager, only end it. The members are those of customers `by` sees; one that is not (or is no personal VIP)
    refuses the whole. Returns how many changed hands."""
    on = on or timezone.localdate()
    ids = list(dict.fromkeys(member_ids))
    territory = territory_region(by)
    require(by, "teams.assign_vips", territory)
    if not ids:
        raise ValidationError({"members": _("Choose at least one personal VIP.")})
    found = set(
        GroupMember.objects.filter(selectors.VIP_MEMBER, pk__in=ids)
        .filter(customer__in=Customer.objects.visible_to(by))
        .values_list("pk", flat=True)
    )
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise ValidationError(
            {
                "members": _("These are not personal VIPs of customers you see: %(ids)s")
                % {"ids": ", ".join(map(str, missing))}
            }
        )
    if manager is not None:
        _vip_managers_checked(by=by, managers=[manager])
    current = list(VipAssignment.objects.select_for_update().filter(member_id__in=ids, ends_on__isnull=True))
    moving = [a for a in current if manager is None or a.manager_id != manager.pk]
    kept = {a.member_id for a in current if manager is not None and a.manager_id == manager.pk}
    new_ids = [pk for pk in ids if pk not in kept]
    if manager is not None:
        before = selectors.vip_counts([manager.pk], on)[manager.pk]
        after = before + len(new_ids)
        _vip_overload_refused([(manager, after)] if new_ids and after > VIP_MANAGER_CAPACITY else [], confirm_overload)
    touched = {a.manager_id for a in moving}
    for assignment in moving:
        # an assignment that began today and ends today covered no day: it is removed, not kept as history
        if assignment.starts_on >= on:
            assignment.delete()
        else:
            assignment.ends_on = on
            assignment.save(update_fields=["ends_on"])
    if manager is not None and new_ids:
        try:
            with transaction.atomic():
                VipAssignment.objects.bulk_create(
                    [VipAssignment(member_id=pk, manager=manager, starts_on=on, assigned_by=by) for pk in new_ids],
                    batch_size=2000,
                )
        except IntegrityError as error:
            raise ValidationError(
                _("Someone else assigned these personal VIPs at the same time; look again.")
            ) from error
        touched.add(manager.pk)
    audit.record(
        user=by,
        action=AuditAction.UPDATE if manager is not None else AuditAction.DELETE,
        object_type=VipAssignment._meta.label_lower,
        object_repr=f"{len(ids)} → {manager.username if manager else '—'}",
        region_path=territory.path if territory else "",
        detail={"members": ids, "manager": manager.username if manager else None},
    )
    vip_loads_recount(touched)
    return len(new_ids) if manager is not None else len(moving)
