"""The ground floor's tasks: periodic housekeeping and the delivery of notifications (scheduled in `crm.beat`)."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import asdict
from typing import Any

from celery import shared_task
from django.utils import timezone

from . import notifications
from .idempotency import KEPT_FOR
from .jobs import retry_countdown
from .models import IdempotencyRecord
from .security import api_tokens_expired_delete

logger = logging.getLogger(__name__)

# Delivery is retried on what passes with time (no answer, a server error, a robot saying "too many messages") after
# 30 s, 60 s, 120 s… (crm.jobs.retry_countdown), at most 6 times (about half an hour in all); what still fails is on
# the department's robot page (robots) or in the log (e-mail). The inbox has every notification whatever happens. In
# the embedded default (tasks run in the request, no worker to try later) a failure is recorded and not retried.
DELIVERY = {"bind": True, "acks_late": True, "max_retries": 6, "time_limit": 120, "soft_time_limit": 100}


@shared_task(name="crm.tasks.idempotency_keys_sweep")
def idempotency_keys_sweep() -> int:
    """Deletes the Idempotency-Key records past their day; returns how many."""
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - KEPT_FOR).delete()
    return deleted


@shared_task(name="crm.tasks.api_tokens_sweep")
def api_tokens_sweep() -> int:
    """Deletes the API tokens past their expiry (crm.security.TokenAuthentication no longer does on every call);
    returns how many."""
    return api_tokens_expired_delete()


@shared_task(name="crm.tasks.notifications_deliver", acks_late=True, time_limit=120, soft_time_limit=100)
def notifications_deliver(notification_ids: list[int]) -> dict:
    """Hand new notifications to the channels their recipients chose: one e-mail per recipient, one robot message
    per department, each a task of its own so that a retry of one never sends the others twice."""
    planned = notifications.deliveries(notification_ids)
    for ids in planned.emails.values():
        notification_email_send.delay(notification_ids=ids)
    for department_id, lines in planned.robots.items():
        robot_message_post.delay(
            department_id=department_id, title=notifications.robot_title(len(lines)), text="\n".join(lines)
        )
    return {"emails": len(planned.emails), "robots": len(planned.robots)}


@shared_task(name="crm.tasks.notification_email_send", **DELIVERY)
def notification_email_send(self, notification_ids: list[int], digest: bool = False) -> int:
    try:
        return notifications.email_send(notification_ids=notification_ids, digest=digest)
    except (smtplib.SMTPException, OSError) as exc:
        return _again(self, exc, 0)


@shared_task(name="crm.tasks.robot_message_post", **DELIVERY)
def robot_message_post(self, department_id: int, title: str, text: str) -> bool:
    try:
        return notifications.robot_post(department_id=department_id, title=title, text=text)
    except notifications.RobotUnavailable as exc:
        return _again(self, exc, False)


def _again(task, exc: Exception, nothing: Any) -> Any:
    """Try the delivery again later with backoff; run in the request (eager), give up at once (it is recorded)."""
    if task.request.is_eager:
        logger.warning("%s not delivered: %s", task.name, exc)
        return nothing
    raise task.retry(exc=exc, countdown=retry_countdown(task.request.retries))


@shared_task(name="crm.tasks.notifications_digest_daily", acks_late=True, time_limit=30 * 60, soft_time_limit=28 * 60)
def notifications_digest_daily() -> dict:
    """The morning digest (`crm.notifications.digest_send`); returns what it sent."""
    return asdict(notifications.digest_send())
