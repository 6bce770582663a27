"""The API's side of `crm.versions`: the `ETag` an editable resource is served with, and `If-Match` documented."""

from __future__ import annotations

from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from crm import versions

ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201],
    description="The version of the resource as served; send it back in If-Match to change it only if unchanged.",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The ETag the change is based on: a stale one is refused with 412 and nothing is written. Without "
    "it, the fields sent are written over the record as it is now.",
)
STALE = OpenApiResponse(
    response=inline_serializer(
        "StaleVersion",
        {
            "detail": serializers.CharField(),
            "changed_by": serializers.CharField(),
            "changed_at": serializers.DateTimeField(allow_null=True),
            "current": serializers.DictField(help_text="The fields sent, with their values now."),
        },
    ),
    description="The resource changed since the version in If-Match; nothing was written.",
)


def tagged(response: Response, instance: models.Model, version: str | None = None) -> Response:
    """`response`, with the ETag of `instance` (or of `version`, for a resource that is not one row)."""
    response["ETag"] = versions.etag(version or versions.version_of(instance))
    return response
