"""The nightly counts per region that province-wide pages add up for a territory instead of counting it live
(issue 19): the incomplete teams (`teams.TeamGapCount`), the coverage gap matrix (`campaigns.CoverageCount`), the
quota report (`tiering.TierCount`). Each is a table of counts per region and some keys, written at once with one
`computed_at`, which the page says its figures are as of."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.db import models
from django.db.models import Max, Sum


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
    if path is not None:
        rows = rows.filter(region__path__startswith=path)
    return list(rows.values_list(*keys).annotate(n=Sum(total)).order_by()), as_of
