from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

app = Celery("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The embedded default runs tasks eagerly, yet Celery acquires a producer even for an eager task: with no broker URL,
# a connection to an AMQP server on localhost (never opened) announced by a warning on every run. An in-memory
# transport instead; a real broker, when CELERY_BROKER_URL is set, is untouched.
if app.conf.task_always_eager and not app.conf.broker_url:
    app.conf.broker_url = "memory://localhost/"
