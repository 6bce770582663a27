from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Customer
from accounts.selectors import customer_get
from crm import audit, versions
from crm.api import versions as versions_api
from crm.idempotency import idempotent
from crm.permissions import may

from .. import selectors, services
from ..filters import OpportunityFilter
from ..models import CallEntry, Channel, CustomerProduct, DoNotCall, Product
from ..selectors.channels import channel_conflicts
from ..selectors.leads import leads_for
from ..views.desk import desk_figures
from .serializers import (
    AgentDaySerializer,
    CallEntrySerializer,
    CallListBuildSerializer,
    CallListSerializer,
    CallOutcomeSerializer,
    CampaignCancelSerializer,
    CampaignSerializer,
    ChannelConflictFilterSerializer,
    ChannelConflictSerializer,
    ChannelSerializer,
    CoverageSerializer,
    DoNotCallRemoveSerializer,
    DoNotCallSerializer,
    GiveToPartnerSerializer,
    HoldingSerializer,
    LeadCloseSerializer,
    LeadConvertSerializer,
    LeadSerializer,
    ListFiguresSerializer,
    OpportunitySerializer,
    PlanSerializer,
    PlansGivenSerializer,
    PlanUpdateSerializer,
    ProductSerializer,
)


class ChannelViewSet(viewsets.ReadOnlyModelViewSet):
    """The channels (渠道, issue 20) a plan, an activity, an opportunity, a call or a holding comes through."""

    serializer_class = ChannelSerializer
    lookup_field = "code"

    def get_queryset(self):
        return Channel.objects.order_by("sort_order", "code")


# The conflicts a list reads at most: past this many, narrow it to a region, a department or a customer.
CONFLICTS_LISTED = 10_000


class ChannelConflictsView(generics.GenericAPIView):
    """Channel conflicts (渠道冲突, issue 20) among the customers the caller sees: two channels, departments or partners
    working the same customer and product in overlapping windows, the newest overlap first; `?region=` (a subtree),
    `?department=` (its territory) or `?customer=` (a code) narrow them. A region, department or customer the caller
    does not see lists nothing (a customer: 404)."""

    serializer_class = ChannelConflictSerializer
    queryset = Customer.objects.none()  # what the schema reads; the conflicts are gathered in `get`

    @extend_schema(parameters=[ChannelConflictFilterSerializer], responses=ChannelConflictSerializer(many=True))
    def get(self, request):
        filters = ChannelConflictFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        customers = Customer.objects.visible_to(request.user)
        region = filters.validated_data.get("region")
        if "customer" in filters.validated_data:
            found = customer_get(user=request.user, code=filters.validated_data["customer"])
            customers, region = customers.filter(pk=found.pk), found.region
        if region is not None:
            customers = customers.filter(region__path__startswith=region.path)
        if department := filters.validated_data.get("department"):
            customers = customers.filter(region__path__startswith=department.region.path)
            region = region or department.region
        conflicts = channel_conflicts(customers, limit=CONFLICTS_LISTED)
        page = self.paginate_queryset(conflicts)
        return self.get_paginated_response(ChannelConflictSerializer(page, many=True).data)


class ProductViewSet(viewsets.ReadOnlyModelViewSet):
    """The product catalogue (SPEC §6.1), products on sale."""

    serializer_class = ProductSerializer
    lookup_field = "code"

    def get_queryset(self):
        return selectors.products()


class HoldingView(APIView):
    """A customer's holding of a product (SPEC §6.1): PUT creates or replaces it, DELETE ends it. Customers the
    caller does not see are 404, as is an unknown product."""

    def _target(self, request, code: str, product: str) -> tuple:
        customer = customer_get(user=request.user, code=code)  # outsiders: 404 before anything else
        return customer, get_object_or_404(Product, code=product)

    @extend_schema(responses=HoldingSerializer, parameters=[versions_api.ETAG])
    def get(self, request, code: str, product: str):
        customer, found = self._target(request, code, product)
        holding = get_object_or_404(
            CustomerProduct.objects.select_related("customer", "product"), customer=customer, product=found
        )
        return versions_api.tagged(Response(HoldingSerializer(holding).data), holding)

    @extend_schema(
        request=HoldingSerializer,
        responses={200: HoldingSerializer, 201: HoldingSerializer, 412: versions_api.STALE},
        parameters=[versions_api.IF_MATCH, versions_api.ETAG],
    )
    def put(self, request, code: str, product: str):
        customer, found = self._target(request, code, product)
        serializer = HoldingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        holding, created = services.holding_set(
            customer=customer,
            product=found,
            data=serializer.validated_data,
            user=request.user,
            version=versions.if_match(request),
        )
        return versions_api.tagged(
            Response(
                HoldingSerializer(holding).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
            ),
            holding,
        )

    @extend_schema(responses={204: None})
    def delete(self, request, code: str, product: str):
        customer, found = self._target(request, code, product)
        if not services.holding_remove(customer=customer, product=found, user=request.user):
            return Response({"detail": _("The customer does not hold this product.")}, status=status.HTTP_404_NOT_FOUND)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CoverageView(APIView):
    """The customer's coverage of every product (SPEC §6.1): `uncovered`, `fake`, `thin` or `covered`."""

    @extend_schema(responses=CoverageSerializer(many=True))
    def get(self, request, code: str):
        customer = customer_get(user=request.user, code=code)
        return Response(CoverageSerializer(selectors.customer_coverage(customer), many=True).data)


class DoNotCallFilter(django_filters.FilterSet):
    mobile = django_filters.CharFilter(help_text="an exact number: is it on the list?")

    class Meta:
        model = DoNotCall
        fields = ["mobile"]


class DoNotCallView(generics.ListCreateAPIView):
    """The do-not-call list (营销黑名单, SPEC §6.3): GET the numbers (whole for provincial staff, masked for others),
    POST `mobile` and `reason` to add one at once (201; 200 with the first entry when already listed), DELETE with
    `mobile` (in the body or the query) to take one off: provincial staff and headquarters only."""

    serializer_class = DoNotCallSerializer
    filterset_class = DoNotCallFilter
    queryset = DoNotCall.objects.select_related("added_by")

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        if may(request.user, "campaigns.manage_do_not_call"):
            audit.mobiles_shown(user=request.user, where=request.path, count=len(response.data.get("results", [])))
        return response

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry, created = services.do_not_call_add(user=request.user, **serializer.validated_data)
        answer = self.get_serializer(entry).data
        return Response(answer, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=DoNotCallRemoveSerializer, responses={204: None})
    def delete(self, request, *args, **kwargs):
        data = request.data if request.data else request.query_params
        serializer = DoNotCallRemoveSerializer(data={"mobile": data.get("mobile", "")})
        serializer.is_valid(raise_exception=True)
        return self._remove(request, serializer.validated_data["mobile"])

    @staticmethod
    def _remove(request, mobile: str) -> Response:
        removed = services.do_not_call_remove(user=request.user, mobile=mobile)
        if not removed:
            return Response(
                {"detail": _("This number is not on the do-not-call list.")}, status=status.HTTP_404_NOT_FOUND
            )
        return Response(status=status.HTTP_204_NO_CONTENT)


class DoNotCallNumberView(APIView):
    """One number of the do-not-call list: DELETE takes it off (provincial staff and headquarters)."""

    @extend_schema(operation_id="v1_do_not_call_number_destroy", responses={204: None})
    def delete(self, request, mobile: str):
        return DoNotCallView._remove(request, mobile)


class CampaignViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Campaigns (营销活动, SPEC §6.2) in the caller's territory. POST creates one and a plan per matching customer
    (一户一案); department heads, provincial staff and headquarters only."""

    serializer_class = CampaignSerializer

    def get_queryset(self):
        return selectors.campaigns_for(self.request.user).order_by("-starts_on", "-id")

    def _counted(self, campaigns) -> list:
        """The campaigns with what the caller sees of them: their plans counted over the customers the caller sees,
        and the conflicting campaigns the caller may open."""
        campaigns = selectors.plan_counts(self.request.user, campaigns)
        visible = selectors.campaigns_for(self.request.user)
        for campaign in campaigns:
            campaign.conflict_ids = selectors.conflicts_of(campaign, among=visible)
        return campaigns

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(self._counted(page), many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return Response(self.get_serializer(self._counted([self.get_object()])[0]).data)

    @idempotent
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: CampaignSerializer) -> None:
        campaign = services.campaign_create(user=self.request.user, data=serializer.validated_data)
        serializer.instance = self._counted([self.get_queryset().get(pk=campaign.pk)])[0]

    @extend_schema(responses=PlanSerializer(many=True))
    @action(detail=True, methods=["get"])
    def plans(self, request, pk=None, format=None):  # noqa: A002 - the router's .json suffix
        """The campaign's plans for the customers the caller sees."""
        campaign = self.get_object()
        page = self.paginate_queryset(selectors.plans_for(request.user, campaign))
        return self.get_paginated_response(PlanSerializer(page, many=True).data)

    @extend_schema(request=GiveToPartnerSerializer, responses=PlansGivenSerializer)
    @action(detail=True, methods=["post"], url_path="give-to-partner")
    def give_to_partner(self, request, pk=None, format=None):  # noqa: A002 - the router's .json suffix
        """Give the campaign's plans (of the customers the caller sees, within `region` when given) to a partner
        company, through the partner channel; `partner: null` takes them back. Department heads and provincial
        staff; plans of customers outside the partner's territory are left as they were, and counted."""
        campaign = self.get_object()
        serializer = GiveToPartnerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        given = services.plans_give_to_partner(
            user=request.user,
            campaign=campaign,
            partner=serializer.validated_data["partner"],
            region=serializer.validated_data.get("region"),
        )
        return Response(PlansGivenSerializer(given).data)

    @extend_schema(request=CampaignCancelSerializer, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None, format=None):  # noqa: A002 - the router's .json suffix
        """Cancel the campaign with a `reason` (department heads and provincial staff of its territory): its plans are
        kept, closed (read-only, no longer a channel conflict), its open call lists closed. A campaign already
        cancelled is 400."""
        campaign = self.get_object()
        serializer = CampaignCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.campaign_cancel(user=request.user, campaign=campaign, reason=serializer.validated_data["reason"])
        return Response(self.get_serializer(self._counted([self.get_queryset().get(pk=campaign.pk)])[0]).data)


class PlanView(APIView):
    """One plan of a campaign: PATCH `stage` (with `reason` for a move back) moves it along the path;
    `gap_products` (the campaign's target products) and `owner` (department heads and provincial staff) change it."""

    @extend_schema(responses=PlanSerializer, parameters=[versions_api.ETAG])
    def get(self, request, pk: int, plan: int):
        campaign = get_object_or_404(selectors.campaigns_for(request.user), pk=pk)
        found = get_object_or_404(selectors.plans_for(request.user, campaign), pk=plan)
        return versions_api.tagged(Response(PlanSerializer(found).data), found)

    @extend_schema(
        request=PlanUpdateSerializer,
        responses={200: PlanSerializer, 412: versions_api.STALE},
        parameters=[versions_api.IF_MATCH, versions_api.ETAG],
    )
    def patch(self, request, pk: int, plan: int):
        campaign = get_object_or_404(selectors.campaigns_for(request.user), pk=pk)
        found = get_object_or_404(selectors.plans_for(request.user, campaign), pk=plan)
        serializer = PlanUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.plan_update(
            user=request.user, plan=found, data=serializer.validated_data, version=versions.if_match(request)
        )
        shown = selectors.plans_for(request.user, campaign).get(pk=found.pk)
        return versions_api.tagged(Response(PlanSerializer(shown).data), shown)


class CallListBuildView(APIView):
    """POST builds an outbound call list (外呼清单, SPEC §6.3) of the campaign: `source` (`key_persons`, `members`
    or `all`, the default), `agent` (a username; the caller by default) and `mode` (`manual`, the default: agents
    call; `auto`: a dialer broadcasts it). Its entries are the numbers of the customers of the campaign's open plans
    that both the caller and the agent see, never one on the do-not-call list, tried 7 times or done in the campaign,
    on another of its open lists, or called CALL_TOUCH_MAX times in the last CALL_TOUCH_WINDOW_DAYS days across all
    campaigns (the seven-touch rule). Returns the list with `entries_count` and the numbers left out per reason,
    `left_out` (201); a campaign with nothing to call is 400 and builds nothing."""

    @extend_schema(request=CallListBuildSerializer, responses={201: CallListSerializer})
    def post(self, request, pk: int):
        campaign = get_object_or_404(selectors.campaigns_for(request.user), pk=pk)
        serializer = CallListBuildSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        call_list = services.call_list_build(user=request.user, campaign=campaign, **serializer.validated_data)
        return Response(CallListSerializer(call_list).data, status=status.HTTP_201_CREATED)


class CallEntryListView(generics.ListAPIView):
    """The entries of a call list (the numbers still to call first) the caller sees: of the customers they see, and
    those given to them from a pool. A list is seen by its agent, its builder, the pool agents it was shared among
    and those who see its campaign; numbers are whole for the customer's customer manager and, on an open list, for
    the agent who calls them (each such showing on the audit trail)."""

    serializer_class = CallEntrySerializer
    queryset = CallEntry.objects.none()  # names the model for the schema; get_queryset gives the rows
    filter_backends = []

    def get_queryset(self):
        call_list = get_object_or_404(selectors.call_lists_for(self.request.user), pk=self.kwargs["pk"])
        return selectors.call_entries_for(self.request.user, call_list)

    def list(self, request, *args, **kwargs):
        call_list = get_object_or_404(selectors.call_lists_for(request.user), pk=self.kwargs["pk"])
        page = self.paginate_queryset(selectors.call_entries_for(request.user, call_list))
        whole = selectors.entries_shown_whole(request.user, page, call_list)
        services.call_numbers_shown(
            user=request.user, call_list=call_list, entry_ids=whole.revealed, where=request.path
        )
        return self.get_paginated_response(CallEntrySerializer(page, many=True, context={"whole": whole.ids}).data)


class CallOutcomeView(APIView):
    """POST the outcome of a call of an entry (`outcome`, `note`, and `call_back_at` with `call_back`): the agent
    who calls it only (the pool agent it is assigned to, else the list's agent; 403 for anyone else), on an open
    list, an entry not yet done, a number the seven-touch rule lets be called now (across all campaigns: at most
    CALL_TOUCH_MAX calls in CALL_TOUCH_WINDOW_DAYS days, CALL_TOUCH_INTERVAL_HOURS apart). `call_back` makes the
    time a to-do of the agent (a notification now and when it is due). `do_not_call` puts the number on the
    do-not-call list at once and takes it off every open call list. Returns the entry as recorded."""

    @extend_schema(request=CallOutcomeSerializer, responses=CallEntrySerializer)
    @idempotent
    def post(self, request, pk: int, entry: int):
        call_list = get_object_or_404(selectors.call_lists_for(request.user), pk=pk)
        found = get_object_or_404(selectors.call_entries_for(request.user, call_list), pk=entry)
        serializer = CallOutcomeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        recorded = services.call_outcome_record(user=request.user, entry=found, **serializer.validated_data)
        recorded.customer = found.customer
        whole = selectors.entries_shown_whole(request.user, [recorded], call_list)
        services.call_numbers_shown(
            user=request.user, call_list=call_list, entry_ids=whole.revealed, where=request.path
        )
        return Response(CallEntrySerializer(recorded, context={"whole": whole.ids}).data)


class OpportunityViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Opportunities (商机, issue 17) of the customers the caller sees (SPEC §2), the soonest to close first;
    filters `customer` (code), `owner` (username), `stage`, `closing` (YYYY-MM). POST records one (Idempotency-Key
    honoured); PATCH changes one (its owner, the customer's team and their managers), a stale If-Match is 412."""

    serializer_class = OpportunitySerializer
    filterset_class = OpportunityFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            selectors.opportunities_for(self.request.user)
            .prefetch_related("products")
            .order_by("expected_close_on", "-id")
        )

    @idempotent
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: OpportunitySerializer) -> None:
        data = dict(serializer.validated_data)
        customer = data.pop("customer")
        opportunity = services.opportunity_create(user=self.request.user, customer=customer, data=data)
        serializer.instance = self.get_queryset().get(pk=opportunity.pk)

    @extend_schema(parameters=[versions_api.ETAG])
    def retrieve(self, request, *args, **kwargs):
        opportunity = self.get_object()
        return versions_api.tagged(Response(self.get_serializer(opportunity).data), opportunity)

    @extend_schema(
        parameters=[versions_api.IF_MATCH, versions_api.ETAG],
        responses={200: OpportunitySerializer, 412: versions_api.STALE},
    )
    def partial_update(self, request, *args, **kwargs):
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        opportunity = services.opportunity_update(
            user=request.user,
            opportunity=serializer.instance,
            data=dict(serializer.validated_data),
            version=versions.if_match(request),
        )
        shown = self.get_queryset().get(pk=opportunity.pk)
        return versions_api.tagged(Response(self.get_serializer(shown).data), shown)


class LeadViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Inbound leads (来电商机, issue 20) the caller sees (`leads_for`): recorded by them, assigned to them, or of their
    territory for department heads and provincial staff; another's is 404. POST records one — any member of staff who
    takes a call — routed to the customer's manager, or for a company not yet a customer to the department head over
    its region, who is told. `close` (with a note) and `convert` (records the opportunity) are for its assignee and
    the managers over its region."""

    serializer_class = LeadSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        return leads_for(self.request.user).prefetch_related("products").order_by("-created_at", "-id")

    @idempotent
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: LeadSerializer) -> None:
        lead = services.lead_record(user=self.request.user, data=dict(serializer.validated_data))
        serializer.instance = self.get_queryset().get(pk=lead.pk)

    @extend_schema(request=LeadCloseSerializer, responses=LeadSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None, format=None):  # noqa: A002 - the router's .json suffix
        """Close the lead with a `note` saying why."""
        lead = self.get_object()
        serializer = LeadCloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.lead_close(user=request.user, lead=lead, note=serializer.validated_data["note"])
        return Response(self.get_serializer(self.get_queryset().get(pk=lead.pk)).data)

    @extend_schema(request=LeadConvertSerializer, responses=LeadSerializer)
    @action(detail=True, methods=["post"])
    def convert(self, request, pk=None, format=None):  # noqa: A002 - the router's .json suffix
        """Record the opportunity the lead is: `expected_close_on`, optionally `title` and `products`."""
        lead = self.get_object()
        serializer = LeadConvertSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.lead_convert(user=request.user, lead=lead, data=dict(serializer.validated_data))
        return Response(self.get_serializer(self.get_queryset().get(pk=lead.pk)).data)


class DeskAgentsView(generics.GenericAPIView):
    """The outbound desk per agent and day (issue 20): attempts, effective contacts, acceptances, the acceptance rate,
    call-backs due and kept, over the calls of the campaigns the caller sees; `?since=` and `?until=` (YYYY-MM-DD,
    the last 7 days by default, 92 at most), `?campaign=`. Department heads and provincial staff."""

    serializer_class = AgentDaySerializer
    queryset = CallEntry.objects.none()  # what the schema reads; the figures are gathered in `get`

    @extend_schema(responses=AgentDaySerializer(many=True))
    def get(self, request):
        filters, days, _lists = desk_figures(request.user, request.query_params)
        if filters.errors:
            return Response(filters.errors, status=status.HTTP_400_BAD_REQUEST)
        return self.get_paginated_response(AgentDaySerializer(self.paginate_queryset(days), many=True).data)


class DeskListsView(generics.GenericAPIView):
    """Each call list's reach and conversion (issue 20), of the campaigns the caller sees, newest first;
    `?campaign=`. Department heads and provincial staff."""

    serializer_class = ListFiguresSerializer
    queryset = CallEntry.objects.none()  # what the schema reads; the figures are gathered in `get`

    @extend_schema(responses=ListFiguresSerializer(many=True))
    def get(self, request):
        filters, _days, lists = desk_figures(request.user, request.query_params)
        if filters.errors:
            return Response(filters.errors, status=status.HTTP_400_BAD_REQUEST)
        return self.get_paginated_response(ListFiguresSerializer(self.paginate_queryset(lists), many=True).data)
