"""The Celery beat schedule: every periodic job, crontabs only, times in Asia/Shanghai (CELERY_TIMEZONE)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # 02:00 nightly: personal VIP levels of group members from their ARPU (SPEC §4.3), chunked over the workers.
    "vip-levels-nightly": {
        "task": "accounts.tasks.vip_levels_recompute",
        "schedule": crontab(hour=2, minute=0),
    },
}
