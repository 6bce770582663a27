from __future__ import annotations

import datetime
from collections.abc import Mapping

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from crm import audit
from crm.api.permissions import May
from crm.idempotency import idempotent
from crm.jobs import BrokerUnavailable
from crm.models import AuditAction, Partner
from crm.permissions import ACTIONS, require
from crm.services import JobBusy
from crm.visibility import territory_region

from .. import exports, months, selectors, services
from ..models import CommissionRule, Settlement, SettlementJobRun
from ..tasks import settlements_launch
from .serializers import (
    CommissionRuleSerializer,
    PartnerSerializer,
    PeriodSerializer,
    SettlementApproveSerializer,
    SettlementJobSerializer,
    SettlementRunSerializer,
    SettlementsComputeSerializer,
    SettlementSerializer,
    SettlementSummarySerializer,
)


class PartnerViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Partner companies (合作伙伴, issue 20) working where the caller does (`partners.selectors.partners_for`); a
    partner outside them is 404. POST registers one and PATCH changes one: provincial staff of its territory and
    headquarters."""

    serializer_class = PartnerSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Partner.objects.none()
        return selectors.partners_for(self.request.user).order_by("name", "pk")

    @idempotent
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: PartnerSerializer) -> None:
        partner = services.partner_create(user=self.request.user, data=dict(serializer.validated_data))
        serializer.instance = self.get_queryset().get(pk=partner.pk)

    def perform_update(self, serializer: PartnerSerializer) -> None:
        partner = services.partner_update(
            user=self.request.user, partner=serializer.instance, data=dict(serializer.validated_data)
        )
        serializer.instance = self.get_queryset().get(pk=partner.pk)


class CommissionRuleViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Commission rules (酬金规则, issue 20): provincial staff read the national rules and their province's and keep
    their province's, headquarters every one; a rule outside them is 404. A change that would apply in a month
    already approved in the rule's scope is refused (400): end the rule (`valid_until`) and add another instead."""

    serializer_class = CommissionRuleSerializer
    permission_classes = [May("partners.view_commission_rules")]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CommissionRule.objects.none()
        return selectors.commission_rules_for(self.request.user)

    @idempotent
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: CommissionRuleSerializer) -> None:
        rule = services.commission_rule_create(user=self.request.user, data=dict(serializer.validated_data))
        serializer.instance = self.get_queryset().get(pk=rule.pk)

    def perform_update(self, serializer: CommissionRuleSerializer) -> None:
        rule = services.commission_rule_update(
            user=self.request.user, rule=serializer.instance, data=dict(serializer.validated_data)
        )
        serializer.instance = self.get_queryset().get(pk=rule.pk)

    def perform_destroy(self, instance: CommissionRule) -> None:
        services.commission_rule_delete(user=self.request.user, rule=instance)


def _period(data) -> datetime.date:
    """The month of `period` in a query or a body, or a 400 naming the field."""
    given = isinstance(data, Mapping) and "period" in data
    serializer = PeriodSerializer(data={"period": data.get("period")} if given else {})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data["period"]


def _readable_partner(request, pk: int) -> Partner:
    """The partner, if the caller sees it (else 404) and may read its settlements (else 403)."""
    partner = selectors.partner_get(user=request.user, pk=pk)
    require(request.user, "partners.view_settlement", partner)
    return partner


PERIOD_PARAMETER = OpenApiParameter("period", str, required=True, description=_("The month, YYYY-MM."))


class PartnerSettlementView(APIView):
    """The partner's settlement of a month (`?period=YYYY-MM`) with its lines. Provincial staff of the partner's
    territory, headquarters and the partner's own staff; a partner the caller does not see is 404. A month not over
    yet has no settlement (400); a month not computed yet is 404."""

    @extend_schema(parameters=[PERIOD_PARAMETER], responses=SettlementSerializer)
    def get(self, request, pk: int):
        partner = _readable_partner(request, pk)
        month = _period(request.query_params)
        if not months.is_over(month, timezone.localdate()):
            raise ValidationError({"period": [months.open_month_message(month)]})
        settlement = selectors.settlement_of(user=request.user, partner=partner, month=month)
        return Response(SettlementSerializer(settlement).data)


class PartnerSettlementComputeView(APIView):
    """Compute (again) the partner's settlement of a month once it is over; an approved one is refused (400)."""

    @extend_schema(
        operation_id="partner_settlement_compute", request=PeriodSerializer, responses=SettlementRunSerializer
    )
    def post(self, request, pk: int):
        partner = selectors.partner_get(user=request.user, pk=pk)
        require(request.user, "partners.settle", partner)
        run = services.settlements_compute(user=request.user, month=_period(request.data), partner=partner)
        return Response(SettlementRunSerializer(run).data)


class PartnerSettlementApproveView(APIView):
    """Approve the partner's settlement of `period` as reviewed (provincial staff of its territory, headquarters):
    recorded with who and when, on it and in the audit trail; from then on it never changes."""

    @extend_schema(request=SettlementApproveSerializer, responses=SettlementSummarySerializer)
    def post(self, request, pk: int):
        partner = selectors.partner_get(user=request.user, pk=pk)
        require(request.user, "partners.approve_settlement", partner)
        serializer = SettlementApproveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        settlement = selectors.settlement_of(
            user=request.user, partner=partner, month=serializer.validated_data["period"]
        )
        approved = services.settlement_approve(
            user=request.user, settlement=settlement, computed_at=serializer.validated_data.get("computed_at")
        )
        return Response(SettlementSummarySerializer(approved).data)


class PartnerSettlementExportView(APIView):
    """The partner's settlement of `period`, line by line, as CSV (UTF-8 with BOM) or XLSX, headers in the reader's
    language; every export in the audit trail."""

    file_format = "csv"

    @extend_schema(
        parameters=[PERIOD_PARAMETER],
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY,
        },
    )
    def get(self, request, pk: int):
        partner = _readable_partner(request, pk)
        settlement = selectors.settlement_of(user=request.user, partner=partner, month=_period(request.query_params))
        audit.record(
            user=request.user,
            action=AuditAction.EXPORT,
            obj=settlement,
            region_path=partner.region.path,
            detail={"format": self.file_format, "rows": settlement.lines_count},
        )
        if self.file_format == "csv":
            response = StreamingHttpResponse(exports.SettlementCSV(settlement), content_type="text/csv; charset=utf-8")
        else:
            response = FileResponse(
                exports.xlsx_file(settlement),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        response["Content-Disposition"] = exports.content_disposition(settlement, self.file_format)
        return response


class SettlementListView(ListAPIView):
    """The settlements the caller reads (`?period=YYYY-MM` for one month; `?partner=` for one partner), newest month
    first: provincial staff those of their province's partners, headquarters all, partner staff their company's."""

    serializer_class = SettlementSummarySerializer
    permission_classes = [May("partners.list_settlements")]

    @extend_schema(
        parameters=[
            OpenApiParameter("period", str, description=_("The month, YYYY-MM.")),
            OpenApiParameter("partner", int, description=_("A partner's id.")),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Settlement.objects.none()
        settlements = selectors.settlements_for(self.request.user)
        params = self.request.query_params
        if "period" in params:
            settlements = settlements.filter(period=_period(params))
        if "partner" in params:
            partner = params["partner"]
            if not partner.isdigit():
                raise ValidationError({"partner": [_("A partner is named by its id, a number.")]})
            settlements = settlements.filter(partner_id=int(partner))
        return settlements.order_by("-period", "partner__name", "pk")


class SettlementsComputeView(APIView):
    """Compute (again) the settlements of a month that is over for every partner of a territory (`region`: a province
    or the national root; the caller's territory by default) under contract in the month: one draft per partner with
    its lines and the corrections of approved earlier months; approved settlements are left as they are. The work is
    handed to the workers, a chunk of partners at a time: `202` with the computation, to follow at its `url` (its
    starter is also notified when it ends); `409` while the month of the territory is being computed, `503` when the
    job queue cannot be reached."""

    permission_classes = [May("partners.list_settlements")]

    @extend_schema(
        operation_id="settlements_compute",
        request=SettlementsComputeSerializer,
        responses={
            202: SettlementJobSerializer,
            409: OpenApiResponse(description="The month of the territory is being computed already."),
            503: OpenApiResponse(description="The job queue cannot be reached; nothing was started."),
        },
    )
    def post(self, request):
        serializer = SettlementsComputeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        region = serializer.validated_data.get("region") or territory_region(request.user)
        if region is None:
            raise PermissionDenied(str(ACTIONS["partners.settle"][1]))
        try:
            run = settlements_launch(
                user=request.user,
                month=serializer.validated_data["period"],
                region=region,
                language=translation.get_language() or "",
            )
        except JobBusy as busy:
            return Response({"detail": str(busy)}, status=status.HTTP_409_CONFLICT)
        except BrokerUnavailable as down:
            return Response({"detail": str(down)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        run = selectors.settlement_runs_for(request.user).get(pk=run.pk)
        return Response(
            SettlementJobSerializer(run, context={"request": request}).data, status=status.HTTP_202_ACCEPTED
        )


class SettlementJobView(RetrieveAPIView):
    """A computation of a territory's month of settlements (`POST /api/v1/partners/settlements/compute/`): its
    progress while it runs, what it found once over. Provincial staff of its province and headquarters; anyone else
    404."""

    serializer_class = SettlementJobSerializer
    permission_classes = [May("partners.list_settlements")]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SettlementJobRun.objects.none()
        return selectors.settlement_runs_for(self.request.user)
