from __future__ import annotations

import django_filters
from rest_framework import viewsets

from crm.models import Region, RegionLevel

from .serializers import RegionSerializer


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
