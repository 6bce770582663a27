"""The audit trail (`crm.models.AuditEntry`): every write, export, whole mobile number shown to someone who is not
the customer's manager, sign-in and refusal, with who, when, from where and what changed.

Services record what they write (`record`, with `changes` from `diff`); a bulk write records its rows with one
INSERT … SELECT (`record_select`), never a Python loop per row. The channel (page, API, admin, import, job,
command) and the caller's address come from the context: `crm.middleware.AuditChannelMiddleware` sets them for a
request, `through` for an import, a job or a command; a write with no context set is a command's.
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import ipaddress
import json
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.db.models.functions import Substr
from django.utils import timezone

from .models import PROVINCE_PATH_LENGTH, AuditAction, AuditEntry, AuditSource, User
from .visibility import province_path


@dataclass(frozen=True)
class Channel:
    source: str
    address: str | None = None


_channel: ContextVar[Channel | None] = ContextVar("audit_channel", default=None)


def channel() -> Channel:
    return _channel.get() or Channel(AuditSource.COMMAND)


def enter(source: str, address: str | None = None) -> Token[Channel | None]:
    """From now on writes come from `source`, until `leave` with the token returned (a Celery task's start, end)."""
    return _channel.set(Channel(source, address))


def leave(token: Token[Channel | None]) -> None:
    _channel.reset(token)


@contextlib.contextmanager
def through(source: str, address: str | None = None) -> Iterator[None]:
    """Writes inside come from `source` (an import, a job, a command…)."""
    token = enter(source, address)
    try:
        yield
    finally:
        leave(token)


def source_of_path(path: str) -> str:
    if path.startswith("/api/"):
        return AuditSource.API
    if path.startswith("/admin/"):
        return AuditSource.ADMIN
    return AuditSource.PAGE


def address_of(request) -> str | None:
    """The caller's address; behind the production proxy, the last hop it added (`X-Forwarded-For`)."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    candidate = forwarded.split(",")[-1].strip() if forwarded else request.META.get("REMOTE_ADDR")
    try:
        return str(ipaddress.ip_address(candidate)) if candidate else None
    except ValueError:
        return None


def plain(value: Any) -> Any:
    """A value as the trail keeps it: JSON's types, decimals and dates as text, a related object as its code."""
    if isinstance(value, models.Model):
        return getattr(value, "code", None) or getattr(value, "username", None) or value.pk
    if isinstance(value, decimal.Decimal | datetime.date | datetime.datetime | datetime.time):
        return json.loads(json.dumps(value, cls=DjangoJSONEncoder))
    if isinstance(value, list | tuple | set | frozenset):
        return (
            sorted(plain(item) for item in value) if isinstance(value, set | frozenset) else [plain(v) for v in value]
        )
    return value


def snapshot(instance: models.Model, fields: Sequence[str]) -> dict[str, Any]:
    """The fields' values on `instance`, as the trail keeps them (a foreign key as the related object's code)."""
    return {name: plain(getattr(instance, name)) for name in fields}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """`{field: [old, new]}` for every field whose value differs (a field on one side only: None on the other)."""
    pairs = ((name, plain(before.get(name)), plain(after.get(name))) for name in dict.fromkeys([*before, *after]))
    return {name: [old, new] for name, old, new in pairs if old != new}


def _actor(user: User | None) -> tuple[int | None, str]:
    if user is None or not getattr(user, "is_authenticated", False):
        return None, ""
    return user.pk, user.get_username()


def _customer_facts(customer: Any) -> dict[str, Any]:
    if customer is None:
        return {}
    return {"customer_id": customer.pk, "customer_code": customer.code, "region_path": customer.region.path}


def entry(
    *,
    user: User | None,
    action: str,
    obj: models.Model | None = None,
    customer: Any = None,
    changes: Mapping[str, Any] | None = None,
    detail: Mapping[str, Any] | None = None,
    username: str = "",
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    region_path: str | None = None,
) -> AuditEntry:
    """An entry, not yet saved (`record` saves one, `record_many` many in one INSERT). `customer` is the customer
    the object belongs to (any object with `pk`, `code` and `region`), so the entry shows in its history; without
    one, the entry's territory is the user's."""
    user_id, name = _actor(user)
    here = channel()
    facts = _customer_facts(customer)
    if region_path is not None:
        facts["region_path"] = region_path
    elif "region_path" not in facts and getattr(user, "region", None) is not None:
        facts["region_path"] = user.region.path  # type: ignore[union-attr]  # just checked
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or ("" if obj.pk is None else str(obj.pk))
        object_repr = object_repr or str(obj)
    return AuditEntry(
        user_id=user_id,
        username=name or username,
        source=here.source,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        changes=dict(changes or {}),
        detail=dict(detail or {}),
        address=here.address,
        **facts,
    )


# The columns of one entry, in the order `record` writes them.
COLUMNS = (
    "at",
    "user_id",
    "username",
    "source",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "customer_id",
    "customer_code",
    "region_path",
    "changes",
    "detail",
    "address",
)


def record(**kwargs: Any) -> AuditEntry:
    """Appends one entry (the arguments of `entry`), with one plain INSERT: it runs with every write, and the
    model's save machinery would cost as much again as the statement."""
    made = entry(**kwargs)
    values = [getattr(made, column) for column in COLUMNS]
    for position in (COLUMNS.index("changes"), COLUMNS.index("detail")):
        values[position] = json.dumps(values[position], cls=DjangoJSONEncoder, ensure_ascii=False)
    values[0] = connection.ops.adapt_datetimefield_value(values[0])
    placeholders = ", ".join("%s" for _ in COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {AuditEntry._meta.db_table} ({', '.join(COLUMNS)}) VALUES ({placeholders})",  # noqa: S608
            values,
        )
    return made


def record_many(entries: Sequence[AuditEntry]) -> None:
    AuditEntry.objects.bulk_create(entries, batch_size=2000)


def record_created(*, user: User | None, obj: models.Model, fields: Sequence[str], customer: Any = None) -> AuditEntry:
    return record(
        user=user, action=AuditAction.CREATE, obj=obj, customer=customer, changes=diff({}, snapshot(obj, fields))
    )


def record_deleted(*, user: User | None, obj: models.Model, fields: Sequence[str], customer: Any = None) -> AuditEntry:
    """Records the removal of `obj` with the values its `fields` held (before the caller deletes it)."""
    return record(
        user=user, action=AuditAction.DELETE, obj=obj, customer=customer, changes=diff(snapshot(obj, fields), {})
    )


def record_changed(
    *, user: User | None, obj: models.Model, before: Mapping[str, Any], fields: Sequence[str], customer: Any = None
) -> AuditEntry | None:
    """Records the fields that changed since `before`; nothing when none did."""
    changes = diff(before, snapshot(obj, fields))
    if not changes:
        return None
    return record(user=user, action=AuditAction.UPDATE, obj=obj, customer=customer, changes=changes)


def mobiles_shown(*, user: User, where: str, count: int, customer: Any = None) -> None:
    """Whole mobile numbers were shown to `user`, who is not the customer's manager (the caller knows): where, how
    many. Nothing when none were."""
    if count:
        record(
            user=user,
            action=AuditAction.REVEAL,
            customer=customer,
            object_repr=where,
            detail={"where": where, "numbers": count},
        )


# The columns a bulk write's SELECT gives, in this order, after the ones `select_insert` fills itself.
SELECT_COLUMNS = ("object_id", "object_repr", "customer_id", "customer_code", "region_path", "changes")


def select_insert(
    *, user: User | None, action: str, object_type: str, select_sql: str, detail: Mapping[str, Any] | None = None
) -> tuple[str, list[Any]]:
    """An INSERT … SELECT appending one entry per row of `select_sql`, and its parameters (to go before those of
    `select_sql`), for a bulk write to run or to put in a statement of its own (a PostgreSQL data-modifying CTE).
    The SELECT gives `SELECT_COLUMNS`, `changes` as JSON (`changes_sql`)."""
    user_id, name = _actor(user)
    here = channel()
    # The entry's columns that are the same for every row (in `COLUMNS`' order: the parameters below), then the rows'.
    fixed = tuple(column for column in COLUMNS if column not in SELECT_COLUMNS)
    columns = ", ".join((*fixed, *SELECT_COLUMNS))
    json_param = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    sql = (
        f"INSERT INTO {AuditEntry._meta.db_table} ({columns}) "  # noqa: S608 - names are ours, values parameters
        f"SELECT %s, %s, %s, %s, %s, %s, {json_param}, %s, "
        f"q.object_id, q.object_repr, q.customer_id, q.customer_code, q.region_path, q.changes FROM ({select_sql}) AS q"
    )
    detail_json = json.dumps(dict(detail or {}), cls=DjangoJSONEncoder)
    return sql, [timezone.now(), user_id, name, here.source, action, object_type, detail_json, here.address]


def record_select(
    *,
    user: User | None,
    action: str,
    object_type: str,
    select_sql: str,
    params: Sequence[Any] = (),
    detail: Mapping[str, Any] | None = None,
) -> int:
    """Appends one entry per row of `select_sql` (see `select_insert`); returns how many."""
    sql, fixed = select_insert(user=user, action=action, object_type=object_type, select_sql=select_sql, detail=detail)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*fixed, *params])
        return cursor.rowcount


def changes_sql(pairs: Mapping[str, tuple[str, str]], *, only_differing: bool = False) -> str:
    """SQL for a `changes` object `{field: [old, new]}` (jsonb on PostgreSQL, JSON text on SQLite) from SQL
    expressions of each field's old and new value: every field given, or with `only_differing` those whose old and
    new values differ."""
    postgresql = connection.vendor == "postgresql"
    array, build = ("jsonb_build_array", "jsonb_build_object") if postgresql else ("json_array", "json_object")
    if not pairs:
        return "CAST('{}' AS jsonb)" if postgresql else "'{}'"
    if not only_differing:
        items = ", ".join(f"'{name}', {array}({old}, {new})" for name, (old, new) in pairs.items())
        return f"{build}({items})"
    differs = "IS DISTINCT FROM" if postgresql else "IS NOT"
    items = ", ".join(
        f"'{name}', CASE WHEN ({old}) {differs} ({new}) THEN {array}({old}, {new}) END"
        for name, (old, new) in pairs.items()
    )
    # The unchanged fields' NULLs are dropped: jsonb_strip_nulls, or a JSON merge patch, where null means "remove".
    return f"jsonb_strip_nulls({build}({items}))" if postgresql else f"json_patch('{{}}', {build}({items}))"


def visible_to(user: User) -> models.QuerySet[AuditEntry]:
    """The entries a user may read on the audit page: headquarters all, provincial staff their province's (whose
    customer, or whose user, lies in it); no one else (`crm.view_audit`). A customer's own history is read through
    the customer, by whoever sees it."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return AuditEntry.objects.none()
    if user.sees_everything:
        return AuditEntry.objects.all()
    if user.is_provincial_staff and user.region is not None:
        # the province's part of the path, as its index has it (`AuditEntry.Meta`): the newest of the province's
        # own, not everyone's newest skipped until the province's come
        province = Substr("region_path", 1, PROVINCE_PATH_LENGTH)
        return AuditEntry.objects.alias(province=province).filter(province=province_path(user.region))
    return AuditEntry.objects.none()
