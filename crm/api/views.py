from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from knox import views as knox_views
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import AllowAny

from crm import audit
from crm.filters import AuditFilter, DepartmentFilter
from crm.models import Department, Region, RegionLevel
from crm.security import TokenAuthentication
from crm.visibility import territory_departments

from .permissions import May
from .serializers import AuditEntrySerializer, DepartmentSerializer, RegionSerializer, TokenLoginSerializer


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expiry = serializers.DateTimeField()


class RegionFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=RegionLevel.choices)
    parent = django_filters.CharFilter(field_name="parent_id")

    class Meta:
        model = Region
        fields = ["level", "parent"]


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """The territory tree (GB/T 2260 codes). Administrative divisions are public facts, so every user sees all."""

    queryset = Region.objects.all()
    serializer_class = RegionSerializer
    filterset_class = RegionFilter
    lookup_field = "code"


class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    """The departments (政企客户部) of the caller's territory (`crm.visibility.territory_departments`), so that a
    script can name one by its id; `?region=` narrows to a region's subtree. A department outside the territory
    does not exist for the caller (404)."""

    serializer_class = DepartmentSerializer
    filterset_class = DepartmentFilter
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Department.objects.none()
        return territory_departments(self.request.user).select_related("head").order_by("region_id", "name", "pk")


class TokenLoginView(knox_views.LoginView):
    """`POST /api/v1/auth/token/` with `username` and `password` → `{"token", "expiry"}`: a new token at each
    login (django-rest-knox keeps only its hash), valid for `TOKEN_TTL_DAYS`, used as `Authorization: Token …`.
    Failed attempts count towards the lockout (django-axes, through `authenticate`)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=TokenLoginSerializer, responses=TokenSerializer)
    def post(self, request, format=None):
        # The Django request, so that the lockout (django-axes) marks the one its middleware answers for.
        serializer = TokenLoginSerializer(data=request.data, context={"request": request._request})
        serializer.is_valid(raise_exception=True)
        request.user = serializer.validated_data["user"]
        return super().post(request, format)


class TokenLogoutView(knox_views.LogoutView):
    """`POST /api/v1/auth/logout/`: revokes the token the request carries (204)."""

    authentication_classes = (TokenAuthentication,)

    @extend_schema(request=None, responses={204: None})
    def post(self, request, format=None):
        return super().post(request, format)


class AuditViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The audit trail: every write, export, whole mobile number shown, sign-in and refusal, newest first; provincial
    staff read their province's, headquarters all. Filters: `user`, `action`, `source`, `customer` (code), `since`,
    `until`."""

    serializer_class = AuditEntrySerializer
    filterset_class = AuditFilter
    permission_classes = [May("crm.view_audit")]

    def get_queryset(self):
        return audit.visible_to(self.request.user)
