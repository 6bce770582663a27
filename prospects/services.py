"""Writes of prospects (issue 21): filing one, claiming it from the pool (公海) within the province's limit, giving it
back, logging its visits, converting it into a customer with its team, and the nightly return of claims left
unvisited. Views, serializers, the admin and tasks call these."""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from accounts.models import Customer, CustomerStatus, LocationSource
from accounts.services import customer_create
from crm import audit
from crm.models import AuditAction, NotificationKind, Region, User
from crm.notifications import notify, phrase
from crm.periods import CLOCK_SKEW
from crm.permissions import require
from crm.services import scoped_setting_keep
from crm.visibility import NATIONAL_CODE, filing_regions
from teams.services import team_found

from . import selectors
from .models import ClaimRule, NewCustomerTarget, Prospect, ProspectStatus, ProspectVisit
from .rules import DEFAULT_RETURN_AFTER_DAYS, DUPLICATE_USCC

PROSPECT_FIELDS = ("name", "uscc", "region", "address", "latitude", "longitude")
CLAIM_FIELDS = ("status", "claimed_by", "claimed_at")


def _lock(prospect: Prospect) -> Prospect:
    return Prospect.objects.select_for_update(of=("self",)).select_related("region").get(pk=prospect.pk)


def _record(*, user: User | None, prospect: Prospect, before: dict[str, Any], fields=CLAIM_FIELDS, detail=None):
    audit.record(
        user=user,
        action=AuditAction.CREATE if not before else AuditAction.UPDATE,
        obj=prospect,
        region_path=prospect.region.path,
        changes=audit.diff(before, audit.snapshot(prospect, fields)),
        detail=detail,
    )


@transaction.atomic
def prospect_file(*, user: User, data: dict[str, Any]) -> Prospect:
    """File a company of the user's territory that is not yet a customer; it goes into the pool of its grid. Possible
    duplicates (`selectors.possible_duplicates`) are the caller's to show: they do not stop the filing."""
    unknown = set(data) - set(PROSPECT_FIELDS)
    if unknown:
        raise ValidationError({field: _("This field cannot be written.") for field in sorted(unknown)})
    prospect = Prospect(filed_by=user, status=ProspectStatus.POOL)
    for field, value in data.items():
        setattr(prospect, field, value.strip() if isinstance(value, str) else value)
    prospect.uscc = (prospect.uscc or "").upper() or None
    require(user, "prospects.file")
    prospect.full_clean(exclude=["filed_by"])
    if not filing_regions(user).filter(pk=prospect.region_id).exists():
        raise ValidationError({"region": _("You cannot file a prospect under a region outside your territory.")})
    prospect.save()
    _record(user=user, prospect=prospect, before={}, fields=PROSPECT_FIELDS)
    return prospect


@transaction.atomic
def prospect_claim(*, user: User, prospect: Prospect) -> Prospect:
    """Take a prospect of the pool (公海) to work it: grid and account managers of its territory, each holding at most
    the province's limit at a time (`selectors.claim_limits`)."""
    require(user, "prospects.claim", prospect)
    # One manager's claims follow one another: two at once cannot both pass the limit.
    User.objects.select_for_update().filter(pk=user.pk).first()
    stored = _lock(prospect)
    if stored.status != ProspectStatus.POOL:
        holder = stored.claimed_by.display_name if stored.claimed_by_id and stored.claimed_by else ""
        if stored.status == ProspectStatus.CLAIMED and stored.claimed_by_id == user.pk:
            raise ValidationError(_("You have claimed this prospect already."))
        if stored.status == ProspectStatus.CLAIMED:
            raise ValidationError(_("%(name)s has claimed this prospect already.") % {"name": holder})
        raise ValidationError(_("This prospect is a customer already."))
    limits = selectors.claim_limits(stored.region)
    held = selectors.claimed_count(user)
    if held >= limits.max_claimed:
        raise ValidationError(
            _(
                "You hold %(held)d prospects, the most one manager may claim in this province (%(limit)d): visit and "
                "convert them, or give one back, before claiming another."
            )
            % {"held": held, "limit": limits.max_claimed}
        )
    before = audit.snapshot(stored, CLAIM_FIELDS)
    stored.status, stored.claimed_by, stored.claimed_at = ProspectStatus.CLAIMED, user, timezone.now()
    stored.save(update_fields=[*CLAIM_FIELDS, "updated_at"])
    _record(user=user, prospect=stored, before=before)
    return stored


@transaction.atomic
def prospect_release(*, user: User, prospect: Prospect) -> Prospect:
    """Give a claimed prospect back to the pool: its holder, or the managers over its region."""
    stored = _lock(prospect)
    require(user, "prospects.work", stored)
    if stored.status != ProspectStatus.CLAIMED:
        raise ValidationError(_("Only a claimed prospect goes back to the pool."))
    before = audit.snapshot(stored, CLAIM_FIELDS)
    stored.status, stored.claimed_by, stored.claimed_at = ProspectStatus.POOL, None, None
    stored.save(update_fields=[*CLAIM_FIELDS, "updated_at"])
    _record(user=user, prospect=stored, before=before)
    return stored


@transaction.atomic
def prospect_visit_log(*, user: User, prospect: Prospect, data: dict[str, Any]) -> ProspectVisit:
    """A visit to a prospect (teams' visits are to customers): by its holder or the managers over its region; it
    renews the claim, which goes back to the pool only after the province's days without one."""
    stored = _lock(prospect)
    require(user, "prospects.work", stored)
    if stored.status == ProspectStatus.CONVERTED:
        raise ValidationError(_("This prospect is a customer now: log the visit on the customer."))
    visited_at = data.get("visited_at") or timezone.now()
    if visited_at > timezone.now() + CLOCK_SKEW:
        raise ValidationError({"visited_at": _("A visit cannot be logged for a time still to come.")})
    visit = ProspectVisit(prospect=stored, visitor=user, visited_at=visited_at, summary=data.get("summary", "").strip())
    visit.full_clean(exclude=["prospect", "visitor"])
    visit.save()
    if stored.last_visited_at is None or visited_at > stored.last_visited_at:
        stored.last_visited_at = visited_at
        stored.save(update_fields=["last_visited_at", "updated_at"])
    audit.record(
        user=user,
        action=AuditAction.CREATE,
        obj=visit,
        region_path=stored.region.path,
        changes=audit.diff({}, {"visited_at": visited_at, "summary": visit.summary}),
    )
    return visit


CONVERT_FIELDS = ("code", "industry", "customer_manager")


@transaction.atomic
def prospect_convert(*, user: User, prospect: Prospect, data: dict[str, Any]) -> Customer:
    """Make the prospect an active customer of its region (its name, USCC, address and location; the BOSS `code`
    given) with its team: `customer_manager` if named (one of `selectors.customer_manager_candidates`), else whoever
    holds the prospect, else the one converting it. A prospect that is the same company as an existing customer (its
    USCC, or a similar name at the same address) is refused, and nothing is written."""
    stored = _lock(prospect)
    require(user, "prospects.work", stored)
    if stored.status == ProspectStatus.CONVERTED:
        raise ValidationError(_("This prospect is a customer already."))
    unknown = set(data) - set(CONVERT_FIELDS)
    if unknown:
        raise ValidationError({field: _("This field cannot be written.") for field in sorted(unknown)})
    duplicates = selectors.possible_duplicates(
        user=user, name=stored.name, address=stored.address, uscc=stored.uscc, prospects=False
    )
    if duplicates:
        first = duplicates[0]
        message = (
            _("%(name)s (%(code)s) has this unified social credit code already: it is a customer.")
            if first.reason == DUPLICATE_USCC
            else _("%(name)s (%(code)s) at the same address is a customer already: this prospect duplicates it.")
        )
        raise ValidationError({"prospect": message % {"name": first.name, "code": first.code}})
    if selectors.customer_with_uscc_exists(stored.uscc):
        raise ValidationError(
            {"prospect": _("A customer with this unified social credit code exists already: this prospect is one.")}
        )
    named = data.get("customer_manager")
    if named is not None and not selectors.customer_manager_candidates(stored.region).filter(pk=named.pk).exists():
        raise ValidationError(
            {
                "customer_manager": _(
                    "%(name)s cannot be its customer manager: a customer manager is an active account manager of "
                    "the prospect's province."
                )
                % {"name": named.display_name}
            }
        )
    manager = named or stored.claimed_by or user
    customer = customer_create(
        user=user,
        data={
            "code": data.get("code", ""),
            "name": stored.name,
            "uscc": stored.uscc,
            "industry": data.get("industry"),
            "region": stored.region,
            "address": stored.address,
            "status": CustomerStatus.ACTIVE,
        },
        # where the grid's staff found the company: the position its on-site visits are checked against
        location=(stored.latitude, stored.longitude)
        if stored.latitude is not None and stored.longitude is not None
        else None,
        location_source=LocationSource.PROSPECT,
    )
    team_found(by=user, customer=customer, customer_manager=manager)
    before = audit.snapshot(stored, ("status", "customer"))
    stored.status, stored.customer = ProspectStatus.CONVERTED, customer
    stored.converted_at, stored.converted_by = timezone.now(), user
    stored.save(update_fields=["status", "customer", "converted_at", "converted_by", "updated_at"])
    _record(user=user, prospect=stored, before=before, fields=("status", "customer"), detail={"code": customer.code})
    return customer


# -- the nightly return of claims left unvisited --------------------------------------------------------------------


def _idle(now: datetime.datetime) -> Q:
    """Claimed prospects neither claimed nor visited within their province's days (the national rule's, or the
    default, where the province has none), as one condition over the table."""
    rules = dict(ClaimRule.objects.values_list("region__path", "return_after_days"))
    national_path = Region.build_path(NATIONAL_CODE, None)
    default_days = rules.pop(national_path, DEFAULT_RETURN_AFTER_DAYS)

    def idle_for(days: int) -> Q:
        cut = now - datetime.timedelta(days=days)
        return Q(claimed_at__lt=cut) & (Q(last_visited_at__isnull=True) | Q(last_visited_at__lt=cut))

    condition = Q()
    elsewhere = Q()
    for path, days in rules.items():
        condition |= Q(region__path__startswith=path) & idle_for(days)
        elsewhere &= ~Q(region__path__startswith=path)
    return Q(status=ProspectStatus.CLAIMED) & (condition | (elsewhere & idle_for(default_days)))


@transaction.atomic
def prospects_return_idle(*, now: datetime.datetime | None = None) -> int:
    """Give back to the pool every claim left without a visit for its province's days, in one UPDATE, each on the
    audit trail; each manager who lost some is told which. Returns how many went back."""
    now = now or timezone.now()
    idle = list(
        Prospect.objects.select_for_update(of=("self",))
        .filter(_idle(now))
        .values_list("pk", "name", "claimed_by_id", "claimed_at", "region__path")
    )
    if not idle:
        return 0
    Prospect.objects.filter(pk__in=[row[0] for row in idle]).update(
        status=ProspectStatus.POOL, claimed_by=None, claimed_at=None, updated_at=now
    )
    audit.record_many(
        [
            audit.entry(
                user=None,
                action=AuditAction.UPDATE,
                object_type=Prospect._meta.label_lower,
                object_id=str(pk),
                object_repr=name,
                region_path=path,
                changes={"status": ["claimed", "pool"], "claimed_by": [holder, None], "claimed_at": [claimed, None]},
                detail={"returned": "no visit within the claim rule's days"},
            )
            for pk, name, holder, claimed, path in idle
        ]
    )
    names: dict[int, list[str]] = defaultdict(list)
    for _pk, name, holder, _claimed, _path in idle:
        names[holder].append(name)
    for holder, returned in names.items():
        notify(
            recipients=[holder],
            kind=NotificationKind.PROSPECT_RETURNED,
            title=phrase(
                ngettext_lazy(
                    "%(count)d prospect went back to the pool", "%(count)d prospects went back to the pool", "count"
                ),
                {"count": len(returned)},
            ),
            body=phrase(
                gettext_lazy("Not visited in time: %(names)s"),
                {"names": "、".join(returned[:20])},
            ),
            url=reverse("prospects:list"),
        )
    return len(idle)


# -- the claim rules and new-customer targets (kept from the browser by provincial staff and headquarters) ---------


@transaction.atomic
def claim_rule_set(
    *, user: User, region: Region, max_claimed: int | None, return_after_days: int | None
) -> ClaimRule | None:
    """Set the claim rule of a province (provincial staff, their own) or the national default (headquarters): at
    most `max_claimed` prospects held by one manager, each back in the pool after `return_after_days` days without a
    visit. Both None removes the region's own rule (the national one, or the built-in defaults, apply again); one
    without the other is refused."""
    require(user, "prospects.keep_claim_rules", region)
    if (max_claimed is None) != (return_after_days is None):
        raise ValidationError(
            {
                name: _("Give both limits, or leave both empty to take the level above's.")
                for name, value in (("max_claimed", max_claimed), ("return_after_days", return_after_days))
                if value is None
            }
        )
    return scoped_setting_keep(
        user=user,
        region=region,
        model=ClaimRule,
        keys={"region": region},
        fields=("max_claimed", "return_after_days"),
        values=None if max_claimed is None else {"max_claimed": max_claimed, "return_after_days": return_after_days},
    )


@transaction.atomic
def new_customer_target_set(*, user: User, region: Region, year: int, target: int | None) -> NewCustomerTarget | None:
    """Set (or with None, remove) how many new group customers a grid, county, city or province is to file in a year:
    provincial staff over their province's regions, headquarters any."""
    require(user, "prospects.keep_targets", region)
    return scoped_setting_keep(
        user=user,
        region=region,
        model=NewCustomerTarget,
        keys={"region": region, "year": year},
        fields=("target",),
        values=None if target is None else {"target": target},
        detail={"year": year},
    )
