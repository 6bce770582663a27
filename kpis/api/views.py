from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound

from .. import selectors
from ..metrics import METRICS
from ..models import ScopeKind
from .serializers import (
    KpiQuerySerializer,
    KpiSerializer,
    ProductRevenueQuerySerializer,
    ProductRevenueSerializer,
)


class KpiListView(generics.ListAPIView):
    """The KPIs (SPEC §7) of one scope in one month, read from the nightly snapshots: `?region=` (code),
    `?department=` (id or name) or `?manager=` (username), by default the caller's own scope; `?period=YYYY-MM`,
    by default the latest month computed. A scope the caller does not see whole is 404 (SPEC §2)."""

    serializer_class = KpiSerializer
    filter_backends = []

    @extend_schema(parameters=[KpiQuerySerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = KpiQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        scope = selectors.scope_for(
            self.request.user,
            region=params.get("region"),
            department=params.get("department"),
            manager=params.get("manager"),
        )
        period = params.get("period") or selectors.latest_period()
        found = selectors.figures(scope, period) if period else None
        if not found or not found.by_metric:
            shown = period or ""
            raise NotFound(
                {"period": [_("There are no KPI snapshots of %(period)s for this scope.") % {"period": shown}]}
            )
        return [figure for figure in found if figure.metric in METRICS]


class ProductRevenueListView(generics.ListAPIView):
    """Revenue per product (issue 21) of one region or department in one month and its year so far, against the
    province's revenue targets per product (set for a province: a region below one reads no target): `?region=`
    (code) or `?department=` (id or name), by default the caller's own territory; `?period=YYYY-MM`, by default the
    latest month computed. Read from what the KPI computations counted; a scope the caller does not see whole is
    404 (SPEC §2)."""

    serializer_class = ProductRevenueSerializer
    filter_backends = []

    @extend_schema(parameters=[ProductRevenueQuerySerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = ProductRevenueQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        scope = selectors.scope_for(self.request.user, region=params.get("region"), department=params.get("department"))
        if scope.kind == ScopeKind.MANAGER:
            raise NotFound({"region": [_("Revenue per product is read for a region or a department.")]})
        period = params.get("period") or selectors.latest_period()
        if period is None:
            return []
        region = scope.scoped_region if scope.kind == ScopeKind.REGION else scope.scoped_department.region
        return selectors.product_revenue(region, period)
