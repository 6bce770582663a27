"""Idempotency-Key on the POSTs that create (visits, key persons, members, campaigns, call outcomes): a client that
retries after a lost answer sends the same key, and gets the first answer again instead of a second record.

The first request stores its key in the same transaction as its write and its answer; a repeat waits for it (the
unique key) and replays the answer (`Idempotent-Replayed: true`). A key sent again with another body or to another
endpoint is refused (422); a key is kept for a day, then may be used afresh. An answer that is not a success is not
kept: the key stays free for a corrected request."""

from __future__ import annotations

import datetime
import functools
import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
KEPT_FOR = datetime.timedelta(days=1)
PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Any string of 1 to 255 characters, new for each new record: a repeat with the same key gets the "
    "first answer again and writes nothing.",
)


def idempotent(view_method):
    """Decorates a view's creating method (`create`, or `post` of an APIView)."""

    @extend_schema(parameters=[PARAMETER])
    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        return answer_once(request, lambda: view_method(self, request, *args, **kwargs))

    return wrapper


def answer_once(request, run) -> Response:
    key = request.headers.get(HEADER)
    if key is None or not request.user.is_authenticated:
        return run()
    if not 1 <= len(key) <= 255:
        return Response({"detail": _("The Idempotency-Key header is 1 to 255 characters.")}, status=400)
    asked = f"{request.method} {request.path}"[:300]
    fingerprint = hashlib.sha256(json.dumps(request.data, sort_keys=True, default=str).encode()).hexdigest()
    with transaction.atomic():
        record = _claim(request.user, key, asked, fingerprint)
        if record.status is not None:
            if (record.request, record.fingerprint) != (asked, fingerprint):
                return Response(
                    {"detail": _("This Idempotency-Key was used for another request; send a new key.")}, status=422
                )
            return Response(record.body, status=record.status, headers={"Idempotent-Replayed": "true"})
        response = run()
        if 200 <= response.status_code < 300:
            record.status, record.body = response.status_code, response.data
            record.save(update_fields=["status", "body"])
        else:
            record.delete()
        return response


def _claim(user, key: str, asked: str, fingerprint: str) -> IdempotencyRecord:
    """The key's record, new (no answer yet) or answered; a concurrent first request is waited for. A record past
    its day (beat sweeps them nightly) gives the key up."""
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(user=user, key=key, request=asked, fingerprint=fingerprint)
    except IntegrityError:
        record = IdempotencyRecord.objects.select_for_update().get(user=user, key=key)
    if record.created_at >= timezone.now() - KEPT_FOR:
        return record
    record.delete()
    return IdempotencyRecord.objects.create(user=user, key=key, request=asked, fingerprint=fingerprint)
