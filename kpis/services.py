"""Writes of KPIs: a month's snapshots, computed chunk by chunk and replaced all at once (SPEC §7)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from itertools import chain

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Customer, CustomerStatus
from campaigns.models import CustomerProduct, Product
from crm import audit, versions
from crm.bulk import BulkWriter
from crm.jobs import IdRange, job_run_in_process, plan_id_ranges
from crm.models import AuditAction, AuditEntry, Department, Region, User
from crm.periods import Period
from crm.permissions import require
from crm.services import job_chunk_claim, job_chunk_failed, job_run_close, job_run_exclusive, scoped_setting_keep
from teams.selectors import standards
from teams.services import vip_loads_snapshot

from .metrics import SNAPSHOT_METRICS
from .models import KpiChunkTotals, KpiJobRun, KpiSnapshot, KpiTarget, ProductRevenue, ProductRevenueTarget
from .selectors import verified_only_provinces
from .totals import (
    Row,
    Scope,
    VipManagerCounts,
    count_rows,
    prospect_rows,
    roll_up,
    row_from_json,
    totals_to_json,
    vip_manager_counts,
)

CHUNK_SIZE = 100_000
SNAPSHOT_COLUMNS = (
    "period",
    "kind",
    "region_id",
    "department_id",
    "manager_id",
    "extent_id",
    "metric",
    "numerator",
    "denominator",
    "value",
    "as_of",
    "run_id",
)


def plan_chunks(chunk_size: int | None = None) -> Iterator[IdRange]:
    """Every customer, as id ranges [first, last]."""
    return plan_id_ranges(Customer.objects.all(), chunk_size or CHUNK_SIZE)


@transaction.atomic
def kpi_run_start(
    *, period: Period, as_of: datetime.date, source: str, triggered_by: User | None = None, chunks_total: int = 0
) -> KpiJobRun:
    if as_of < period.start or as_of > period.last_day or as_of > timezone.localdate():
        raise ValidationError({"period": f"{period} cannot be described as of {as_of}."})

    def busy(run: KpiJobRun) -> str:
        return _("The KPIs of %(period)s, started at %(at)s, are still being computed: wait for them to end.") % {
            "period": period,
            "at": timezone.localtime(run.started_at).strftime("%Y-%m-%d %H:%M"),
        }

    # One computation of a month at a time: two would write the same snapshots.
    job_run_exclusive(KpiJobRun, Q(period=period.start), busy)
    # What the chunks of runs that ended without summing them up (their workers died) left behind.
    KpiChunkTotals.objects.filter(run__finished_at__isnull=False).delete()
    return KpiJobRun.objects.create(
        period=period.start, as_of=as_of, source=source, triggered_by=triggered_by, chunks_total=chunks_total
    )


def kpi_chunk_count(*, run_id: int, first_id: int, last_id: int) -> int:
    """Count the totals of one id range of customers into the run's `KpiChunkTotals`, in one transaction with the
    chunk's claim; returns how many rows it wrote (none when the chunk had been counted already: its worker died
    after committing, and the chunk was delivered again)."""
    run = KpiJobRun.objects.get(pk=run_id)
    customers = Customer.objects.filter(id__gte=first_id, id__lte=last_id)
    with transaction.atomic():
        if not job_chunk_claim(run_model=KpiJobRun, run_id=run_id, first_id=first_id):
            return 0
        rows = count_rows(
            customers, Period(run.period), run.as_of, standards(), verified_only_in=verified_only_provinces()
        )
        writer = BulkWriter(KpiChunkTotals._meta.db_table, ("run_id", "region_code", "manager_id", "totals"))
        for row in rows:
            writer.add((run_id, row.region, row.manager, json.dumps(totals_to_json(row))))
        writer.flush()
        KpiJobRun.objects.filter(pk=run_id).update(
            chunks_done=F("chunks_done") + 1,
            customers_seen=F("customers_seen") + sum(r.totals["customers"] for r in rows),
        )
    return writer.written


def kpi_chunk_failed(*, run_id: int, first_id: int, last_id: int, error: str) -> None:
    job_chunk_failed(run_model=KpiJobRun, run_id=run_id, first_id=first_id, last_id=last_id, error=error)


def _scope_maps() -> tuple[dict[str, list[str]], dict[int, str], dict[int, int]]:
    ancestors = {code: [c for c in path.split("/") if c] for code, path in Region.objects.values_list("code", "path")}
    departments = dict(Department.objects.values_list("id", "region_id"))
    manager_departments = dict(User.objects.filter(department__isnull=False).values_list("id", "department_id"))
    return ancestors, departments, manager_departments


def _snapshot_rows(scopes: Iterable[Scope], run: KpiJobRun) -> Iterator[tuple]:
    period, as_of = run.period.isoformat(), run.as_of.isoformat()
    for scope in scopes:
        totals = scope.totals
        for metric in SNAPSHOT_METRICS:
            denominator = totals[metric.denominator] if metric.denominator else None
            value = metric.value(totals)
            yield (
                period,
                scope.kind.value,
                scope.region,
                scope.department,
                scope.manager,
                scope.extent,
                metric.code,
                Decimal(totals[metric.numerator]),
                None if denominator is None else Decimal(denominator),
                value,
                as_of,
                run.pk,
            )


def _chunk_rows(run: KpiJobRun) -> Iterator[Row]:
    """The run's chunks' rows, manager after manager, read from the database a few thousand at a time."""
    staged = KpiChunkTotals.objects.filter(run=run).order_by("manager_id", "region_code")
    for region, manager, totals in staged.values_list("region_code", "manager_id", "totals").iterator(5_000):
        yield row_from_json(region, manager, totals)


def kpi_run_finish(*, run_id: int, results: list | None = None) -> KpiJobRun:
    """Sum the chunks' rows (`KpiChunkTotals`) up to every scope and replace the month's snapshots with them in one
    transaction; a run with an error writes nothing, so the previous snapshots stay as they were. The chunks' rows
    are removed either way. `results`, what the chunks returned (the rows they wrote), is not needed."""
    run = KpiJobRun.objects.select_related("triggered_by__region").get(pk=run_id)
    if not run.errors:
        try:
            run.snapshots_written = _replace_snapshots(run)
        except Exception as exc:  # noqa: BLE001 - recorded on the run; the transaction kept the old snapshots
            run.errors = [*run.errors, {"error": repr(exc)}]
    KpiChunkTotals.objects.filter(run=run).delete()
    run = job_run_close(run, also=("snapshots_written", "errors"))
    audit.record(
        user=run.triggered_by,
        action=AuditAction.RUN,
        obj=run,
        region_path="",
        detail={
            "job": "compute_kpis",
            "status": run.status,
            "period": audit.plain(run.period),
            "snapshots_written": run.snapshots_written,
        },
    )
    return run


@transaction.atomic
def _replace_snapshots(run: KpiJobRun) -> int:
    ancestors, departments, manager_departments = _scope_maps()
    vip = vip_manager_counts(run.as_of, ancestors, departments, manager_departments)
    # the customers' rows, then the prospects' (no manager's: the pool is a territory's), counted once per run
    rows = chain(_chunk_rows(run), prospect_rows(Period(run.period), run.as_of))
    scopes = _with_vip_managers(roll_up(rows, ancestors, departments, manager_departments), vip)
    KpiSnapshot.objects.filter(period=run.period).delete()
    writer = BulkWriter(KpiSnapshot._meta.db_table, SNAPSHOT_COLUMNS)
    for row in _snapshot_rows(scopes, run):
        writer.add(row)
    writer.flush()
    product_revenue_replace(run, ancestors)
    # the personal-VIP managers' loads the load page sorts by, after the night's VIP levels (SPEC §4.3): in the same
    # transaction, so that a failure here keeps the old snapshots as the run's failed status says
    vip_loads_snapshot()
    return writer.written


def _with_vip_managers(scopes: Iterable[Scope], vip: VipManagerCounts) -> Iterator[Scope]:
    """The scopes with their personal-VIP managers counted (`totals.vip_manager_counts`), which are people, not
    sums over customers."""
    for scope in scopes:
        scope.totals["vip_managers"], scope.totals["vip_managers_overloaded"] = vip.of(scope)
        yield scope


def product_revenue_replace(run: KpiJobRun, ancestors: dict[str, list[str]]) -> int:
    """The revenue of every product in every region (summed up the tree) for the run's month, in place of the
    month's last (`ProductRevenue`): Σ monthly revenue of the holdings of active customers subscribed by the run's
    day. One query grouped by region and product; returns the rows written."""
    counted = (
        CustomerProduct.objects.filter(customer__status=CustomerStatus.ACTIVE, subscribed_on__lte=run.as_of)
        .order_by()
        .values_list("customer__region_id", "product_id")
        .annotate(revenue=Sum("monthly_revenue"), holdings=Count("pk"))
    )
    summed: dict[tuple[str, str], list] = {}
    for region, product, revenue, holdings in counted:
        for code in ancestors[region]:
            totals = summed.setdefault((code, product), [Decimal(0), 0])
            totals[0] += revenue or 0
            totals[1] += holdings
    ProductRevenue.objects.filter(period=run.period).delete()
    ProductRevenue.objects.bulk_create(
        [
            ProductRevenue(
                period=run.period,
                region_id=code,
                product_id=product,
                revenue=revenue,
                holdings=holdings,
                as_of=run.as_of,
                run=run,
            )
            for (code, product), (revenue, holdings) in summed.items()
        ],
        batch_size=5_000,
    )
    return len(summed)


def kpi_compute(
    *,
    period: Period,
    as_of: datetime.date | None = None,
    source: str = KpiJobRun.Source.MANUAL,
    triggered_by: User | None = None,
    progress: Callable[[KpiJobRun], None] | None = None,
) -> KpiJobRun:
    """Compute a month's snapshots here and now, chunk after chunk, recording the run (a failed chunk makes it
    write nothing)."""

    def start(*, chunks_total: int) -> KpiJobRun:
        return kpi_run_start(
            period=period,
            as_of=as_of or period.as_of(timezone.localdate()),
            source=source,
            triggered_by=triggered_by,
            chunks_total=chunks_total,
        )

    def apply(*, run_id: int, chunk: IdRange) -> int:
        return kpi_chunk_count(run_id=run_id, first_id=chunk.first_id, last_id=chunk.last_id)

    def record_failure(*, run_id: int, chunk: IdRange, error: str) -> None:
        kpi_chunk_failed(run_id=run_id, first_id=chunk.first_id, last_id=chunk.last_id, error=error)

    return job_run_in_process(
        chunks=plan_chunks(),
        start=start,
        apply=apply,
        record_failure=record_failure,
        finish=kpi_run_finish,
        progress=progress,
    )


def kpi_targets_version(region: Region) -> str:
    """The version of a scope's own targets (`crm.versions`), which the targets page carries."""
    own = KpiTarget.objects.filter(region=region).order_by("metric").values_list("metric", "value")
    return versions.digest([[metric, audit.plain(value)] for metric, value in own])


@transaction.atomic
def kpi_targets_set(
    *, user: User, region: Region, targets: dict[str, Decimal | None], version: str | None = None
) -> None:
    """Set a scope's targets at once (the targets page), one save of a scope at a time (its region's row locked);
    with the `version` the user saw, targets changed meanwhile are not saved over (StaleVersion, with who changed
    one last and when, and the targets now, as stored)."""
    require(user, "kpis.set_target_of", region)
    Region.objects.select_for_update().filter(pk=region.pk).first()
    current = kpi_targets_version(region)
    if version is not None and version != current:
        last = (
            AuditEntry.objects.filter(object_type="kpis.kpitarget", region_path=region.path)
            .order_by("-id")
            .values("username", "at")
            .first()
        )
        own = dict(KpiTarget.objects.filter(region=region).values_list("metric", "value"))
        raise versions.StaleVersion(
            current=current,
            changed_by=last["username"] if last else "",
            changed_at=last["at"] if last else None,
            now={code: own.get(code) for code in targets},
        )
    for code, value in targets.items():
        kpi_target_set(user=user, metric=code, region=region, value=value)


@transaction.atomic
def kpi_target_set(*, user: User, metric: str, region: Region, value: Decimal | None) -> KpiTarget | None:
    """Set (or with None, clear) the target of a metric nationally or for a province."""
    require(user, "kpis.set_target_of", region)
    return scoped_setting_keep(
        user=user,
        region=region,
        model=KpiTarget,
        keys={"metric": metric, "region": region},
        fields=("value",),
        values=None if value is None else {"value": value},
        detail={"metric": metric},
    )


@transaction.atomic
def product_revenue_target_set(
    *,
    user: User,
    region: Region,
    product: Product,
    year: int,
    month: int | None = None,
    amount: Decimal | None,
) -> ProductRevenueTarget | None:
    """Set (or with None, clear) a province's revenue target for a product, for a year or one month of it
    (issue 21); provincial staff their province's, headquarters any."""
    require(user, "kpis.set_product_targets", region)
    return scoped_setting_keep(
        user=user,
        region=region,
        model=ProductRevenueTarget,
        keys={"region": region, "product": product, "year": year, "month": month},
        fields=("amount",),
        values=None if amount is None else {"amount": amount},
        detail={"product": product.pk, "year": year, "month": month},
    )
