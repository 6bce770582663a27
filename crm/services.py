"""Writes of territory and staff, and the bookkeeping of chunked job runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ChunkedJobRun, Department, JobStatus, Region, Role, User

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
) -> tuple[User, bool]:
    """Create or update a member of staff; returns (user, created).

    A department named but not yet known is created in the user's home region.
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
    user = User.objects.filter(username=username).first()
    created = user is None
    if user is None:
        user = User(username=username)
    department = user.department if user.department_id else None  # kept unless a new one is named
    if department_name:
        department, _created = Department.objects.get_or_create(name=department_name, defaults={"region": region})
    user.role, user.region, user.department = role, region, department
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
    return user, created


@transaction.atomic
def job_chunk_failed(*, run_model: type[ChunkedJobRun], run_id: int, first_id: int, last_id: int, error: str) -> None:
    """Record a chunk's error on its run and count the chunk as done (the other chunks carry on)."""
    run = run_model.objects.select_for_update().get(pk=run_id)
    run.errors = [*run.errors, {"first_id": first_id, "last_id": last_id, "error": error}]
    run.chunks_done += 1
    run.save(update_fields=["errors", "chunks_done"])


def job_run_close(run: RunT, *, also: tuple[str, ...] = ()) -> RunT:
    """End a run: failed when any error is recorded, succeeded otherwise; saves `also` with it."""
    run.status = JobStatus.FAILED if run.errors else JobStatus.SUCCEEDED
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at", *also])
    return run
