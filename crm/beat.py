"""The Celery beat schedule: every periodic job, crontabs only, times in Asia/Shanghai (CELERY_TIMEZONE).

Tasks are named here by the explicit `name=` each declares in its `shared_task`, not imported: the project's
ground floor does not import the apps, and the names stay put when a task's module moves.
"""

from __future__ import annotations

from celery import signature
from celery.schedules import crontab

BEAT_SCHEDULE = {
    # 02:00 nightly: every active customer's tier under the rule set in force (SPEC §4.2) and, in the same chunks,
    # the personal VIP levels of their group members (SPEC §4.3), fanned out over the workers; once the tiers are
    # done, the KPI snapshots of the month yesterday belonged to (SPEC §7), fanned out the same way.
    "tiers-then-kpis-nightly": {
        "task": "tiering.tasks.tier_recompute_nightly",
        "schedule": crontab(hour=2, minute=0),
        "kwargs": {"then": signature("kpis.tasks.kpi_snapshots_nightly")},
    },
    # 01:30 nightly, before the tiers and the KPIs: every customer's arrears collection case against its arrears as
    # last billed and tonight's thresholds (issue 21): cases open where a threshold was lowered, close where paid.
    "arrears-cases-nightly": {
        "task": "arrears.tasks.arrears_cases_nightly",
        "schedule": crontab(hour=1, minute=30),
    },
    # Imports whose worker died mid-check or mid-write are marked failed (nothing of them was written), so that
    # staff can confirm them again (SPEC §8.4).
    "imports-recover": {
        "task": "imports.tasks.import_runs_recover",
        "schedule": crontab(minute="*/5"),
    },
    # 03:20 nightly: checked imports left unconfirmed for IMPORTS_PREVIEW_DAYS are discarded, so that their staged
    # rows (a gigabyte for a nightly dry run of ten million members) do not fill the disk.
    "imports-expire": {
        "task": "imports.tasks.import_runs_expire",
        "schedule": crontab(hour=3, minute=20),
    },
    # Every 10 minutes: recomputes and KPI computations of which no chunk has ended for JOB_SILENCE_MINUTES are
    # failed with the reason (their workers died and no redelivery finished them), so none stays "running".
    "tier-runs-sweep": {
        "task": "tiering.tasks.tier_runs_sweep",
        "schedule": crontab(minute="*/10"),
    },
    "kpi-runs-sweep": {
        "task": "kpis.tasks.kpi_runs_sweep",
        "schedule": crontab(minute="*/10"),
    },
    # Campaigns created by a worker that died mid-way (nothing of them was written: one transaction) are failed the
    # same way, so that their planners confirm them again.
    "campaign-creations-sweep": {
        "task": "campaigns.tasks.campaign_creations_sweep",
        "schedule": crontab(minute="*/10"),
    },
    # Commission settlements computed by workers that died are failed the same way: their chunks that ended keep
    # their settlements, and provincial staff compute the month again.
    "settlement-runs-sweep": {
        "task": "partners.tasks.settlement_runs_sweep",
        "schedule": crontab(minute="*/10"),
    },
    # Every 5 minutes: the call-backs (回拨) promised for now, each told once to the agent who calls the number.
    "call-backs-remind": {
        "task": "campaigns.tasks.call_backs_remind",
        "schedule": crontab(minute="*/5"),
    },
    # 04:30 nightly, once the tiers are recomputed: the counts per region, tier and roles held that the
    # incomplete-teams page adds up for a territory, as of that time (teams.TeamGapCount).
    "team-gaps-nightly": {
        "task": "teams.tasks.team_gaps_nightly",
        "schedule": crontab(hour=4, minute=30),
    },
    # 04:35 nightly: each account manager's customers, which the manager load page sorts a province's managers by,
    # as of that time (teams.ManagerLoad).
    "manager-loads-nightly": {
        "task": "teams.tasks.manager_loads_nightly",
        "schedule": crontab(hour=4, minute=35),
    },
    # 04:40 nightly: the gap matrix per region that its page adds up for a territory, as of that time
    # (campaigns.CoverageCount).
    "coverage-nightly": {
        "task": "campaigns.tasks.coverage_nightly",
        "schedule": crontab(hour=4, minute=40),
    },
    # 05:00 nightly: prospects claimed from a grid's pool (公海) and left without a visit for their province's days go
    # back to the pool, and their managers are told (issue 21).
    "prospects-return-nightly": {
        "task": "prospects.tasks.prospects_return_nightly",
        "schedule": crontab(hour=5, minute=0),
    },
    # 08:00 every day: each user's morning digest (visits due, idle plans, expiring overrides…) into their inbox,
    # by e-mail to those who chose it, and one message per department to its group robot: who of the team is behind.
    "notifications-digest-daily": {
        "task": "crm.tasks.notifications_digest_daily",
        "schedule": crontab(hour=8, minute=0),
    },
    # 03:15 nightly: API tokens past their expiry are deleted (crm.security.TokenAuthentication refuses them at once).
    "api-tokens-sweep": {
        "task": "crm.tasks.api_tokens_sweep",
        "schedule": crontab(hour=3, minute=15),
    },
    # 03:30 nightly: Idempotency-Key records past their day (crm.idempotency) are deleted.
    "idempotency-keys-sweep": {
        "task": "crm.tasks.idempotency_keys_sweep",
        "schedule": crontab(hour=3, minute=30),
    },
}
