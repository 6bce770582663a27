"""The teams app's periodic jobs (crm/beat.py names them)."""

from __future__ import annotations

from celery import shared_task

from .services import manager_loads_snapshot, team_gaps_snapshot


@shared_task(name="teams.tasks.team_gaps_nightly")
def team_gaps_nightly() -> int:
    """The night's counts of the incomplete-teams page (`services.team_gaps_snapshot`); the rows written."""
    return team_gaps_snapshot()


@shared_task(name="teams.tasks.manager_loads_nightly")
def manager_loads_nightly() -> int:
    """The night's count of each account manager's customers (`services.manager_loads_snapshot`); the rows written."""
    return manager_loads_snapshot()
