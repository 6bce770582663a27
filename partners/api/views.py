from __future__ import annotations

from rest_framework import mixins, viewsets

from crm.idempotency import idempotent
from crm.models import Partner

from .. import selectors, services
from .serializers import PartnerSerializer


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
