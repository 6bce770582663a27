from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404  # a malformed id is a 404, as in get_object
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import customer_get
from crm import versions
from crm.api import versions as versions_api
from crm.idempotency import PARAMETER as IDEMPOTENCY_KEY
from crm.idempotency import answer_once, idempotent
from crm.permissions import require

from .. import selectors, services
from ..filters import VisitFilter
from .serializers import (
    TeamSerializer,
    VisitPhotoSerializer,
    VisitPhotoUploadSerializer,
    VisitSerializer,
    team_representation,
)


class CustomerTeamView(APIView):
    """The customer's team (SPEC §5.1) and whether it holds every role its tier's standard requires (§5.2).

    PUT replaces the whole team; department heads, provincial staff and headquarters only.
    """

    @extend_schema(responses=TeamSerializer, parameters=[versions_api.ETAG])
    def get(self, request, code: str):
        customer = customer_get(user=request.user, code=code)
        return self._answer(customer)

    def _answer(self, customer) -> Response:
        response = Response(team_representation(selectors.team_status(customer)))
        return versions_api.tagged(response, customer, services.team_version(customer))

    @extend_schema(
        request=TeamSerializer,
        responses={200: TeamSerializer, 412: versions_api.STALE},
        parameters=[versions_api.IF_MATCH, versions_api.ETAG],
    )
    def put(self, request, code: str):
        customer = customer_get(user=request.user, code=code)  # outsiders: 404 before anything else
        require(request.user, "teams.manage")
        require(request.user, "teams.manage_customer_team", customer)  # a listed group's: at its level (issue 21)
        serializer = TeamSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        assistants = data.pop("assistants")
        services.team_set(
            by=request.user,
            customer=customer,
            roles=data,
            assistants=assistants,
            version=versions.if_match(request),
        )
        return self._answer(customer)


class VisitViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Visits to the customers the caller may see (SPEC §5.3). An account manager logs visits for the customers on
    whose team they are; a visit can be changed by its visitor for 7 days (PATCH)."""

    serializer_class = VisitSerializer
    filterset_class = VisitFilter
    long_lists = True  # a territory's visits: estimated first (`crm.api.pagination`)
    territory_lists = True  # and read region by region, newest first (`VisitFilter.territory_of_list`)
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            selectors.visits_visible(self.request.user)
            .select_related("customer", "visitor")
            .prefetch_related("staff_present", "key_persons")
        )

    @extend_schema(
        methods=["GET"],
        responses=VisitPhotoSerializer(many=True),
        description="The visit's photos, each with the address that serves it to those who see the customer.",
    )
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": VisitPhotoUploadSerializer},
        responses={201: VisitPhotoSerializer},
        parameters=[IDEMPOTENCY_KEY],
        description="Attach a photo taken at the visit (multipart field `photo`): an image up to the size limit. "
        "The visitor does, within 7 days of logging the visit.",
    )
    @action(detail=True, methods=["get", "post"], url_path="photos", filterset_class=None)
    def photos(self, request, pk=None, format=None):
        visit = get_object_or_404(selectors.visits_visible(request.user).select_related("customer__region"), pk=pk)
        if request.method == "GET":
            photos = visit.photos.select_related("uploaded_by").order_by("id")
            page = self.paginator.paginate_queryset(photos, request, view=self)
            data = VisitPhotoSerializer(page, many=True, context=self.get_serializer_context()).data
            return self.paginator.get_paginated_response(data)
        return answer_once(request, lambda: self._photo_add(request, visit))

    def _photo_add(self, request, visit) -> Response:
        require(request.user, "teams.change_visit", visit)  # who may, before what they sent
        upload = VisitPhotoUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        photo = services.visit_photo_add(user=request.user, visit=visit, photo=upload.validated_data["photo"])
        return Response(VisitPhotoSerializer(photo, context=self.get_serializer_context()).data, status=201)

    @extend_schema(
        request=None,
        responses={200: VisitSerializer},
        description="Make the visit's check-in position the customer's location, confirmed by the caller (a "
        "department head or above), and verify the visit against it.",
    )
    @action(detail=True, methods=["post"], url_path="confirm-location", filterset_class=None)
    def confirm_location(self, request, pk=None, format=None):
        visit = self.get_object()
        services.visit_location_confirm(user=request.user, visit=visit)
        return Response(self.get_serializer(self.get_queryset().get(pk=visit.pk)).data)

    @idempotent
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: VisitSerializer) -> None:
        data = dict(serializer.validated_data)
        customer = data.pop("customer")
        serializer.instance = services.visit_log(user=self.request.user, customer=customer, data=data)

    @extend_schema(parameters=[versions_api.ETAG])
    def retrieve(self, request, *args, **kwargs):
        visit = self.get_object()
        return versions_api.tagged(Response(self.get_serializer(visit).data), visit)

    @extend_schema(
        parameters=[versions_api.IF_MATCH, versions_api.ETAG], responses={200: VisitSerializer, 412: versions_api.STALE}
    )
    def partial_update(self, request, *args, **kwargs):
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        visit = services.visit_update(
            user=request.user,
            visit=serializer.instance,
            data=dict(serializer.validated_data),
            version=versions.if_match(request),
        )
        shown = self.get_queryset().get(pk=visit.pk)
        return versions_api.tagged(Response(self.get_serializer(shown).data), shown)
