"""Writes of territory and staff, and the bookkeeping of chunked job runs."""

from __future__ import annotations

import datetime
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from . import audit, jobboard
from .models import (
    AuditAction,
    ChunkedJobRun,
    Department,
    JobChunk,
    JobStatus,
    NotificationKind,
    Partner,
    Region,
    RegionLevel,
    Role,
    User,
)
from .notifications import notify

if TYPE_CHECKING:
    from .jobs import RunT

# Roles that work in the Django admin (tier rules, reference data).
ADMIN_ROLES = frozenset({Role.PROVINCIAL_STAFF, Role.HQ_ADMIN})


@transaction.atomic
def region_upsert(*, code: str, name: str, level: str, parent: Region | None) -> Region:
    region = Region.objects.filter(code=code).first() or Region(code=code)
    region.name, region.level, region.parent = name, level, parent
    region.full_clean()
    region.save()
    return region


@transaction.atomic
def staff_upsert(
    *,
    username: str,
    role: str,
    region_code: str,
    department_name: str | None = None,
    password: str | None = None,
    full_name: str = "",
    partner_name: str | None = None,
) -> tuple[User, bool]:
    """Create or update a member of staff; returns (user, created).

    A department named but not yet known is created in the user's home region. Partner staff (role `partner`) name
    their partner company, which must exist (provincial staff register partners).
    """
    if role not in Role.values:
        raise ValidationError(
            {
                "role": _("Unknown role %(role)s; choose one of: %(roles)s.")
                % {"role": role, "roles": ", ".join(Role.values)}
            }
        )
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        raise ValidationError({"region": _("Unknown region code %(code)s.") % {"code": region_code}})
    if role == Role.GRID_MANAGER and region.level != RegionLevel.GRID:
        raise ValidationError(
            {
                "region": _("A grid manager's home region is a grid (such as 510104-G01), not %(code)s.")
                % {"code": region.code}
            }
        )
    user = User.objects.filter(username=username).first()
    created = user is None
    if user is None:
        user = User(username=username)
    before = {} if created else audit.snapshot(user, STAFF_FIELDS)
    department = user.department if user.department_id else None  # kept unless a new one is named
    if department_name:
        department, _created = Department.objects.get_or_create(name=department_name, defaults={"region": region})
    partner = None
    if partner_name:
        partner = Partner.objects.filter(name=partner_name).first()
        if partner is None:
            raise ValidationError({"partner": _("Unknown partner %(name)s.") % {"name": partner_name}})
    elif role == Role.PARTNER:
        partner = user.partner if user.partner_id else None  # kept unless another is named
    user.role, user.region, user.department, user.partner = role, region, department, partner
    user.is_staff = role in ADMIN_ROLES
    user.is_superuser = role == Role.HQ_ADMIN
    if full_name:
        user.last_name, user.first_name = full_name[:1], full_name[1:]
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
        user.set_password(password)
    elif created:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    if department and role == Role.DEPARTMENT_HEAD and department.head_id != user.pk:
        department.head = user
        department.save(update_fields=["head"])
    changes = audit.diff(before, audit.snapshot(user, STAFF_FIELDS))
    if password and not created:
        changes["password"] = ["***", "***"]  # that it changed, never the hash
    if changes or created:
        audit.record(
            user=None,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            obj=user,
            region_path=region.path,
            changes=changes,
        )
    return user, created


STAFF_FIELDS = (
    "role",
    "region",
    "department",
    "partner",
    "is_staff",
    "is_superuser",
    "first_name",
    "last_name",
    "is_active",
)


ScopedRow = TypeVar("ScopedRow", bound=models.Model)


@transaction.atomic
def scoped_setting_keep(
    *,
    user: User,
    region: Region,
    model: type[ScopedRow],
    keys: Mapping[str, Any],
    fields: Sequence[str],
    values: Mapping[str, Any] | None,
    detail: dict[str, Any] | None = None,
) -> ScopedRow | None:
    """Keep one row of settings a region keeps (a target, a threshold, a rule): the row of `model` that `keys`
    name, made with them when there is none. `values` None removes it (the level above's apply again); else they
    are set on it (with `updated_by` when the model has it), validated and saved. Every change goes in the trail
    under the region, the values as stored, `fields` before and after (`detail` says which of the region's rows it
    is); setting the same values again writes no entry. The region's row is locked first (FOR NO KEY UPDATE: rows
    referring to it are still written), so that two first settings of the same row follow one another instead of
    one failing on its unique key; the callers check the permission."""
    Region.objects.select_for_update(no_key=True).filter(pk=region.pk).first()
    existing = model._default_manager.select_for_update().filter(**keys).first()
    before = audit.snapshot(existing, fields) if existing else {}
    extra = {"detail": detail} if detail else {}
    if values is None:
        if existing:
            audit.record(
                user=user,
                action=AuditAction.DELETE,
                obj=existing,
                region_path=region.path,
                changes=audit.diff(before, {}),
                **extra,
            )
            existing.delete()
        return None
    row = existing or model(**keys)
    for name, value in values.items():
        setattr(row, name, value)
    if any(field.name == "updated_by" for field in row._meta.concrete_fields):
        row.updated_by = user  # type: ignore[attr-defined]
    row.full_clean()
    row.save()
    row.refresh_from_db(fields=list(fields))  # as stored (0.8 as 0.8000), as the next change's old values read
    after = audit.snapshot(row, fields)
    if after != before:
        audit.record(
            user=user,
            action=AuditAction.UPDATE if existing else AuditAction.CREATE,
            obj=row,
            region_path=region.path,
            changes=audit.diff(before, after),
            **extra,
        )
    return row


class JobBusy(Exception):
    """Another run of the same job over an overlapping scope is running: one at a time."""


def job_run_exclusive(run_model: type[ChunkedJobRun], overlapping: Q, busy: Callable[[Any], str]) -> None:
    """Inside the transaction that records a new run: refuse (JobBusy, with `busy(run)` as its message) while a run
    of `run_model` matching `overlapping` is running. Starts of one kind of job are serialised (a PostgreSQL advisory
    lock until the transaction ends; SQLite serialises every write), so two cannot both find the way free."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            key = (0x10B << 32) | zlib.crc32(run_model._meta.label_lower.encode())  # one bigint per kind of run
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
    running = run_model.objects.filter(overlapping, status=JobStatus.RUNNING).order_by("started_at").first()
    if running is not None:
        raise JobBusy(busy(running))


def job_chunk_claim(*, run_model: type[ChunkedJobRun], run_id: int, first_id: int) -> bool:
    """In the chunk's transaction: mark the chunk over, or find it over already (a second delivery): False then,
    and the chunk is neither done nor counted again."""
    try:
        with transaction.atomic():
            JobChunk.objects.create(run_type=run_model._meta.label_lower, run_id=run_id, first_id=first_id)
    except IntegrityError:
        return False
    return True


@transaction.atomic
def job_chunk_failed(*, run_model: type[ChunkedJobRun], run_id: int, first_id: int, last_id: int, error: str) -> None:
    """Record a chunk's error on its run and count the chunk as done (the other chunks carry on); a chunk already
    over is left as it is."""
    if not job_chunk_claim(run_model=run_model, run_id=run_id, first_id=first_id):
        return
    run = run_model.objects.select_for_update().get(pk=run_id)
    run.errors = [*run.errors, {"first_id": first_id, "last_id": last_id, "error": error}]
    run.chunks_done += 1
    run.save(update_fields=["errors", "chunks_done"])


def job_run_close(run: RunT, *, also: tuple[str, ...] = ()) -> RunT:
    """End a run: failed when any error is recorded, succeeded otherwise; saves `also` with it. Whoever started it
    hears how it ended."""
    run.status = JobStatus.FAILED if run.errors else JobStatus.SUCCEEDED
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at", *also])
    _job_run_notified(run)
    return run


def _job_run_notified(run: ChunkedJobRun) -> None:
    """Tell the user who started the run (a nightly run has nobody) that it ended, once: what ran, for which
    scope, what it counted and how long it took — in the words of the jobs page, not the run's model."""
    if run.triggered_by_id is None:
        return
    failed = run.status == JobStatus.FAILED
    with translation.override(settings.LANGUAGE_CODE):  # a notification is written in the site's language
        job, scope = jobboard.run_described(run)
        facts = [f"{label} {jobboard.grouped(value)}" for label, value in _job_counts(run)]
        if failed:
            facts.append(ngettext("%(count)d error", "%(count)d errors", len(run.errors)) % {"count": len(run.errors)})
        seconds = (run.finished_at - run.started_at).total_seconds() if run.finished_at and run.started_at else None
        if scope:
            title = _("%(job)s failed: %(scope)s") if failed else _("%(job)s finished: %(scope)s")
        else:
            title = _("%(job)s failed") if failed else _("%(job)s finished")
        title %= {"job": job, "scope": scope}
        listed = pgettext("list separator", ", ").join(facts)
        body = _("%(facts)s. Took %(duration)s.") % {
            "facts": listed[:1].upper() + listed[1:] if listed else "—",
            "duration": jobboard.duration_text(seconds),
        }
    notify(
        recipients=[run.triggered_by_id],
        kind=NotificationKind.JOB_FAILED if failed else NotificationKind.JOB_FINISHED,
        title=title,
        body=body,
        url=run.get_absolute_url() if hasattr(run, "get_absolute_url") else "",
        dedupe_key=f"job:{run._meta.label_lower}:{run.pk}",
    )


def _job_counts(run: ChunkedJobRun) -> list[tuple[str, int]]:
    """What a run counted (customers seen, tiers changed, snapshots written…), by its fields' own names; the
    chunks are the machinery's, not the user's."""
    return [
        (str(field.verbose_name), getattr(run, field.attname))
        for field in run._meta.concrete_fields
        if isinstance(field, models.IntegerField)
        and not field.primary_key
        and not field.is_relation
        and field.name not in {"chunks_total", "chunks_done"}
    ]


def job_runs_sweep(*, run_model: type[ChunkedJobRun], silence: datetime.timedelta) -> int:
    """Fail the runs still marked running of which no chunk has ended for `silence`: their workers died and no
    redelivery finished them (`CELERY_BROKER_TRANSPORT_OPTIONS`'s visibility timeout is shorter than `silence`).
    The reason goes on the run, with how far it got. Returns how many were failed."""
    cutoff = timezone.now() - silence
    swept = 0
    label = run_model._meta.label_lower
    for run_id in run_model.objects.filter(status=JobStatus.RUNNING, started_at__lt=cutoff).values_list(
        "pk", flat=True
    ):
        last = JobChunk.objects.filter(run_type=label, run_id=run_id).aggregate(last=Max("finished_at"))["last"]
        if last is not None and last >= cutoff:
            continue
        with transaction.atomic():
            run = run_model.objects.select_for_update().get(pk=run_id)
            if run.status != JobStatus.RUNNING:
                continue
            minutes = int(silence.total_seconds() // 60)
            reason = _(
                "No chunk ended for %(minutes)d minutes: the workers running this job stopped. %(done)d of "
                "%(total)d chunks were done; what they wrote is kept. Run the job again."
            ) % {"minutes": minutes, "done": run.chunks_done, "total": run.chunks_total}
            run.errors = [*run.errors, {"error": reason}]
            run.status = JobStatus.FAILED
            run.finished_at = timezone.now()
            run.save(update_fields=["errors", "status", "finished_at"])
            _job_run_notified(run)
            swept += 1
    return swept
