from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api.serializers import CustomerSerializer
from crm.idempotency import idempotent

from .. import selectors, services
from ..models import Prospect
from .serializers import (
    DuplicateQuerySerializer,
    DuplicateSerializer,
    ProspectConvertSerializer,
    ProspectSerializer,
    ProspectVisitSerializer,
)


class ProspectViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Prospects (潜在客户, issue 21) of the caller's territory, and those they filed or hold (`prospects_for`);
    another's is 404. POST files one into its grid's pool (公海) — its possible duplicates (the same USCC, a similar
    name at the same address) come back with it; `claim` takes one from the pool within the province's limit,
    `release` gives it back, `visits` logs a visit (which renews the claim), `convert` makes it an active customer
    with its team and is refused for a prospect that duplicates an existing customer. `possible_duplicates` is
    checked on a single prospect only: the list gives it empty (ask `possible-duplicates`, or read the prospect)."""

    serializer_class = ProspectSerializer
    lookup_value_regex = r"[0-9]+"
    filterset_fields = ["status"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Prospect.objects.none()
        return selectors.prospects_for(self.request.user).order_by("-created_at", "-id")

    def get_serializer_context(self):
        # The duplicate check is up to four trigram or USCC queries a prospect: on a single prospect only.
        return {**super().get_serializer_context(), "duplicates": self.action != "list"}

    @idempotent
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: ProspectSerializer) -> None:
        prospect = services.prospect_file(user=self.request.user, data=dict(serializer.validated_data))
        serializer.instance = self.get_queryset().get(pk=prospect.pk)

    @extend_schema(
        parameters=[DuplicateQuerySerializer], responses=DuplicateSerializer(many=True), operation_id="prospect_check"
    )
    @action(detail=False, methods=["get"], url_path="possible-duplicates", pagination_class=None)
    def possible_duplicates(self, request, format=None):  # noqa: A002
        """Before filing: the customers and prospects the caller sees that a company (`name`, `address`, optionally
        `uscc`) would duplicate."""
        serializer = DuplicateQuerySerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        found = selectors.possible_duplicates(
            user=request.user, name=data["name"], address=data["address"], uscc=(data.get("uscc") or "").upper() or None
        )
        return Response(DuplicateSerializer([duplicate.as_dict() for duplicate in found], many=True).data)

    def _answer(self, prospect: Prospect) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=prospect.pk)).data)

    @extend_schema(request=None, responses=ProspectSerializer)
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None, format=None):  # noqa: A002 - the router's .json suffix
        """Claim the prospect from the pool: at most the province's number held at once."""
        prospect = services.prospect_claim(user=request.user, prospect=self.get_object())
        return self._answer(prospect)

    @extend_schema(request=None, responses=ProspectSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None, format=None):  # noqa: A002
        """Give the claimed prospect back to the pool."""
        prospect = services.prospect_release(user=request.user, prospect=self.get_object())
        return self._answer(prospect)

    @extend_schema(request=ProspectVisitSerializer, responses={201: ProspectVisitSerializer})
    @action(detail=True, methods=["post"])
    def visits(self, request, pk=None, format=None):  # noqa: A002
        """Log a visit to the prospect (`summary`, optionally `visited_at`)."""
        prospect = self.get_object()
        serializer = ProspectVisitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        visit = services.prospect_visit_log(user=request.user, prospect=prospect, data=dict(serializer.validated_data))
        return Response(ProspectVisitSerializer(visit).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ProspectConvertSerializer, responses={201: CustomerSerializer})
    @action(detail=True, methods=["post"])
    def convert(self, request, pk=None, format=None):  # noqa: A002
        """Make the prospect an active customer (`code`, optionally `industry` and `customer_manager`) with its team;
        the new customer comes back."""
        prospect = self.get_object()
        serializer = ProspectConvertSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer = services.prospect_convert(user=request.user, prospect=prospect, data=dict(serializer.validated_data))
        return Response(CustomerSerializer(customer, context={"request": request}).data, status=status.HTTP_201_CREATED)
