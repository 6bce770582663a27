"""Versions of editable records, so that an edit made on a stale copy is refused, never silently merged.

A record's version is a digest of its stored values: the API sends it as the `ETag` of every editable resource and
honours `If-Match` (412 when stale); a page carries it in a hidden field. The service that writes locks the row
(`SELECT … FOR UPDATE`), then `check`s the version the caller read against the row as it is now: two edits of one
record are serialised, and the second, made on what the first changed, is refused with who changed it and when.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import plain
from .models import AuditEntry


def version_of(instance: models.Model) -> str:
    """The digest of the record's stored values (every concrete field)."""
    values = [[field.attname, getattr(instance, field.attname)] for field in instance._meta.concrete_fields]
    return digest(values)


def copy_stored(stored: models.Model, onto: models.Model) -> None:
    """Give the caller's copy of a record the values of the row as locked and read (`stored`): what the write then
    works on, or what it wrote."""
    for field in stored._meta.concrete_fields:
        setattr(onto, field.attname, getattr(stored, field.attname))


def digest(values: Any) -> str:
    text = json.dumps(values, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def etag(version: str) -> str:
    return f'"{version}"'


def if_match(request) -> list[str] | None:
    """The versions an `If-Match` header accepts, or None when it accepts any (absent, or `*`)."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    tags = []
    for tag in header.split(","):
        tag = tag.strip()
        tag = tag.removeprefix("W/")
        tags.append(tag.strip('"'))
    return tags


class StaleVersion(Exception):
    """The record changed since the caller read it: who changed it, when, and what the fields hold now."""

    def __init__(self, *, current: str, changed_by: str, changed_at: Any, now: Mapping[str, Any]):
        self.current, self.changed_by, self.changed_at, self.now = current, changed_by, changed_at, dict(now)
        super().__init__(self.message)

    @property
    def message(self) -> str:
        if self.changed_by and self.changed_at:
            return _(
                "%(user)s changed this record at %(at)s, after you opened it. Look at its values now and make your "
                "change again."
            ) % {"user": self.changed_by, "at": timezone.localtime(self.changed_at).strftime("%Y-%m-%d %H:%M:%S")}
        return _("This record changed after you opened it. Look at its values now and make your change again.")


def check(
    instance: models.Model,
    expected: str | Iterable[str] | None,
    *,
    fields: Sequence[str] = (),
    current: str | None = None,
    about: tuple[str, str] | None = None,
    values: Mapping[str, Any] | None = None,
    customer_id: int | None = None,
) -> None:
    """Refuses (StaleVersion) when `expected` (a version or the versions of `If-Match`; None accepts any) is not
    the locked row's version. `fields` are those the caller wants to write: their values now go with the refusal.
    `current` is the version when it is not the row's own (a team, whose version is its members'), and `about` the
    audit trail's object type and id of what changed (the row's own by default), `values` what its fields hold now
    when they are not the row's attributes. `customer_id`, the customer the record belongs to, finds its last change
    through the customer's history index."""
    if expected is None:
        return
    accepted = {expected} if isinstance(expected, str) else set(expected)
    current = current or version_of(instance)
    if current in accepted:
        return
    object_type, object_id = about or (instance._meta.label_lower, str(instance.pk))
    entries = AuditEntry.objects.filter(object_type=object_type, object_id=object_id)
    if customer_id is not None:
        entries = entries.filter(customer_id=customer_id)
    last = entries.order_by("-id").values("username", "at").first()
    raise StaleVersion(
        current=current,
        changed_by=last["username"] if last else "",
        changed_at=last["at"] if last else None,
        now={name: plain(values[name] if values is not None else getattr(instance, name)) for name in fields},
    )
