from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors
from crm.models import Region, Role
from crm.visibility import territory_path
from tiering.services import tier_recompute

from .serializers import CustomerTierSerializer, RecomputeResultSerializer


class IsProvincialStaffOrAbove(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user.is_authenticated and (user.sees_everything or user.role == Role.PROVINCIAL_STAFF))


class CustomerTierView(APIView):
    """The customer's tier, why (each matching rule with the customer's value and the threshold), under which rules."""

    @extend_schema(responses=CustomerTierSerializer)
    def get(self, request, code: str):
        customer = selectors.customer_get(user=request.user, code=code)
        return Response(CustomerTierSerializer(customer).data)


class TierRecomputeView(APIView):
    """Recompute the tiers of the caller's scope now: their province, or everywhere for headquarters."""

    permission_classes = [IsProvincialStaffOrAbove]

    @extend_schema(request=None, responses=RecomputeResultSerializer)
    def post(self, request):
        path = territory_path(request.user)
        if path is None:  # provincial staff without a home region have no scope to recompute
            return Response({"detail": _("You have no territory to recompute.")}, status=status.HTTP_403_FORBIDDEN)
        scope = Region.objects.get(path=path or "000000/")
        run = tier_recompute(scope=scope, triggered_by=request.user, source="manual")
        return Response(RecomputeResultSerializer(run).data, status=status.HTTP_200_OK)
