from __future__ import annotations

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors
from accounts.filters import TIER_GROUPS, CustomerFilter
from accounts.models import Customer
from crm import audit
from crm.api.permissions import May
from crm.jobs import BrokerUnavailable, tasks_run_here
from crm.models import AuditAction
from crm.permissions import require
from crm.services import JobBusy
from crm.visibility import NATIONAL_CODE, territory_region
from tiering import exports
from tiering.services import tier_override_remove, tier_override_set, tier_recompute
from tiering.tasks import tier_recompute_launch

from .serializers import CustomerTierSerializer, RecomputeResultSerializer, TierOverrideSerializer


class CustomerTierView(APIView):
    """The customer's tier, why (each matching rule with the customer's value and the threshold), under which rules."""

    @extend_schema(responses=CustomerTierSerializer)
    def get(self, request, code: str):
        customer = selectors.customer_get(user=request.user, code=code)
        return Response(CustomerTierSerializer(customer).data)


class TierOverrideView(APIView):
    """Set (POST) or end (DELETE) a manual tier override; provincial staff and headquarters only."""

    @extend_schema(request=TierOverrideSerializer, responses={201: TierOverrideSerializer})
    def post(self, request, code: str):
        customer = self._customer(request, code)
        serializer = TierOverrideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        override = tier_override_set(customer=customer, user=request.user, **serializer.validated_data)
        return Response(TierOverrideSerializer(override).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, code: str):
        tier_override_remove(customer=self._customer(request, code), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _customer(self, request, code: str):
        customer = selectors.customer_get(user=request.user, code=code)  # outsiders: 404 before anything else
        require(request.user, "tiering.override_tier", customer)
        return customer


class TierRecomputeView(APIView):
    """Recompute the tiers of the caller's scope: their province, or everywhere for headquarters. With a broker
    (production), the run is handed to the workers and answered at once, `202` with the run (`status` running; its
    progress on the tier rules page); a broker that is down is `503` at once. With none (the embedded
    default), it runs here and is answered when done, `200`. While another recompute over the scope runs: `409`."""

    permission_classes = [May("tiering.manage_rules")]

    @extend_schema(
        request=None,
        responses={
            200: RecomputeResultSerializer,
            202: RecomputeResultSerializer,
            409: OpenApiResponse(description="Another recompute over the scope is running."),
            503: OpenApiResponse(description="The job queue cannot be reached; nothing was started."),
        },
    )
    def post(self, request):
        scope = territory_region(request.user)
        if scope is None:  # provincial staff without a home region have no scope to recompute
            return Response({"detail": _("You have no territory to recompute.")}, status=status.HTTP_403_FORBIDDEN)
        try:
            if tasks_run_here():
                run = tier_recompute(scope=scope, triggered_by=request.user, source="manual")
                return Response(RecomputeResultSerializer(run).data, status=status.HTTP_200_OK)
            run = tier_recompute_launch(scope=scope, triggered_by=request.user, source="manual")
        except JobBusy as busy:
            return Response({"detail": str(busy)}, status=status.HTTP_409_CONFLICT)
        except BrokerUnavailable as down:
            return Response({"detail": str(down)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        return Response(RecomputeResultSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class TierListExportView(APIView):
    """The tier list with the filters and the visibility of `/customers/`; the first column is the customer code."""

    permission_classes = [May("tiering.export_tier_lists")]
    file_format = "csv"

    def filtered(self, request) -> CustomerFilter:
        filterset = CustomerFilter(
            request.query_params, queryset=Customer.objects.visible_to(request.user), request=request
        )
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        return filterset

    def file_names(self, request, filterset: CustomerFilter) -> tuple[str, str]:
        """The file's name and its ASCII stand-in: the region asked for (else the user's territory), the tier asked
        for and today's date, e.g. `分级清单-成都市-A-2026-12-03.xlsx` and `tier-list-510100-A-2026-12-03.xlsx`."""
        region = filterset.form.cleaned_data.get("region") or territory_region(request.user)
        if region is not None and region.code == NATIONAL_CODE:
            region = None
        tier = filterset.form.cleaned_data.get("tier") or None
        group = filterset.form.cleaned_data.get("tier_group")
        if tier is None and group in TIER_GROUPS and group != "tiered":
            tier = "".join(TIER_GROUPS[group])  # A+A, A+AB
        day = timezone.localdate()
        name = exports.file_name(
            region_name=region.name if region else None, tier=tier, day=day, extension=self.file_format
        )
        parts = ["tier-list", region.code if region else None, tier, day.isoformat()]
        return name, "-".join(part for part in parts if part) + f".{self.file_format}"

    @extend_schema(
        parameters=[
            OpenApiParameter(name, str, description=str(CustomerFilter.base_filters[name].label))
            for name in CustomerFilter.base_filters
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY,
            409: OpenApiResponse(description="The list grew past a sheet's last row while it was written (XLSX)."),
        },
    )
    def get(self, request):
        filterset = self.filtered(request)
        customers = filterset.qs
        audit.record(
            user=request.user,
            action=AuditAction.EXPORT,
            object_type="tiering.tierlist",
            object_repr=_("Tier list"),
            detail={"format": self.file_format, "filter": request.query_params.dict(), "rows": customers.count()},
        )
        name, fallback = self.file_names(request, filterset)
        if self.file_format == "csv":
            response = StreamingHttpResponse(exports.TierListCSV(customers), content_type="text/csv; charset=utf-8")
        else:
            try:
                workbook = exports.xlsx_file(customers)
            except exports.ListChanged as changed:  # an import grew it past a sheet meanwhile
                return Response({"detail": str(changed)}, status=status.HTTP_409_CONFLICT)
            response = FileResponse(
                workbook, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            )
        response["Content-Disposition"] = exports.attachment(name, fallback)
        return response
