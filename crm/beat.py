"""The Celery beat schedule: every periodic job, crontabs only, times in Asia/Shanghai (CELERY_TIMEZONE)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # 02:00 nightly: every active customer's tier under the rule set in force (SPEC §4.2) and, in the same chunks,
    # the personal VIP levels of their group members (SPEC §4.3), fanned out over the workers.
    "tiers-nightly": {
        "task": "tiering.tasks.tier_recompute_nightly",
        "schedule": crontab(hour=2, minute=0),
    },
}
