"""The API of issue 20's outbound calls: a list shared among a pool of agents, the numbers its build left out, and an
automatic list's dialer file and results."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.api.parsers import JSONParser
from crm.api.serializers import RejectUnknownFieldsMixin
from crm.models import User
from crm.permissions import require

from .. import selectors, services
from ..models import CallLeftOut, LeftOutReason
from ..rules import mask_mobile


class DistributeSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    agents = serializers.ListField(
        child=serializers.SlugRelatedField(
            slug_field="username",
            queryset=User.objects.all(),
            error_messages={"does_not_exist": _("No member of staff has the username {value}.")},
        ),
        allow_empty=False,
        max_length=1000,
        help_text="the usernames of the agents to share the numbers still to call among",
    )


class SharesSerializer(serializers.Serializer):
    shares = serializers.DictField(child=serializers.IntegerField(), help_text="numbers given to each agent")


class CallListDistributeView(APIView):
    """POST `agents` (usernames) shares the open manual list's numbers still to call evenly among them (the 10000
    desk's pool): whoever built the list, department heads and provincial staff. Numbers done and call-backs
    promised stay with their agent. Each agent then sees the list, calls the numbers given to them and sees them
    whole."""

    @extend_schema(request=DistributeSerializer, responses=SharesSerializer)
    def post(self, request, pk: int):
        call_list = get_object_or_404(selectors.call_lists_for(request.user), pk=pk)
        require(request.user, "campaigns.distribute_call_list", call_list)  # before the body is read
        serializer = DistributeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        shares = services.call_list_distribute(
            user=request.user, call_list=call_list, agents=serializer.validated_data["agents"]
        )
        return Response({"shares": shares})


class LeftOutSerializer(serializers.ModelSerializer):
    """A number the build left out, masked (138****1234) unless the caller is the customer's customer manager."""

    customer = serializers.CharField(source="customer.code", read_only=True)
    reason_text = serializers.CharField(source="get_reason_display", read_only=True)

    class Meta:
        model = CallLeftOut
        fields = ["name", "mobile", "customer", "reason", "reason_text"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.customer_id not in self.context.get("owned", ()):
            data["mobile"] = mask_mobile(data["mobile"])
        return data


class CallLeftOutListView(generics.ListAPIView):
    """The numbers the list's build left out and why (`reason`: `do_not_call`, `done_in_campaign`,
    `tried_in_campaign`, `on_open_list`, `touch_limit`; `?reason=` filters), of customers the caller sees."""

    serializer_class = LeftOutSerializer
    queryset = CallLeftOut.objects.none()  # names the model for the schema; get_queryset gives the rows
    filter_backends = []

    def get_queryset(self):
        call_list = get_object_or_404(selectors.call_lists_for(self.request.user), pk=self.kwargs["pk"])
        rows = selectors.left_out_for(self.request.user, call_list)
        reason = self.request.query_params.get("reason", "")
        return rows.filter(reason=reason) if reason in LeftOutReason.values else rows

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        owned = selectors.customers_owned(request.user, {row.customer_id for row in page})
        return self.get_paginated_response(LeftOutSerializer(page, many=True, context={"owned": owned}).data)


def dialer_file_response(request, pk: int) -> HttpResponse:
    """The automatic list's dialer file as a download (the page and the API)."""
    call_list = get_object_or_404(selectors.call_lists_for(request.user), pk=pk)
    exported = services.dialer_file_export(user=request.user, call_list=call_list)
    response = HttpResponse(exported.content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="call-list-{call_list.pk}-dialer.csv"'
    response["X-Resting-Numbers"] = str(exported.resting)
    return response


class DialerFileView(APIView):
    """GET the automatic list's file for the dialer platform: CSV, UTF-8 with BOM, one row per number still to call
    (`entry_id`, `mobile` whole, `name`, `customer_code`), without the numbers the seven-touch rule rests now
    (counted in the `X-Resting-Numbers` header). The list's agent or builder; exported on the audit trail."""

    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR)})
    def get(self, request, pk: int):
        return dialer_file_response(request, pk)


class DialerResultsSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False, use_url=False, help_text="the dialer's results, CSV")


class ResultsImportedSerializer(serializers.Serializer):
    calls = serializers.IntegerField()
    outcomes = serializers.DictField(child=serializers.IntegerField())


class DialerResultsView(APIView):
    """POST (multipart `file`) the dialer's results for the automatic list: CSV with `entry_id` and `outcome`
    (accepted, declined, no_answer, call_back, do_not_call, or their names in Chinese or English), `call_back_at`
    (YYYY-MM-DD HH:MM, Beijing time) for a call back, and an optional `note`. Checked whole: any bad line (an entry
    not on the list, an unknown outcome, a call back without its time or in the past, a number done or resting
    under the seven-touch rule, an entry twice) refuses the file (400, `file`: each bad line with its line number
    and reason) and nothing is written; a good file records one call per line."""

    parser_classes = [MultiPartParser, FormParser, JSONParser]  # JSON: to be told the file is missing

    @extend_schema(request={"multipart/form-data": DialerResultsSerializer}, responses={201: ResultsImportedSerializer})
    def post(self, request, pk: int):
        call_list = get_object_or_404(selectors.call_lists_for(request.user), pk=pk)
        require(request.user, "campaigns.run_dialer", call_list)  # before the file is read
        serializer = DialerResultsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        services.dialer_results_size_check(upload.size)
        imported = services.dialer_results_import(user=request.user, call_list=call_list, data=upload.read())
        return Response({"calls": imported.calls, "outcomes": imported.outcomes}, status=201)
