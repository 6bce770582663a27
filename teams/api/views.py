from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import customer_get
from crm import versions
from crm.api import versions as versions_api
from crm.idempotency import idempotent
from crm.permissions import require

from .. import selectors, services
from ..filters import VisitFilter
from .serializers import TeamSerializer, VisitSerializer, team_representation


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
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            selectors.visits_visible(self.request.user)
            .select_related("customer", "visitor")
            .prefetch_related("staff_present", "key_persons")
        )

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
