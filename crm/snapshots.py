"""The counts that province-wide pages read instead of counting a territory live (issue 19): per region, the
incomplete teams (`teams.TeamGapCount`), the coverage gap matrix (`campaigns.CoverageCount`) and the quota report
(`tiering.TierCount`); per manager, the manager load (`teams.ManagerLoad`). Each is a table of counts replaced at
once, each row with the `computed_at` the page says its figures are as of."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.db.models import Max, Sum
from django.utils import timezone

from .models import User
from .visibility import territory_path


def counts_replace(model: type[models.Model], columns: Sequence[str], sql: str, params: Sequence[Any]) -> int:
    """Replace every row of `model` by those of a SELECT of `columns` (in that order), stamped with one
    `computed_at`, in the caller's transaction. Returns the number of rows written.

    The counts are read first and then written, not as one INSERT … SELECT: PostgreSQL 15 plans no parallel query
    for a statement that writes, and the SELECT over a million customers takes two thirds of the time on two cores
    (a few thousand counts at most come back)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        counted = cursor.fetchall()
    computed_at = timezone.now()
    model._default_manager.all().delete()
    model._default_manager.bulk_create(
        [model(**dict(zip(columns, row, strict=True)), computed_at=computed_at) for row in counted], batch_size=5_000
    )
    return len(counted)


def counted_under(
    model: type[models.Model], path: str | None, keys: Sequence[str], total: str = "customers"
) -> tuple[list[tuple], datetime.datetime] | None:
    """The counts of `model` (a table with a `region`, `computed_at` and the `total` column) of the regions under
    `path` (every region for None), added up per `keys`: a list of (*keys, sum); and when they were computed. None
    while nothing has been counted yet."""
    as_of = model._default_manager.aggregate(at=Max("computed_at"))["at"]
    if as_of is None:
        return None
    rows = model._default_manager.all()
    if path:
        rows = rows.filter(region__path__startswith=path)
    return list(rows.values_list(*keys).annotate(n=Sum(total)).order_by()), as_of


def counted_for(
    user: User, model: type[models.Model], keys: Sequence[str], total: str = "customers"
) -> tuple[list[tuple], datetime.datetime] | None:
    """`counted_under` the user's territory: nothing counted, as of the last count, for a user without one."""
    path = territory_path(user)
    if path is not None:
        return counted_under(model, path, keys, total)
    as_of = model._default_manager.aggregate(at=Max("computed_at"))["at"]
    return None if as_of is None else ([], as_of)
