"""Writes of tiering: the recompute of customers' tiers (SPEC §4.2)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Customer, GroupMember, Tier
from accounts.services import customer_lock, vip_levels_apply
from crm import audit, versions
from crm.jobs import job_run_in_process, plan_id_ranges
from crm.models import AuditAction, Region, RegionLevel, User
from crm.permissions import require
from crm.services import job_chunk_claim, job_chunk_failed, job_run_close, job_run_exclusive
from crm.snapshots import counts_replace
from crm.visibility import territory_region

from .bulk import apply_rules, with_whole_groups
from .models import OverrideStatus, Rule, RuleSet, RuleSetStatus, TierChange, TierCount, TierJobRun, TierOverride
from .notices import override_decided_notified, override_requested_notified
from .rules import uses_group_handsets
from .selectors import NATIONAL, published_rule_set, rule_set_for_region

# Customers per chunk: a no-change rerun costs each chunk 20–25 ms beside its SQL (the statement built, the run
# recorded, the task handed over), a fifth of a 50 000-customer chunk's time; at 100 000 the nightly job on two
# workers reruns a million unchanged customers in 1.6–1.8 s against 1.9–2.0 s.
CHUNK_SIZE = 100_000


@dataclass(frozen=True)
class Chunk:
    """Customers with ids in [first_id, last_id] within `region_codes` (None: everywhere), under one rule set."""

    rule_set_id: int
    first_id: int
    last_id: int
    region_codes: tuple[str, ...] | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Chunk:
        """The chunk a task message carries (`dataclasses.asdict`); JSON has turned its region codes into a list."""
        codes = data["region_codes"]
        return cls(**{**data, "region_codes": tuple(codes) if codes else None})


def _customers(chunk: Chunk):
    customers = Customer.objects.filter(id__gte=chunk.first_id, id__lte=chunk.last_id)
    if chunk.region_codes is not None:
        customers = customers.filter(region_id__in=chunk.region_codes)
    return customers


def _members(chunk: Chunk):
    """The group members of the chunk's customers, by the range of their customer key (its index)."""
    members = GroupMember.objects.filter(customer_id__gte=chunk.first_id, customer_id__lte=chunk.last_id)
    if chunk.region_codes is not None:
        members = members.filter(customer__region_id__in=chunk.region_codes)
    return members


def plan_chunks(scope: Region, chunk_size: int | None = None) -> Iterator[Chunk]:
    """Split the customers of `scope` into id ranges, each under the rule set in force for its province."""
    chunk_size = chunk_size or CHUNK_SIZE
    national = published_rule_set(None)
    provincial = {rs.scope_id: rs.pk for rs in RuleSet.objects.filter(status="published", scope__level="province")}
    parts: list[tuple[int, tuple[str, ...] | None]]  # (rule set id, region codes as in Chunk)
    if scope.code == NATIONAL and not provincial:
        parts = [(national.pk, None)]  # one rule set everywhere: no region filter at all
    elif scope.code == NATIONAL:
        provinces = Region.objects.filter(level=RegionLevel.PROVINCE).values_list("code", flat=True)
        parts = [(provincial.get(code, national.pk), _subtree_codes(code)) for code in provinces]
    else:
        province = scope.ancestor_codes()[1]
        parts = [(provincial.get(province, national.pk), _subtree_codes(scope.code))]
    for rule_set_id, codes in parts:
        customers = Customer.objects.all() if codes is None else Customer.objects.filter(region_id__in=codes)
        for first_id, last_id in plan_id_ranges(customers, chunk_size):
            yield Chunk(rule_set_id, first_id, last_id, codes)


def _subtree_codes(code: str) -> tuple[str, ...]:
    region = Region.objects.get(code=code)
    return tuple(Region.objects.subtree(region).values_list("code", flat=True))


def tier_chunk_apply(*, run_id: int, chunk: Chunk) -> int:
    """Recompute one chunk's tiers, and its customers' members' VIP levels, in one transaction, and add the
    counts to the run; returns the number of customers changed."""
    rule_set = RuleSet.objects.prefetch_related("rules").get(pk=chunk.rule_set_id)
    run = TierJobRun.objects.select_related("triggered_by__region").get(pk=run_id)
    with transaction.atomic():
        # A chunk delivered a second time (its worker died after committing) finds itself over and does nothing.
        if not job_chunk_claim(run_model=TierJobRun, run_id=run_id, first_id=chunk.first_id):
            return 0
        customers = _customers(chunk)
        seen = customers.count()
        changed = apply_rules(customers, rule_set.specs(), rule_set.pk, source=run.source, user=run.triggered_by)
        members_changed = vip_levels_apply(_members(chunk))
        TierJobRun.objects.filter(pk=run_id).update(
            chunks_done=F("chunks_done") + 1,
            customers_seen=F("customers_seen") + seen,
            customers_changed=F("customers_changed") + changed,
            members_changed=F("members_changed") + members_changed,
        )
    return changed


def tier_chunk_failed(*, run_id: int, chunk: Chunk, error: str) -> None:
    job_chunk_failed(run_model=TierJobRun, run_id=run_id, first_id=chunk.first_id, last_id=chunk.last_id, error=error)


def tier_run_finish(*, run_id: int) -> TierJobRun:
    run = job_run_close(TierJobRun.objects.select_related("triggered_by__region", "scope").get(pk=run_id))
    tier_counts_snapshot()  # the quota report's counts, as the tiers now stand
    audit.record(
        user=run.triggered_by,
        action=AuditAction.RUN,
        obj=run,
        region_path=run.scope.path,
        detail={
            "job": "tier_recompute",
            "status": run.status,
            "customers_seen": run.customers_seen,
            "customers_changed": run.customers_changed,
        },
    )
    return run


@transaction.atomic
def tier_counts_snapshot() -> int:
    """The tiered customers counted per region and tier (`TierCount`), in place of the last counts at once: the
    quota report adds a province's up instead of grouping its customers. One INSERT … SELECT (0.3–0.5 s at a million
    customers); returns the number of rows written."""
    grouped = Customer.objects.filter(tier__isnull=False).order_by().values_list("region_id", "tier")
    sql, params = grouped.annotate(n=Count("pk")).query.sql_with_params()
    return counts_replace(TierCount, ["region_id", "tier", "customers"], sql, params)


def tier_recompute(
    *,
    scope: Region,
    triggered_by: User | None = None,
    source: str = "manual",
    progress: Callable[[TierJobRun], None] | None = None,
) -> TierJobRun:
    """Recompute every customer of `scope` here and now, chunk after chunk, recording the run; refused (JobBusy)
    while another recompute over the scope runs."""

    def start(*, chunks_total: int) -> TierJobRun:
        return tier_run_start(scope=scope, triggered_by=triggered_by, source=source, chunks_total=chunks_total)

    def finish(*, run_id: int, results: list[int]) -> TierJobRun:
        return tier_run_finish(run_id=run_id)  # the counts are on the run already

    return job_run_in_process(
        chunks=plan_chunks(scope),
        start=start,
        apply=tier_chunk_apply,
        record_failure=tier_chunk_failed,
        finish=finish,
        progress=progress,
    )


@transaction.atomic
def tier_run_start(*, scope: Region, source: str, chunks_total: int, triggered_by: User | None = None) -> TierJobRun:
    """Record a new recompute of `scope`: one at a time over any part of the territory (a province's waits for
    none but its own and the national one's)."""
    ancestors = [scope.path[: index + 1] for index, char in enumerate(scope.path) if char == "/"]
    overlapping = Q(scope__path__startswith=scope.path) | Q(scope__path__in=ancestors)

    def busy(run: TierJobRun) -> str:
        return _("A recompute of %(scope)s, started at %(at)s, is still running: wait for it to end.") % {
            "scope": run.scope.name,
            "at": timezone.localtime(run.started_at).strftime("%Y-%m-%d %H:%M"),
        }

    job_run_exclusive(TierJobRun, overlapping, busy)
    return TierJobRun.objects.create(scope=scope, triggered_by=triggered_by, source=source, chunks_total=chunks_total)


def tier_run_abandon(*, run: TierJobRun, reason: str) -> TierJobRun:
    """A run that could not be handed to the workers: failed, with why."""
    run.errors = [*run.errors, {"error": reason}]
    return job_run_close(run, also=("errors",))


def _log_change(customer: Customer, before: str | None, after: str | None, source: str) -> None:
    if before != after:
        TierChange.objects.create(
            customer=customer,
            from_tier=before or "",
            to_tier=after or "",
            changed_at=timezone.now(),
            source=source,
            rule_set_id=customer.tier_rule_set_id,
        )


def one_year_after(day: datetime.date) -> datetime.date:
    """The same day a year on (28 February for 29 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


OVERRIDE_FIELDS = ("tier", "reason", "expires_on")
REQUEST_FIELDS = (*OVERRIDE_FIELDS, "status")


def _override_errors(*, tier: str, reason: str, expires_on: datetime.date | None) -> dict[str, str]:
    """What is wrong with a manual tier, by field (empty when nothing is): the same for a request and a direct set."""
    errors: dict[str, str] = {}
    if tier not in Tier.values:
        errors["tier"] = _("Choose one of the tiers %(tiers)s.") % {"tiers": "、".join(Tier.values)}
    if not (reason or "").strip():
        errors["reason"] = _("Say why the tier is set by hand.")
    today = timezone.localdate()
    if expires_on is None or expires_on < today:
        errors["expires_on"] = _("The expiry date cannot be in the past.")
    elif expires_on > one_year_after(today):
        # A tier set by hand is reviewed at least yearly, as the tiering cycle is; 9999-12-31 would be for ever.
        errors["expires_on"] = _("An override expires within one year, on %(last)s at the latest.") % {
            "last": one_year_after(today)
        }
    return errors


def _override_put_in_force(*, override: TierOverride, stored: Customer, user: User, save: Callable[[], None]) -> None:
    """The customer takes the override's tier now. The override in force before (if any) is removed first, replaced
    (at most one is in force: a constraint), then `save` stores the new one as approved; the change of tier is
    appended to the history (source `override`) and to the audit trail. The caller holds the customer's lock
    (`customer_lock`)."""
    now = timezone.now()
    in_force = TierOverride.objects.filter(
        customer_id=stored.pk, status=OverrideStatus.APPROVED, removed_at__isnull=True
    )
    replaced = list(in_force.exclude(pk=override.pk).select_related("customer"))  # named by code on the trail
    TierOverride.objects.filter(pk__in=[old.pk for old in replaced]).update(
        status=OverrideStatus.REMOVED, removed_at=now, removed_by=user
    )
    save()
    for old in replaced:
        audit.record(
            user=user,
            action=AuditAction.UPDATE,
            obj=old,
            customer=stored,
            changes={"status": [OverrideStatus.APPROVED.value, OverrideStatus.REMOVED.value]},
            detail={"replaced_by": override.pk},
        )
    Customer.objects.filter(pk=stored.pk).update(tier=override.tier)
    _log_change(stored, stored.tier, override.tier, "override")
    if stored.tier != override.tier:
        audit.record(
            user=user,
            action=AuditAction.UPDATE,
            obj=stored,
            customer=stored,
            changes={"tier": [stored.tier, override.tier]},
        )


@transaction.atomic
def tier_override_set(*, customer: Customer, user: User, tier: str, reason: str, expires_on) -> TierOverride:
    """Set a customer's tier by hand until `expires_on` (provincial staff, headquarters): approved at once, it
    replaces an override already in force. A request waiting for a decision is left to be decided."""
    require(user, "tiering.override_tier", customer)
    if errors := _override_errors(tier=tier, reason=reason, expires_on=expires_on):
        raise ValidationError(errors)
    stored = customer_lock(customer)  # tier changes of one customer follow one another, and so does its history
    now = timezone.now()
    override = TierOverride(
        customer=customer,
        tier=tier,
        reason=reason.strip(),
        expires_on=expires_on,
        status=OverrideStatus.APPROVED,
        set_by=user,
        decided_by=user,
        decided_at=now,
    )
    override.full_clean(validate_constraints=False)  # the override in force makes way when it is saved

    def save() -> None:
        override.save()
        audit.record_created(user=user, obj=override, fields=OVERRIDE_FIELDS, customer=stored)

    _override_put_in_force(override=override, stored=stored, user=user, save=save)
    return override


@transaction.atomic
def tier_override_remove(*, customer: Customer, user: User) -> None:
    """End the override in force; the customer goes back to the tier the rules give."""
    require(user, "tiering.override_tier", customer)
    stored = customer_lock(customer)
    in_force = list(
        TierOverride.objects.filter(
            customer=customer, status=OverrideStatus.APPROVED, removed_at__isnull=True
        ).select_related("customer")
    )
    if not in_force:
        raise ValidationError({"tier": _("This customer has no override in force.")})
    now = timezone.now()
    TierOverride.objects.filter(pk__in=[override.pk for override in in_force]).update(
        status=OverrideStatus.REMOVED, removed_at=now, removed_by=user
    )
    for override in in_force:
        audit.record(
            user=user,
            action=AuditAction.DELETE,
            obj=override,
            customer=stored,
            changes={"status": [OverrideStatus.APPROVED.value, OverrideStatus.REMOVED.value]},
        )
    tier_refresh(customer=customer, source="override", user=user)


@transaction.atomic
def tier_override_request(
    *, customer: Customer, user: User, tier: str, reason: str, expires_on: datetime.date | None
) -> TierOverride:
    """Ask provincial staff to set a customer's tier by hand (a department head or the customer's manager): the
    tier must differ from the one the rules give; one request per customer waits at a time. Nothing changes until
    the request is approved (`tier_override_approve`)."""
    require(user, "tiering.request_override", customer)
    stored = customer_lock(customer)  # one request at a time, against the tier the rules give now
    errors = _override_errors(tier=tier, reason=reason, expires_on=expires_on)
    if "tier" not in errors and stored.computed_tier and tier == stored.computed_tier:
        errors["tier"] = _("The rules give tier %(tier)s already: ask for another tier.") % {"tier": tier}
    waiting = TierOverride.objects.pending().filter(customer=customer).select_related("set_by").first()
    if waiting is not None:
        errors[NON_FIELD_ERRORS] = _(
            "A request for tier %(tier)s by %(who)s on %(on)s waits for a decision already: wait for it, or ask its "
            "requester to withdraw it."
        ) % {
            "tier": waiting.tier,
            "who": waiting.set_by.display_name,
            "on": timezone.localtime(waiting.set_at).strftime("%Y-%m-%d"),
        }
    if errors:
        raise ValidationError(errors)
    assert expires_on is not None  # an expiry is required (`_override_errors`)
    override = TierOverride(
        customer=customer,
        tier=tier,
        reason=reason.strip(),
        expires_on=expires_on,
        status=OverrideStatus.REQUESTED,
        set_by=user,
    )
    override.full_clean()
    override.save()
    audit.record_created(user=user, obj=override, fields=REQUEST_FIELDS, customer=stored)
    override_requested_notified(override=override)
    return override


def _pending_locked(override: TierOverride) -> tuple[TierOverride, Customer]:
    """The customer locked, then the request as stored; refused unless it still waits for a decision."""
    stored = customer_lock(override.customer)
    current = TierOverride.objects.select_related("set_by", "customer").get(pk=override.pk)
    if current.status != OverrideStatus.REQUESTED:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: _("This request no longer waits for a decision: it is %(status)s.")
                % {"status": current.get_status_display()}
            }
        )
    return current, stored


def _decide(*, override: TierOverride, stored: Customer, user: User, status: str, note: str) -> None:
    """Record the decision on a request, and put it on the audit trail."""
    override.status = status
    override.decided_by = user
    override.decided_at = timezone.now()
    override.decision_note = note
    override.full_clean(validate_constraints=False)  # an approval replaces the override in force as it is saved
    override.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit.record(
        user=user,
        action=AuditAction.UPDATE,
        obj=override,
        customer=stored,
        changes={"status": [OverrideStatus.REQUESTED.value, status]},
        detail={"note": note} if note else {},
    )
    override_decided_notified(by=user, override=override)


@transaction.atomic
def tier_override_approve(*, override: TierOverride, user: User, note: str = "") -> TierOverride:
    """Approve a request (provincial staff or headquarters over the customer, not its requester): the customer
    takes the tier at once, as when staff set it directly, replacing the override in force."""
    require(user, "tiering.decide_override", override)
    current, stored = _pending_locked(override)
    if current.expires_on < timezone.localdate():
        raise ValidationError(
            {
                "expires_on": _("The request expired on %(on)s before it was decided: reject it.")
                % {"on": current.expires_on}
            }
        )

    def save() -> None:
        _decide(override=current, stored=stored, user=user, status=OverrideStatus.APPROVED, note=(note or "").strip())

    _override_put_in_force(override=current, stored=stored, user=user, save=save)
    return current


@transaction.atomic
def tier_override_reject(*, override: TierOverride, user: User, note: str) -> TierOverride:
    """Reject a request, saying why (provincial staff or headquarters over the customer, not its requester); the
    tier stays as it is."""
    require(user, "tiering.decide_override", override)
    if not (note or "").strip():
        raise ValidationError({"note": _("Say why the request is rejected.")})
    current, stored = _pending_locked(override)
    _decide(override=current, stored=stored, user=user, status=OverrideStatus.REJECTED, note=note.strip())
    return current


@transaction.atomic
def tier_override_withdraw(*, override: TierOverride, user: User) -> TierOverride:
    """Withdraw one's own request while it waits for a decision."""
    require(user, "tiering.withdraw_override", override)
    current, stored = _pending_locked(override)
    current.status = OverrideStatus.WITHDRAWN
    current.removed_at = timezone.now()
    current.removed_by = user
    current.save(update_fields=["status", "removed_at", "removed_by"])
    audit.record(
        user=user,
        action=AuditAction.UPDATE,
        obj=current,
        customer=stored,
        changes={"status": [OverrideStatus.REQUESTED.value, OverrideStatus.WITHDRAWN.value]},
    )
    return current


def tier_refresh(
    *, customer: Customer, source: str = "manual", user: User | None = None, former_parent_id: int | None = None
) -> Customer:
    """Evaluate one customer now under the rules in force for its region (after an edit, or when an override
    ends) instead of waiting for the night; the customer object is refreshed with the result. `former_parent_id`:
    the parent the edit took it away from, whose group is recomputed with it (it lost the customer's handsets)."""
    one = Customer.objects.filter(pk=customer.pk)
    left = Customer.objects.filter(pk=former_parent_id) if former_parent_id is not None else None
    if customer.parent_id is not None or left is not None or Customer.objects.filter(parent_id=customer.pk).exists():
        # in a group, or just out of one: under a rule on the group's total handsets its whole group, and the one it
        # left, are recomputed (`tiers_apply`)
        tiers_apply(customers=one, source=source, user=user, groups_left=left)
    else:
        rule_set = rule_set_for_region(customer.region)
        apply_rules(one, rule_set.specs(), rule_set.pk, source=source, user=user)
    customer.refresh_from_db(fields=["tier", "computed_tier", "tier_reasons", "tier_rule_set"])
    return customer


def tiers_apply(
    *,
    customers: QuerySet[Customer],
    source: str,
    user: User | None = None,
    groups_left: QuerySet[Customer] | None = None,
) -> int:
    """Recompute the tiers of `customers` set-based, each under the rule set in force in its province (its own
    published set, else the national one); returns how many customers changed. An import recomputes the customers
    it touched this way (source `import`). Members' VIP levels are not touched: they follow ARPU, which a customer's
    fields do not change.

    `groups_left`: customers of the groups that `customers` just left (their former parents), recomputed whole with
    them when a rule reads the group's total handsets, which their leaving lowered; under other rules they are not
    touched (nothing of theirs changed)."""
    national = published_rule_set(None)
    changed = 0
    own = list(
        RuleSet.objects.filter(status=RuleSetStatus.PUBLISHED, scope__level=RegionLevel.PROVINCE)
        .select_related("scope")
        .prefetch_related("rules")
    )
    if any(uses_group_handsets(rule_set.specs()) for rule_set in (national, *own)):
        # A rule on the group's total handsets: a customer's handsets, or its place in a group, move the total of
        # its whole group, so every group these customers are in is recomputed whole, headquarters and branches,
        # each customer under the set in force where it lies; so is every group one of them has just left.
        if groups_left is not None:
            customers = Customer.objects.filter(
                Q(pk__in=customers.order_by().values("pk")) | Q(pk__in=groups_left.order_by().values("pk"))
            )
        customers = with_whole_groups(customers)
    rest = customers
    for rule_set in own:
        in_province = customers.filter(region__path__startswith=rule_set.scope.path)
        changed += apply_rules(in_province, rule_set.specs(), rule_set.pk, source=source, user=user)
        rest = rest.exclude(region__path__startswith=rule_set.scope.path)
    changed += apply_rules(rest, national.specs(), national.pk, source=source, user=user)
    return changed


def _rule_set_scope_for(user: User) -> Region:
    require(user, "tiering.manage_rules")
    scope = territory_region(user)
    if scope is None:
        raise PermissionDenied(_("You have no territory to keep tier rules for."))
    return scope


@transaction.atomic
def rule_set_draft_create(*, user: User) -> RuleSet:
    """A new draft for the user's scope (their province, or the nation for headquarters), copied from the rules
    in force there."""
    scope = _rule_set_scope_for(user)
    source = published_rule_set(scope if scope.code != NATIONAL else None)
    version = (RuleSet.objects.filter(scope=scope).aggregate(last=Max("version"))["last"] or 0) + 1
    draft = RuleSet.objects.create(
        scope=scope,
        version=version,
        name=source.name if source.scope_id == scope.code else f"{scope.name}分级规则",
        status=RuleSetStatus.DRAFT,
        effective_on=timezone.localdate(),
        target_a_share=source.target_a_share,
        target_b_share=source.target_b_share,
        target_c_share=source.target_c_share,
    )
    Rule.objects.bulk_create(
        Rule(
            rule_set=draft,
            tier=r.tier,
            field=r.field,
            operator=r.operator,
            threshold=r.threshold,
            industries=r.industries,
            label=r.label,
        )
        for r in source.rules.all()
    )
    audit.record(
        user=user,
        action=AuditAction.CREATE,
        obj=draft,
        region_path=scope.path,
        changes=audit.diff({}, rule_set_facts(draft)),
        detail={"copied_from": source.pk},
    )
    return draft


RULE_SET_FIELDS = ("name", "effective_on", "target_a_share", "target_b_share", "target_c_share")


def rule_set_facts(rule_set: RuleSet) -> dict[str, Any]:
    """A rule set as the audit trail and its version read it: its fields, its status and each of its rules."""
    return {
        **audit.snapshot(rule_set, (*RULE_SET_FIELDS, "status")),
        "rules": sorted(
            " ".join(
                part
                for part in (
                    f"{rule.tier}:",
                    rule.field,
                    rule.operator,
                    "" if rule.threshold is None else str(rule.threshold),
                    ",".join(rule.industries),
                    rule.label,
                )
                if part
            )
            for rule in Rule.objects.filter(rule_set=rule_set)
        ),
    }


def rule_set_version(rule_set: RuleSet) -> str:
    """The version of a rule set with its rules (`crm.versions`), which its page carries."""
    return versions.digest(rule_set_facts(rule_set))


def _rule_set_locked(rule_set: RuleSet, user: User, version: str | list[str] | None) -> dict[str, Any]:
    """Lock the set's row, check the user may change it and that it is the version they saw; its facts now."""
    stored = RuleSet.objects.select_for_update().select_related("scope").get(pk=rule_set.pk)
    require(user, "tiering.change_rule_set", stored)
    if stored.status != RuleSetStatus.DRAFT:
        raise ValidationError({"status": _("Only a draft can be changed or published.")})
    facts = rule_set_facts(stored)
    versions.check(stored, version, fields=RULE_SET_FIELDS, current=versions.digest(facts), values=facts)
    return facts


@transaction.atomic
def rule_set_draft_save(
    *, user: User, rule_set: RuleSet, save: Callable[[], None], version: str | list[str] | None = None
) -> RuleSet:
    """Save an edit of a draft: `save` writes it (the page's form and rule forms), with the set's row locked, after
    the check that it is the version the user saw (StaleVersion); each field and rule changed goes to the trail."""
    before = _rule_set_locked(rule_set, user, version)
    save()
    if changes := audit.diff(before, rule_set_facts(rule_set)):
        audit.record(
            user=user, action=AuditAction.UPDATE, obj=rule_set, region_path=rule_set.scope.path, changes=changes
        )
    return rule_set


@transaction.atomic
def rule_set_publish(*, rule_set: RuleSet, user: User, version: str | list[str] | None = None) -> RuleSet:
    """Publish a draft: the set in force in its scope retires, this one takes over from the next recompute. With
    the `version` the user saw, a draft changed meanwhile is not published (StaleVersion)."""
    if rule_set.status != RuleSetStatus.DRAFT:
        raise ValidationError({"status": _("Only a draft can be published.")})
    require(user, "tiering.change_rule_set", rule_set)
    _rule_set_locked(rule_set, user, version)
    if not rule_set.rules.exists():
        raise ValidationError({"rules": _("A rule set needs at least one rule.")})
    retired = list(RuleSet.objects.filter(scope=rule_set.scope, status=RuleSetStatus.PUBLISHED))
    RuleSet.objects.filter(pk__in=[old.pk for old in retired]).update(status=RuleSetStatus.RETIRED)
    rule_set.status = RuleSetStatus.PUBLISHED
    rule_set.published_at = timezone.now()
    rule_set.save(update_fields=["status", "published_at"])
    for changed, before, after in [
        *((old, RuleSetStatus.PUBLISHED, RuleSetStatus.RETIRED) for old in retired),
        (rule_set, RuleSetStatus.DRAFT, RuleSetStatus.PUBLISHED),
    ]:
        audit.record(
            user=user,
            action=AuditAction.UPDATE,
            obj=changed,
            region_path=rule_set.scope.path,
            changes={"status": [str(before), str(after)]},
        )
    return rule_set
