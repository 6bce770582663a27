from __future__ import annotations

import django_filters
import django_filters.rest_framework
from django.db.models import QuerySet
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, viewsets
from rest_framework.response import Response

from accounts import selectors, services
from accounts.filters import CustomerFilter
from accounts.models import Customer, GroupMember, Industry, KeyPerson, Segment
from crm import versions
from crm.api import versions as versions_api
from crm.api.serializers import HistoryEntrySerializer
from crm.idempotency import idempotent
from crm.models import AuditEntry

from .serializers import CustomerSerializer, GroupMemberSerializer, IndustrySerializer, KeyPersonSerializer


class IndustryFilter(django_filters.FilterSet):
    segment = django_filters.ChoiceFilter(choices=Segment.choices)

    class Meta:
        model = Industry
        fields = ["segment", "section"]


class GroupMemberFilter(django_filters.rest_framework.FilterSet):
    """A customer's group members are its current ones unless `include_left` asks for those who left too: a
    replacing import keeps the members the BOSS no longer lists, with the day they left (`left_on`)."""

    include_left = django_filters.rest_framework.BooleanFilter(
        method="filter_include_left",
        help_text=_("true: also the members who left (left_on set); by default only the customer's current members."),
    )

    class Meta:
        model = GroupMember
        fields = ["include_left"]

    def filter_queryset(self, queryset: QuerySet[GroupMember]) -> QuerySet[GroupMember]:
        # Done here, not in the method, which django-filter does not call when the parameter is absent.
        queryset = super().filter_queryset(queryset)
        return queryset if self.form.cleaned_data.get("include_left") else queryset.filter(selectors.member_current())

    def filter_include_left(self, queryset: QuerySet[GroupMember], name: str, value: bool) -> QuerySet[GroupMember]:
        return queryset


class IndustryViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Industry.objects.all()
    serializer_class = IndustrySerializer
    filterset_class = IndustryFilter
    lookup_field = "code"


class CustomerViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Customers the caller may see (SPEC §2), addressed by `code`."""

    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    # a territory's list: long, estimated first, read region by region (`crm.api.pagination`)
    long_lists = territory_lists = True
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        user = self.request.user
        return selectors.with_group_fields(selectors.customer_list(user=user), user)

    @extend_schema(parameters=[versions_api.ETAG])
    def retrieve(self, request, *args, **kwargs):
        customer = self.get_object()
        return versions_api.tagged(Response(self.get_serializer(customer).data), customer)

    @extend_schema(
        parameters=[versions_api.IF_MATCH, versions_api.ETAG],
        responses={200: CustomerSerializer, 412: versions_api.STALE},
    )
    def partial_update(self, request, *args, **kwargs):
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        written = services.customer_update(
            user=request.user,
            customer=serializer.instance,
            data=serializer.validated_data,
            version=versions.if_match(request),
        )
        customer = selectors.customer_get(user=request.user, code=written.code)
        return versions_api.tagged(Response(self.get_serializer(customer).data), customer)

    def perform_create(self, serializer: CustomerSerializer) -> None:
        customer = services.customer_create(user=self.request.user, data=serializer.validated_data)
        serializer.instance = selectors.customer_get(user=self.request.user, code=customer.code)


class CustomerChildListCreateView(generics.ListCreateAPIView):
    """Base for the lists that hang under one visible customer."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # An outsider gets 404 before anything of their request body is looked at.
        self.customer  # noqa: B018

    @idempotent
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        rows = response.data.get("results", []) if isinstance(response.data, dict) else response.data
        mobiles = sum(1 for row in rows if row.get("mobile"))
        selectors.mobiles_shown(user=request.user, customer=self.customer, where=request.path, mobiles=mobiles)
        return response

    @cached_property
    def customer(self) -> Customer:
        return selectors.customer_get(user=self.request.user, code=self.kwargs["code"])


class KeyPersonListCreateView(CustomerChildListCreateView):
    serializer_class = KeyPersonSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no customer
            return KeyPerson.objects.none()
        return self.customer.key_persons.all()

    def perform_create(self, serializer: KeyPersonSerializer) -> None:
        serializer.instance = services.key_person_create(
            customer=self.customer, data=serializer.validated_data, user=self.request.user
        )


class GroupMemberListCreateView(CustomerChildListCreateView):
    """A customer's group members (集团成员): GET lists its current ones, and with `include_left=true` also those
    who left (`left_on` set); POST adds a member."""

    serializer_class = GroupMemberSerializer
    filterset_class = GroupMemberFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no customer
            return GroupMember.objects.none()
        return self.customer.members.all()  # GroupMemberFilter keeps the current ones unless asked

    def perform_create(self, serializer: GroupMemberSerializer) -> None:
        serializer.instance = services.group_member_create(
            customer=self.customer, data=serializer.validated_data, user=self.request.user
        )


class CustomerHistoryView(generics.ListAPIView):
    """The customer's history, newest first: each write to it or to what hangs under it (its team, tier, visits,
    key persons, members, holdings, plans), with when, who, through which channel and each field's old and new
    value (`{field: [old, new]}`)."""

    serializer_class = HistoryEntrySerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no customer
            return AuditEntry.objects.none()
        customer = selectors.customer_get(user=self.request.user, code=self.kwargs["code"])
        return selectors.customer_history(customer)
