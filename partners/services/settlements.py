"""Monthly commission settlements (酬金结算, issue 20, point 3): computed set-based for a province (or one partner)
once the month is over, reviewed and approved by provincial staff; an approved settlement never changes, and what
changed in it afterwards goes into the next settlement computed, as correction lines (`partners.bulk`)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Max, Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm import audit
from crm.jobs import IdRange, plan_id_ranges
from crm.models import AuditAction, JobStatus, Partner, Region, User
from crm.permissions import require
from crm.services import job_chunk_claim, job_chunk_failed, job_run_close, job_run_exclusive
from partners import bulk
from partners.models import Settlement, SettlementJobRun, SettlementLine, SettlementStatus

from ..months import format_month, is_over, months_before, open_month_message


@dataclass(frozen=True)
class SettlementRun:
    """What one computation did: the month, the settlements computed (drafts) and those left as approved, their
    lines (of which corrections of earlier months) and their total."""

    period: str
    computed: int
    approved_left: int
    lines: int
    corrections: int
    total: Decimal


def _refuse_open(month: datetime.date, today: datetime.date) -> None:
    if not is_over(month, today):
        raise ValidationError({"period": open_month_message(month)})


@transaction.atomic
def settlements_compute(
    *,
    user: User,
    month: datetime.date,
    region: Region | None = None,
    partner: Partner | None = None,
    today: datetime.date | None = None,
) -> SettlementRun:
    """Compute (again) the settlements of `month` (its first day) of one partner, or of every partner whose territory
    lies in `region` and whose contract ran on any day of the month: each a draft with its lines, the corrections
    of approved earlier months included. Approved settlements are left as they are; asked for one partner whose
    settlement is approved, it is refused."""
    if (region is None) == (partner is None):
        raise ValueError("settlements_compute takes a region or a partner")
    require(user, "partners.settle", partner if partner is not None else region)
    _refuse_open(month, today or timezone.localdate())
    if partner is not None:
        approved = Settlement.objects.filter(partner=partner, period=month, status=SettlementStatus.APPROVED)
        if approved.exists():
            raise ValidationError(
                {
                    "period": _(
                        "The settlement of %(month)s of %(partner)s is approved and never changes; what changed in "
                        "it goes into the next month's settlement as corrections."
                    )
                    % {"month": format_month(month), "partner": partner.name}
                }
            )
    scope_sql, params = bulk.scope_partners(region=region, partner=partner)
    partners = Partner.objects.filter(pk=partner.pk) if partner is not None else _partners_in(region)
    scope = _scope_name(region, partner)
    _compute(user=user, month=month, scope_sql=scope_sql, params=params, partners=partners, scope=scope)
    return _facts(month, partners)


def _scope_name(region: Region | None, partner: Partner | None) -> str:
    return partner.name if partner is not None else region.code  # type: ignore[union-attr]


def _compute(*, user: User, month: datetime.date, scope_sql: str, params: dict, partners, scope: str) -> None:
    """The month's settlements of `partners` (the ids `scope_sql` selects) computed again, in the caller's
    transaction: each a draft with its lines and the corrections of approved earlier months; approved ones left."""
    # Computing and approving a partner's settlements take its row first: two of them never cross.
    list(partners.select_for_update().order_by("pk").values_list("pk", flat=True))
    now = timezone.now()
    bulk.open_drafts(scope_sql=scope_sql, params=params, month=month, now=now, user_id=user.pk)
    bulk.clear_drafts(scope_sql=scope_sql, params=params, month=month)
    bulk.insert_lines(scope_sql=scope_sql, params=params, month=month)
    for corrected in months_before(month, bulk.CORRECTION_MONTHS):
        bulk.insert_corrections(scope_sql=scope_sql, params=params, month=month, corrected=corrected)
    bulk.total_drafts(scope_sql=scope_sql, params=params, month=month, now=now, user_id=user.pk)
    drafts = Settlement.objects.filter(period=month, partner__in=partners, status=SettlementStatus.DRAFT)
    _audit(user, drafts, month=month, scope=scope)


def _facts(month: datetime.date, partners) -> SettlementRun:
    """What the month's settlements of `partners` hold now."""
    of_month = Settlement.objects.filter(period=month, partner__in=partners)
    drafts = of_month.filter(status=SettlementStatus.DRAFT)
    facts = drafts.aggregate(count=Count("pk"), total=Sum("total"), lines=Sum("lines_count"))
    # counted, not taken from the statements' row counts: SQLite's driver has none for a statement opening WITH
    corrections = SettlementLine.objects.filter(settlement__in=drafts, corrects_period__isnull=False).count()
    return SettlementRun(
        period=format_month(month) or "",
        computed=facts["count"],
        approved_left=of_month.filter(status=SettlementStatus.APPROVED).count(),
        lines=facts["lines"] or 0,
        corrections=corrections,
        total=(facts["total"] or Decimal("0")).quantize(Decimal("0.01")),
    )


def _partners_in(region: Region | None):
    assert region is not None
    return Partner.objects.filter(region__path__startswith=region.path)


def _audit(user: User, drafts, *, month: datetime.date, scope: str) -> None:
    """One entry per settlement computed, in one INSERT … SELECT: its total and lines as computed."""
    ids = list(drafts.values_list("pk", flat=True))
    if not ids:
        return
    settlement, partner, region = Settlement._meta.db_table, Partner._meta.db_table, Region._meta.db_table
    changes = audit.changes_sql({"total": ("NULL", "s.total"), "lines_count": ("NULL", "s.lines_count")})
    select = (
        "SELECT CAST(s.id AS TEXT) AS object_id, p.name AS object_repr, CAST(NULL AS BIGINT) AS customer_id, "
        f"'' AS customer_code, r.path AS region_path, {changes} AS changes FROM {settlement} s "
        f"JOIN {partner} p ON p.id = s.partner_id JOIN {region} r ON r.code = p.region_id "
        f"WHERE s.id IN ({', '.join(['%s'] * len(ids))})"
    )
    audit.record_select(
        user=user,
        action=AuditAction.RUN,
        object_type=Settlement._meta.label_lower,
        select_sql=select,
        params=ids,
        detail={"computed": format_month(month), "scope": scope},
    )


@transaction.atomic
def settlement_approve(
    *, user: User, settlement: Settlement, computed_at: datetime.datetime | None = None
) -> Settlement:
    """Approve a settlement as reviewed (who, when: on it and in the audit trail). Settlements are approved in month
    order, each as computed after the approvals of the months before it, so that its corrections count them; given
    `computed_at` (what the reviewer saw), a settlement computed again since is refused."""
    partner = settlement.partner
    require(user, "partners.approve_settlement", partner)
    Partner.objects.select_for_update().filter(pk=partner.pk).exists()
    settlement = Settlement.objects.select_for_update().get(pk=settlement.pk)
    month = format_month(settlement.period)
    if settlement.is_approved:
        raise ValidationError(
            {"status": _("The settlement of %(month)s is already approved; it never changes.") % {"month": month}}
        )
    earlier = Settlement.objects.filter(partner=partner, period__lt=settlement.period)
    if draft := earlier.filter(status=SettlementStatus.DRAFT).order_by("period").first():
        raise ValidationError(
            {
                "period": _("Approve %(earlier)s first: a partner's settlements are approved in month order.")
                % {"earlier": format_month(draft.period)}
            }
        )
    last_approval = earlier.aggregate(last=Max("approved_at"))["last"]
    if last_approval is not None and last_approval > settlement.computed_at:
        raise ValidationError(
            {
                "period": _(
                    "An earlier month was approved after this settlement was computed: compute %(month)s again, so "
                    "that its corrections count that approval, then approve it."
                )
                % {"month": month}
            }
        )
    if computed_at is not None and computed_at != settlement.computed_at:
        raise ValidationError(
            {"computed_at": _("This settlement was computed again since you opened it: review it again.")}
        )
    settlement.status = SettlementStatus.APPROVED
    settlement.approved_at = timezone.now()
    settlement.approved_by = user
    settlement.save(update_fields=["status", "approved_at", "approved_by"])
    audit.record(
        user=user,
        action=AuditAction.UPDATE,
        obj=settlement,
        region_path=partner.region.path,
        changes={
            "status": [SettlementStatus.DRAFT.value, SettlementStatus.APPROVED.value],
            "approved_by": [None, user.get_username()],
            "approved_at": [None, audit.plain(settlement.approved_at)],
        },
        detail={"period": month, "total": audit.plain(settlement.total), "lines": settlement.lines_count},
    )
    return settlement


# -- a territory's month computed by the workers (`partners.tasks`), a chunk of partners at a time --------------------

# Partners per chunk: a province's 500 partners in ten chunks, each a transaction of a few seconds at a million
# customers, so that several workers share the month and a chunk that fails leaves the others' settlements written.
CHUNK_PARTNERS = 50


def settlement_chunks(region: Region, chunk_size: int | None = None) -> list[IdRange]:
    """The id ranges of the territory's partners, `chunk_size` ids each."""
    return list(plan_id_ranges(_partners_in(region), chunk_size or CHUNK_PARTNERS))


@transaction.atomic
def settlement_run_start(
    *,
    user: User,
    month: datetime.date,
    region: Region,
    chunks_total: int,
    language: str = "",
    today: datetime.date | None = None,
) -> SettlementJobRun:
    """Record the computation of `month`'s settlements of `region`'s partners by the workers (its starter must
    settle the territory; the month must be over). One at a time per month over any part of a territory: refused
    (JobBusy) while one over it, or over a territory around it, runs."""
    require(user, "partners.settle", region)
    _refuse_open(month, today or timezone.localdate())
    ancestors = [region.path[: index + 1] for index, char in enumerate(region.path) if char == "/"]
    overlapping = Q(period=month) & (Q(region__path__startswith=region.path) | Q(region__path__in=ancestors))

    def busy(run: SettlementJobRun) -> str:
        return _(
            "The settlements of %(month)s of %(scope)s, started at %(at)s, are still being computed: wait for them to "
            "end."
        ) % {
            "month": format_month(run.period),
            "scope": run.region.name,
            "at": timezone.localtime(run.started_at).strftime("%Y-%m-%d %H:%M"),
        }

    job_run_exclusive(SettlementJobRun, overlapping, busy)
    return SettlementJobRun.objects.create(
        triggered_by=user, region=region, period=month, chunks_total=chunks_total, language=language[:10]
    )


def settlement_chunk_compute(*, run_id: int, first_id: int, last_id: int) -> int:
    """Compute the month's settlements of the run's partners with ids in [first_id, last_id] in one transaction, as
    its starter (who must still settle the territory); returns how many drafts. A chunk delivered again (its worker
    died after committing) finds itself over and does nothing."""
    run = SettlementJobRun.objects.select_related("triggered_by", "region").get(pk=run_id)
    if run.status != JobStatus.RUNNING:
        return 0
    user = run.triggered_by
    with translation.override(run.language or settings.LANGUAGE_CODE), transaction.atomic():
        if not job_chunk_claim(run_model=SettlementJobRun, run_id=run_id, first_id=first_id):
            return 0
        if user is None or not user.is_active:
            raise ValidationError(_("The one who started this computation is no longer active: nothing was written."))
        require(user, "partners.settle", run.region)
        scope_sql, params = bulk.scope_partners(region=run.region, id_range=(first_id, last_id))
        partners = _partners_in(run.region).filter(pk__gte=first_id, pk__lte=last_id)
        _compute(
            user=user, month=run.period, scope_sql=scope_sql, params=params, partners=partners, scope=run.region.code
        )
        SettlementJobRun.objects.filter(pk=run_id).update(chunks_done=F("chunks_done") + 1)
        return Settlement.objects.filter(period=run.period, partner__in=partners, status=SettlementStatus.DRAFT).count()


def settlement_chunk_failed(*, run_id: int, first_id: int, last_id: int, error: str) -> None:
    job_chunk_failed(run_model=SettlementJobRun, run_id=run_id, first_id=first_id, last_id=last_id, error=error)


def settlement_run_finish(*, run_id: int) -> SettlementJobRun:
    """Close the run with what the month's settlements of its territory hold now (those of failed chunks as they
    were); its starter is told how it ended. A run over already is left as it is."""
    with transaction.atomic():
        run = (
            SettlementJobRun.objects.select_for_update(of=("self",))
            .select_related("triggered_by", "region")
            .get(pk=run_id)
        )
        if run.status != JobStatus.RUNNING:
            return run
        facts = _facts(run.period, _partners_in(run.region))
        run.computed, run.approved_left, run.lines = facts.computed, facts.approved_left, facts.lines
        run.corrections, run.total = facts.corrections, facts.total
        return job_run_close(run, also=("computed", "approved_left", "lines", "corrections", "total"))


def settlement_run_abandon(*, run: SettlementJobRun, reason: str) -> SettlementJobRun:
    """A run that could not be handed to the workers: failed, with why."""
    run.errors = [*run.errors, {"error": reason}]
    return job_run_close(run, also=("errors",))
