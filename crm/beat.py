"""The Celery beat schedule: every periodic job, crontabs only, times in Asia/Shanghai (CELERY_TIMEZONE)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # 02:00 nightly: every active customer's tier under the rule set in force (SPEC §4.2), chunked over the workers.
    "tiers-nightly": {
        "task": "tiering.tasks.tier_recompute_nightly",
        "schedule": crontab(hour=2, minute=0),
    },
    # 02:00 nightly: personal VIP levels of group members from their ARPU (SPEC §4.3), chunked over the workers.
    "vip-levels-nightly": {
        "task": "accounts.tasks.vip_levels_recompute",
        "schedule": crontab(hour=2, minute=0),
    },
}
