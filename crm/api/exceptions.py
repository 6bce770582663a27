from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from crm import versions


def exception_handler(exc, context):
    """DRF's handler, plus what services raise in Django's terms: a ValidationError becomes a field-level 400, and a
    PermissionDenied keeps its message (`crm.permissions.require` says why) where DRF would answer a generic one; an
    edit made on a stale version (`crm.versions`) is a 412 that says who changed the record, when, and its values now.
    A 404 says "not found" in the caller's language: Django's `get_object_or_404` words it in English and names the
    model ("No ImportRun matches the given query."), which the API keeps to itself.
    """
    if isinstance(exc, versions.StaleVersion):
        body = {"detail": exc.message, "changed_by": exc.changed_by, "changed_at": exc.changed_at, "current": exc.now}
        return Response(body, status=412, headers={"ETag": versions.etag(exc.current)})
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied) and exc.args:
        exc = exceptions.PermissionDenied(str(exc))
    elif isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    return drf_exception_handler(exc, context)
