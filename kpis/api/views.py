from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound

from .. import selectors
from ..metrics import METRICS
from .serializers import KpiQuerySerializer, KpiSerializer


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
