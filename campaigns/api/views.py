from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import customer_get

from .. import selectors, services
from ..models import CustomerProduct, Product
from .serializers import CoverageSerializer, HoldingSerializer, ProductSerializer


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

    @extend_schema(responses=HoldingSerializer)
    def get(self, request, code: str, product: str):
        customer, found = self._target(request, code, product)
        holding = get_object_or_404(
            CustomerProduct.objects.select_related("customer", "product"), customer=customer, product=found
        )
        return Response(HoldingSerializer(holding).data)

    @extend_schema(request=HoldingSerializer, responses=HoldingSerializer)
    def put(self, request, code: str, product: str):
        customer, found = self._target(request, code, product)
        serializer = HoldingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        holding, created = services.holding_set(customer=customer, product=found, data=serializer.validated_data)
        return Response(
            HoldingSerializer(holding).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(responses={204: None})
    def delete(self, request, code: str, product: str):
        customer, found = self._target(request, code, product)
        if not services.holding_remove(customer=customer, product=found):
            return Response(status=status.HTTP_404_NOT_FOUND)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CoverageView(APIView):
    """The customer's coverage of every product (SPEC §6.1): `uncovered`, `fake`, `thin` or `covered`."""

    @extend_schema(responses=CoverageSerializer(many=True))
    def get(self, request, code: str):
        customer = customer_get(user=request.user, code=code)
        return Response(CoverageSerializer(selectors.customer_coverage(customer), many=True).data)
