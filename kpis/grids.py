"""A grid's page (网格, issue 21): its customers, profile completeness (建档率) per tier against its targets, product
coverage, its prospect pool, its visits and its new-customer target; counted live, a grid being a few hundred
customers. For its grid manager, the department heads and provincial staff over it; a grid outside the reader's
territory is 404, an account manager (who sees customers, not a territory) is refused."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, Window
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from accounts.models import Customer, CustomerStatus, Tier
from accounts.selectors import profile_complete
from campaigns.rules import COVERED
from campaigns.selectors.coverage import gap_matrix
from crm.models import Region, RegionLevel
from crm.permissions import require
from crm.visibility import territory_path
from prospects import selectors as prospect_selectors
from prospects.models import ProspectVisit
from teams.models import Visit

VISITS_DAYS = 30
VISITS_SHOWN = 10
GRIDS_SHOWN = 300
# The regions whose new-customer progress a grid's page shows: the grid and its county (a few thousand customers).
PROGRESS_LEVELS = (RegionLevel.GRID, RegionLevel.COUNTY)


@dataclass(frozen=True)
class ProfileRow:
    tier: str
    customers: int
    complete: int
    target: Decimal

    @property
    def rate(self) -> Decimal | None:
        return Decimal(self.complete) / Decimal(self.customers) if self.customers else None

    @property
    def rate_pct(self) -> Decimal | None:
        rate = self.rate
        return None if rate is None else rate * 100

    @property
    def target_pct(self) -> Decimal:
        return self.target * 100

    @property
    def on_target(self) -> bool | None:
        rate = self.rate
        return None if rate is None else rate >= self.target


def customer_counts(customers) -> tuple[dict[str, int], dict[str, tuple[int, int]]]:
    """The customers by status, and by tier (those with one) with how many of them have a complete profile
    (建档完整): one grouped query."""
    statuses: dict[str, int] = {}
    tiers: dict[str, tuple[int, int]] = {}
    counted = (
        customers.order_by()
        .values("status", "tier")
        .annotate(n=Count("pk"), complete=Count("pk", filter=profile_complete()))
    )
    for row in counted:
        statuses[row["status"]] = statuses.get(row["status"], 0) + row["n"]
        if row["tier"]:
            n, complete = tiers.get(row["tier"], (0, 0))
            tiers[row["tier"]] = (n + row["n"], complete + row["complete"])
    return statuses, tiers


def profile_rows(tiers: dict[str, tuple[int, int]], targets: dict[str, Decimal]) -> list[ProfileRow]:
    """Per tier, the customers and those with a complete profile (`customer_counts`), against the tier's target."""
    return [ProfileRow(tier, *tiers.get(tier, (0, 0)), targets[tier]) for tier in Tier.values]


class GridListView(LoginRequiredMixin, View):
    """The grids of the reader's territory; a grid manager goes straight to their own."""

    def get(self, request):
        require(request.user, "prospects.view_grid")
        user = request.user
        if user.region is not None and user.region.level == RegionLevel.GRID:
            return HttpResponseRedirect(reverse("kpis:grid", args=[user.region.code]))
        path = territory_path(user)
        grids = Region.objects.filter(level=RegionLevel.GRID).select_related("parent").order_by("path")
        if path:
            grids = grids.filter(path__startswith=path)
        year = timezone.localdate().year
        rows = list(grids[:GRIDS_SHOWN])
        return render(
            request,
            "kpis/grids.html",
            {
                "grids": rows,
                "shown": GRIDS_SHOWN,
                "year": year,
                "targets": prospect_selectors.target_progress_list(user=user, year=year),
            },
        )


class GridView(LoginRequiredMixin, View):
    def get(self, request, code: str):
        require(request.user, "prospects.view_grid")
        user = request.user
        grid = prospect_selectors.grid_get(user=user, code=code)
        codes = Region.objects.codes_under(grid.path)
        customers = Customer.objects.visible_to(user).filter(region__in=codes)
        statuses, tiers = customer_counts(customers)
        since = timezone.now() - datetime.timedelta(days=VISITS_DAYS)
        # the grid's visits by the region each carries (`visit_region_when_idx`, newest first), of its customers the
        # reader sees: not every visit of the table newest first, each checked for its customer's region; the latest
        # with how many there are (a grid's month: a few hundred)
        visits = list(
            Visit.objects.filter(region__in=codes, customer__in=customers.values("pk"), visited_at__gte=since)
            .annotate(total=Window(Count("pk")))
            .select_related("customer", "visitor")
            .order_by("-visited_at")[:VISITS_SHOWN]
        )
        year = timezone.localdate().year
        # The grid and its county, as far as they lie within the reader's territory (a grid manager sees their
        # grid's customers only, SPEC §2); the city's and province's targets are on the grids page, counted once.
        territory = territory_path(user) or ""
        ancestors = [
            region
            for region in (grid, grid.parent)  # read with the grid
            if region is not None and region.level in PROGRESS_LEVELS and region.path.startswith(territory)
        ]
        coverage = [
            {
                "product": row.product,
                "covered": row.counts[COVERED],
                "gaps": row.gaps,
                "share": Decimal(100 * row.counts[COVERED]) / Decimal(sum(row.counts.values()))
                if sum(row.counts.values())
                else None,
            }
            for row in gap_matrix(customers, active_count=statuses.get(CustomerStatus.ACTIVE, 0))
        ]
        context = {
            "grid": grid,
            "customers_total": sum(statuses.values()),
            "active": statuses.get(CustomerStatus.ACTIVE, 0),
            "statuses": statuses,
            "profiles": profile_rows(tiers, prospect_selectors.profile_targets(grid)),
            "coverage": coverage,
            "prospects": prospect_selectors.status_counts(grid, codes),
            "visits_count": visits[0].total if visits else 0,  # type: ignore[attr-defined]  # the window's count
            "visits": visits,
            "prospect_visits": ProspectVisit.objects.filter(prospect__region__in=codes, visited_at__gte=since).count(),
            "visits_days": VISITS_DAYS,
            "year": year,
            "progress": prospect_selectors.target_progress(user=user, year=year, regions=ancestors),
        }
        return render(request, "kpis/grid.html", context)
