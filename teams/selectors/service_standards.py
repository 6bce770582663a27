"""Reads of the service standards in force, by tier (SPEC §5.2)."""

from __future__ import annotations

from ..models import ServiceStandard
from ..rules import Standard


def standards() -> dict[str, Standard]:
    """The service standards in force, by tier."""
    return {
        row.tier: Standard(
            required_roles=tuple(row.required_roles),
            period=row.period,
            visits_required=row.visits_required,
            visits_role=row.visits_role,
            visits_role_required=row.visits_role_required,
        )
        for row in ServiceStandard.objects.all()
    }


def standards_of(request) -> dict[str, Standard]:
    """The standards in force, read once per request: the parts of one page (*my customers* and its hooks) share
    them."""
    if not hasattr(request, "_service_standards"):
        request._service_standards = standards()
    return request._service_standards
