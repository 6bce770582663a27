"""Notifications (消息提醒, issue 17): the inbox every user has, and the channels that carry a notification further
— e-mail through Django's mail backend, and the department's group robot (企业微信 or 钉钉).

The services where an event happens call `notify` inside their own transaction: the inbox rows are written with
the event (or not at all), and the delivery is handed to Celery once the transaction commits (`crm.tasks`). A
channel that fails never takes a row out of the inbox; a robot's failure is kept on the department for its head.

Every morning `digest_send` asks the floors above, through the `digest_items` hook, what is due for each user
(visits, idle plans, expiring overrides…), puts it in their inboxes, mails it to those who chose e-mail, and posts
one digest per department to its robot: the head's team, who is behind.

A user may mute kinds of notification (`NotificationPreference.muted_kinds`, 免打扰): those are neither mailed to
them nor posted for them, and still reach their inbox. Muting is the user's, for what is delivered to the user; the
department's morning digest on its robot is the head's view of the team and lists everyone who is behind.

Texts are written in the site's language (LANGUAGE_CODE) whoever causes the event: `phrase` keeps a message and its
values apart until then.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit, urlunsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.functional import lazy
from django.utils.translation import gettext as _

from . import audit
from .hooks import Hook
from .jobs import BROKER_ERRORS
from .models import (
    AuditAction,
    Department,
    Notification,
    NotificationKind,
    NotificationPreference,
    RobotKind,
    User,
)
from .permissions import require

logger = logging.getLogger(__name__)

# A robot's message is cut to this many characters: 企业微信 takes up to 4096 bytes of markdown, 钉钉 about 20 000.
ROBOT_TEXT_LIMIT = 1300
# How many users' digests are gathered at once: each receiver of `digest_items` reads a batch with a few queries.
DIGEST_BATCH = 500
# Rows written (and users read) a statement at a time by `notify_each`.
WRITE_BATCH = 1000
# The error codes with which the robots say "too many messages, later" (企业微信 45009, 钉钉 130101) or "busy" (-1):
# worth another try, unlike a wrong key or a keyword missing from the text.
ROBOT_BUSY_CODES = frozenset({-1, 45009, 130101})


def _rendered(message: Any, params: dict[str, Any] | None = None) -> str:
    text = str(message)
    return text % params if params else text


# A message and its values, translated only when turned into text: `phrase(_lazy("... %(name)s"), {"name": x})`.
phrase = lazy(_rendered, str)


@dataclass(frozen=True)
class DigestItem:
    """One line of a user's morning digest, as a floor above gives it (texts may be `phrase`s)."""

    kind: str  # a NotificationKind
    title: Any  # "3 customers still need a visit this period"
    body: Any = ""
    url: str = ""


digest_items = Hook(
    "crm.digest_items",
    "What is due for each user this morning: receivers are called as `receiver(users=[User…], today=date)` and "
    "return `{user_id: [DigestItem…]}` for those who have something due; a few queries per batch of users.",
)


# -- writing ---------------------------------------------------------------------------------------------------------


def _text(value: Any, limit: int | None = None) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        text = str(value or "")
    return text[:limit] if limit else text


def _ids(recipients: Iterable[User | int | None]) -> list[int]:
    ids = {recipient if isinstance(recipient, int) else recipient.pk for recipient in recipients if recipient}
    return sorted(ids)


def notify(
    *,
    recipients: Iterable[User | int | None],
    kind: str,
    title: Any,
    body: Any = "",
    url: str = "",
    dedupe_key: str | None = None,
    deliver: bool = True,
) -> list[int]:
    """Put one notification in each recipient's inbox (active staff only; None is skipped) and, once the caller's
    transaction commits, hand it to the channels each chose. With `dedupe_key`, a recipient who was told of the same
    event already is not told again. Returns the ids of the notifications written."""
    message = Message(recipients=recipients, kind=kind, title=title, body=body, url=url, dedupe_key=dedupe_key)
    return notify_each([message], deliver=deliver)


@dataclass(frozen=True)
class Message:
    """One notification to its recipients, as `notify` takes it: for `notify_each`."""

    recipients: Iterable[User | int | None]
    kind: str
    title: Any
    body: Any = ""
    url: str = ""
    dedupe_key: str | None = None


def notify_each(messages: Iterable[Message], *, deliver: bool = True) -> list[int]:
    """`notify` for many notifications at once, each to its own recipients: one query for who of them is active,
    one insert, one handing to the channels — what a job that tells thousands of users of their own cases needs
    (three queries a user through `notify`)."""
    wanted = [(message, _ids(message.recipients)) for message in messages]
    kinds = set(NotificationKind.values)
    for message, _recipients in wanted:
        if message.kind not in kinds:
            raise ValueError(f"unknown notification kind {message.kind!r}")
    everyone = {user_id for _message, ids in wanted for user_id in ids}
    if not everyone:
        return []
    active: set[int] = set()
    ordered = sorted(everyone)
    for start in range(0, len(ordered), WRITE_BATCH):
        batch = ordered[start : start + WRITE_BATCH]
        active.update(User.objects.filter(pk__in=batch, is_active=True).values_list("pk", flat=True))
    rows = []
    with translation.override(settings.LANGUAGE_CODE):
        texts = [(str(message.title or "")[:200], str(message.body or "")) for message, _ids_ in wanted]
    for (message, ids), (title, body) in zip(wanted, texts, strict=True):
        rows += [
            Notification(
                recipient_id=user_id,
                kind=message.kind,
                title=title,
                body=body,
                url=message.url[:500],
                dedupe_key=(message.dedupe_key or "")[:200],
            )
            for user_id in ids
            if user_id in active
        ]
    created = _write(rows)
    if deliver and created:
        transaction.on_commit(lambda: _enqueue(created))
    return created


def _write(rows: Sequence[Notification]) -> list[int]:
    """Insert the rows, each deduplicated by (recipient, dedupe_key) where it has one; the ids of those written."""
    if not rows:
        return []
    plain = [row for row in rows if not row.dedupe_key]
    keyed = [row for row in rows if row.dedupe_key]
    created = [row.pk for row in Notification.objects.bulk_create(plain, batch_size=WRITE_BATCH)] if plain else []
    if keyed:
        # The rows of one call share one instant: those of them in the table now are the ones this call wrote (a
        # row already there for the event kept its own time, and ON CONFLICT DO NOTHING left it alone).
        stamp = timezone.now()
        for row in keyed:
            row.created_at = stamp
        Notification.objects.bulk_create(keyed, ignore_conflicts=True, batch_size=WRITE_BATCH)
        for start in range(0, len(keyed), WRITE_BATCH):
            batch = keyed[start : start + WRITE_BATCH]
            created += Notification.objects.filter(
                recipient_id__in={row.recipient_id for row in batch},
                dedupe_key__in={row.dedupe_key for row in batch},
                created_at=stamp,
            ).values_list("pk", flat=True)
    return sorted(set(created))


def _enqueue(ids: list[int]) -> None:
    """After the commit: the channels' work to Celery. With the broker down the inbox still has everything."""
    from .tasks import notifications_deliver  # the tasks module imports this one

    later(notifications_deliver, notification_ids=ids)


@transaction.atomic
def notification_read(*, user: User, notification: Notification) -> Notification:
    """Mark one's own notification read (again: nothing changes)."""
    if notification.recipient_id != user.pk:
        raise Notification.DoesNotExist  # someone else's does not exist for the user
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
        _forget_unread_count(user)
    return notification


@transaction.atomic
def notifications_read_all(*, user: User) -> int:
    """Mark every unread notification of the user read; returns how many."""
    _forget_unread_count(user)
    return unread(user).update(read_at=timezone.now())


# -- reading ---------------------------------------------------------------------------------------------------------


def inbox(user: User) -> QuerySet[Notification]:
    """The user's own notifications, newest first (no one reads another's)."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(recipient_id=user.pk).order_by("-created_at", "-id")


def unread(user: User) -> QuerySet[Notification]:
    return inbox(user).filter(read_at__isnull=True)


# The unread count as the request found it, read with the signed-in user (`crm.security.UserBackend`); reading or
# marking notifications read in the request forgets it.
UNREAD_AT_START = "unread_notifications_at_start"


def unread_count_expression() -> Coalesce:
    """The unread count of the outer user, as an annotation: one indexed COUNT (notification_unread_idx)."""
    counted = (
        Notification.objects.filter(recipient_id=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("recipient_id")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counted), 0)


def _forget_unread_count(user: User) -> None:
    if getattr(user, UNREAD_AT_START, None) is not None:
        delattr(user, UNREAD_AT_START)  # through request.user's lazy wrapper too


def unread_count(user: User) -> int:
    """The bell's number on every page: read with the user when the request began, or one indexed COUNT
    (notification_unread_idx, an index-only scan)."""
    at_start = getattr(user, UNREAD_AT_START, None)
    return at_start if at_start is not None else unread(user).count()


# -- channels the user chooses ---------------------------------------------------------------------------------------


def preferences_of(user: User) -> NotificationPreference:
    """The user's channels; the defaults (inbox only) when they never chose."""
    try:
        return user.notification_preference
    except NotificationPreference.DoesNotExist:
        return NotificationPreference(user=user)


PREFERENCE_FIELDS = ("by_email", "by_robot", "muted_kinds")


@transaction.atomic
def notification_preferences_set(
    *,
    user: User,
    by_email: bool,
    by_robot: bool,
    email: str | None = None,
    muted_kinds: Iterable[str] | None = None,
) -> None:
    """Set the user's channels, and their e-mail address when given. E-mail needs an address. `muted_kinds`, when
    given, are the kinds of notification neither mailed nor posted for the user (an unknown kind is refused); they
    are kept in the order of `NotificationKind`, each once."""
    if email is not None:
        user.email = email.strip()
    if by_email and not user.email:
        raise ValidationError({"email": _("E-mail needs an e-mail address: enter yours.")})
    if email is not None:
        user.full_clean(exclude=["password"])
        User.objects.filter(pk=user.pk).update(email=user.email)
    preference = preferences_of(user)
    preference.by_email, preference.by_robot = by_email, by_robot
    if muted_kinds is not None:
        given = list(muted_kinds)
        known = [kind for kind in NotificationKind.values if kind in given]
        # Unknown ones are left in for full_clean to refuse by name.
        preference.muted_kinds = known + [kind for kind in dict.fromkeys(given) if kind not in known]
    preference.full_clean()
    preference.save()


def delivered_by_channels(preference: NotificationPreference, kind: str) -> bool:
    """Whether a notification of `kind` goes beyond the inbox for the user (e-mail, robot): not when muted."""
    return kind not in (preference.muted_kinds or ())


# -- the department's robot -------------------------------------------------------------------------------------------

ROBOT_FIELDS = ("robot_kind", "robot_webhook_url", "robot_secret")
# What the audit trail keeps of a secret: that there is one, never any of it.
HIDDEN = "***"


def masked(url: str) -> str:
    """A webhook URL with the values of its query hidden (`key=***`): the key is what lets anyone post to the group,
    so the audit trail keeps only where it points."""
    if not url:
        return url
    parts = urlsplit(url)
    query = urlencode([(name, "***") for name, _value in parse_qsl(parts.query, keep_blank_values=True)], safe="*")
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def robot_audited(facts: dict[str, Any]) -> dict[str, Any]:
    """A department's facts as the audit trail keeps them, here and in the admin: the robot URL's key hidden, of the
    secret only that it is set."""
    audited = dict(facts)
    if isinstance(facts.get("robot_webhook_url"), str):
        audited["robot_webhook_url"] = masked(facts["robot_webhook_url"])
    if isinstance(facts.get("robot_secret"), str):
        audited["robot_secret"] = HIDDEN if facts["robot_secret"] else ""
    return audited


@transaction.atomic
def department_robot_set(
    *, user: User, department: Department, kind: str, url: str, secret: str | None = None
) -> Department:
    """Set (or, with an empty URL, remove) the department's group robot. Only its head; an http(s) address only.

    `secret` is the signing secret (加签) of a 钉钉 robot: None keeps the one set, "" removes it, any other value
    replaces it; a 企业微信 robot takes none (refused when given, and one kept from a 钉钉 robot before is dropped).
    The change goes to the audit trail, the key in the URL and the secret hidden."""
    require(user, "crm.set_department_robot", department)
    url = url.strip()
    if url and kind not in RobotKind.values:
        raise ValidationError({"robot_kind": _("Robot kind: choose 企业微信 or 钉钉 for this webhook.")})
    department = Department.objects.select_for_update().get(pk=department.pk)
    before = {name: getattr(department, name) for name in ROBOT_FIELDS}
    if secret is None:
        secret = department.robot_secret if kind == RobotKind.DINGTALK else ""
    department.robot_kind, department.robot_webhook_url, department.robot_secret = (
        (kind, url, secret.strip()) if url else ("", "", "")
    )
    department.full_clean()
    department.save(update_fields=list(ROBOT_FIELDS))
    after = {name: getattr(department, name) for name in ROBOT_FIELDS}
    changes = audit.diff(robot_audited(before), robot_audited(after))
    for name in ("robot_webhook_url", "robot_secret"):
        if before[name] != after[name] and name not in changes:
            changes[name] = [HIDDEN, HIDDEN]  # only the key or the secret changed: that it did, never what it is
    if changes:
        audit.record(
            user=user, action=AuditAction.UPDATE, obj=department, region_path=department.region.path, changes=changes
        )
    return department


class RobotUnavailable(Exception):
    """The robot did not take the message for now (no answer, a server error, too many messages): try later."""


def dingtalk_signed(url: str, secret: str, timestamp_ms: int) -> str:
    """The webhook URL of a 钉钉 robot with 加签, for a post at `timestamp_ms` (milliseconds since the epoch): with
    `timestamp` and `sign`, the Base64 HMAC-SHA256, keyed by the secret, of the timestamp, a newline and the secret.
    DingTalk refuses a timestamp more than an hour off, so each post (each retry too) is signed when it is sent. A
    `timestamp` or `sign` already in the URL (pasted from an old signed address) gives way to the new ones."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    parts = urlsplit(url)
    kept = [item for item in parts.query.split("&") if item and item.split("=", 1)[0] not in ("timestamp", "sign")]
    signature = f"timestamp={timestamp_ms}&sign={quote_plus(base64.b64encode(digest).decode())}"
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join([*kept, signature]), parts.fragment))


def robot_url(department: Department) -> str:
    """Where to post now: the webhook, signed when the department's 钉钉 robot has a secret."""
    if department.robot_secret and department.robot_kind == RobotKind.DINGTALK:
        return dingtalk_signed(department.robot_webhook_url, department.robot_secret, int(time.time() * 1000))
    return department.robot_webhook_url


def robot_payload(kind: str, title: str, text: str) -> dict[str, Any]:
    """The message in the vendor's markdown format."""
    text = text[:ROBOT_TEXT_LIMIT]
    if kind == RobotKind.DINGTALK:
        return {"msgtype": "markdown", "markdown": {"title": title[:60], "text": f"#### {title}\n\n{text}"}}
    return {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n{text}"}}


def robot_post(*, department_id: int, title: str, text: str) -> bool:
    """Post one message to the department's robot. True when the robot took it; a refusal (HTTP ≥ 400 or a JSON
    `errcode` other than 0) is recorded on the department, and raises RobotUnavailable when a later try may pass."""
    department = Department.objects.filter(pk=department_id).first()
    if department is None or not department.robot_webhook_url:
        return False
    payload = robot_payload(department.robot_kind, title, text)
    try:
        answer = requests.post(robot_url(department), json=payload, timeout=settings.NOTIFICATION_ROBOT_TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        _robot_failed(department, _("No answer from the robot: %(error)s") % {"error": type(exc).__name__})
        raise RobotUnavailable(type(exc).__name__) from exc  # the message names the URL, with its key
    if answer.status_code >= 400:
        _robot_failed(
            department,
            _("The robot answered HTTP %(status)s: %(text)s")
            % {"status": answer.status_code, "text": answer.text[:200]},
        )
        if answer.status_code == 429 or answer.status_code >= 500:
            raise RobotUnavailable(f"HTTP {answer.status_code}")
        return False
    try:
        reply = answer.json()
    except ValueError:
        reply = None
    code = reply.get("errcode", 0) if isinstance(reply, dict) else None
    if code != 0:
        message = reply.get("errmsg", "") if isinstance(reply, dict) else answer.text[:200]
        _robot_failed(
            department,
            _("The robot refused the message: errcode %(code)s, %(message)s") % {"code": code, "message": message},
        )
        if code in ROBOT_BUSY_CODES:
            raise RobotUnavailable(f"errcode {code}")
        return False
    Department.objects.filter(pk=department.pk).update(robot_delivered_at=timezone.now())
    return True


def _robot_failed(department: Department, what: str) -> None:
    Department.objects.filter(pk=department.pk).update(robot_failed_at=timezone.now(), robot_failure=what[:500])
    logger.warning("robot of department %s: %s", department.pk, what)


# -- delivery ---------------------------------------------------------------------------------------------------------


def link(url: str) -> str:
    """A notification's link as a channel outside the site needs it: absolute under SITE_URL, else none."""
    base = settings.SITE_URL.rstrip("/")
    return f"{base}{url}" if base and url.startswith("/") else ""


@dataclass
class Deliveries:
    """Who gets what besides the inbox: notification ids by recipient to mail, messages by department to post."""

    emails: dict[int, list[int]]
    robots: dict[int, list[str]]


def deliveries(ids: Sequence[int]) -> Deliveries:
    """Sort the notifications by channel, as their recipients chose, leaving out the kinds each muted (one query)."""
    emails: dict[int, list[int]] = defaultdict(list)
    robots: dict[int, list[str]] = defaultdict(list)
    rows = (
        Notification.objects.filter(pk__in=ids)
        .select_related("recipient__notification_preference", "recipient__department")
        .order_by("pk")
    )
    for notification in rows:
        recipient = notification.recipient
        preference = preferences_of(recipient)
        if not delivered_by_channels(preference, notification.kind):
            continue
        if preference.by_email and recipient.email:
            emails[recipient.pk].append(notification.pk)
        department = recipient.department
        if preference.by_robot and department is not None and department.robot_webhook_url:
            robots[department.pk].append(_robot_line(notification))
    return Deliveries(dict(emails), dict(robots))


def robot_title(count: int) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("%(count)d new notifications") % {"count": count} if count > 1 else _("New notification")


def _robot_line(notification: Notification) -> str:
    target = link(notification.url)
    title = f"[{notification.title}]({target})" if target else notification.title
    body = f"：{notification.body}" if notification.body else ""
    return f"- {notification.recipient.display_name}：{title}{body}"


def email_send(*, notification_ids: Sequence[int], digest: bool = False) -> int:
    """Mail the notifications (all of one recipient) in one message; returns how many messages were sent (0 or 1).
    A failure of the mail server raises, for the task to try again."""
    rows = list(Notification.objects.filter(pk__in=notification_ids).select_related("recipient").order_by("pk"))
    if not rows or not rows[0].recipient.email:
        return 0
    recipient = rows[0].recipient
    with translation.override(settings.LANGUAGE_CODE):
        if digest:
            subject = _("Your day, %(date)s: %(count)d reminders") % {
                "date": timezone.localdate().isoformat(),
                "count": len(rows),
            }
        elif len(rows) == 1:
            subject = rows[0].title
        else:
            subject = _("%(count)d new notifications") % {"count": len(rows)}
        parts = []
        for row in rows:
            lines = [row.title, row.body, link(row.url)]
            parts.append("\n".join(line for line in lines if line))
        inbox_link = link("/notifications/")
        footer = _("All your notifications: %(link)s") % {"link": inbox_link} if inbox_link else ""
        body = "\n\n".join([*parts, footer]).strip() + "\n"
    return send_mail(f"[{_site_name()}] {subject}", body, settings.DEFAULT_FROM_EMAIL, [recipient.email])


def _site_name() -> str:
    return _("Group-customer CRM")


# -- the morning digest ----------------------------------------------------------------------------------------------


@dataclass
class DigestOutcome:
    users: int = 0
    notifications: int = 0
    emails: int = 0
    robots: int = 0


def digest_send(*, today: datetime.date | None = None) -> DigestOutcome:
    """Each active user's due items into their inbox (once a day: run again, it adds nothing), one e-mail to those
    who chose e-mail (of the kinds they did not mute), and one message per department with a robot naming who of the
    team has what due (all of it: the team's digest is the department's, not a delivery to the user)."""
    from .tasks import notification_email_send, robot_message_post  # the tasks module imports this one

    today = today or timezone.localdate()
    outcome = DigestOutcome()
    with_robot = set(Department.objects.exclude(robot_webhook_url="").values_list("pk", flat=True))
    team_lines: dict[int, list[str]] = defaultdict(list)
    user_ids = list(User.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(user_ids), DIGEST_BATCH):
        users = list(
            User.objects.filter(pk__in=user_ids[start : start + DIGEST_BATCH]).select_related("notification_preference")
        )
        items: dict[int, list[DigestItem]] = defaultdict(list)
        for answer in digest_items(users=users, today=today):
            for user_id, given in answer.items():
                items[user_id].extend(given)
        rows = [
            Notification(
                recipient_id=user.pk,
                kind=item.kind,
                title=_text(item.title, 200),
                body=_text(item.body),
                url=item.url[:500],
                dedupe_key=f"digest:{today.isoformat()}:{item.kind}",
            )
            for user in users
            for item in items.get(user.pk, [])
        ]
        with transaction.atomic():
            created = set(_write(rows))
        written = defaultdict(list)
        for row in Notification.objects.filter(pk__in=created).values_list("recipient_id", "pk", "title", "kind"):
            written[row[0]].append(row)
        outcome.notifications += len(created)
        for user in users:
            mine = written.get(user.pk)
            if not mine:
                continue
            outcome.users += 1
            preference = preferences_of(user)
            mailed = [pk for _user, pk, _title, kind in mine if delivered_by_channels(preference, kind)]
            if preference.by_email and user.email and mailed:
                later(notification_email_send, notification_ids=mailed, digest=True)
                outcome.emails += 1
            if user.department_id in with_robot:
                titles = "；".join(title for _user, _pk, title, _kind in mine)
                team_lines[user.department_id].append(f"- {user.display_name}：{titles}")
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Daily digest %(date)s: who is behind") % {"date": today.isoformat()}
    for department_id, lines in team_lines.items():
        later(robot_message_post, department_id=department_id, title=title, text="\n".join(lines))
        outcome.robots += 1
    return outcome


def later(task: Any, **kwargs: Any) -> None:
    """Queue a delivery; it never fails the caller, whose writes are committed: with the broker down (or, in the
    embedded default, a channel failing in this very process) the inbox still has every notification."""
    try:
        task.delay(**kwargs)
    except BROKER_ERRORS:
        logger.warning("%s not queued: the broker is unreachable", task.name)
    except Exception:
        logger.exception("%s failed", task.name)
