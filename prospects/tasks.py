"""The prospects app's periodic job (crm/beat.py names it)."""

from __future__ import annotations

from celery import shared_task

from .services import prospects_return_idle


@shared_task(name="prospects.tasks.prospects_return_nightly")
def prospects_return_nightly() -> int:
    """Claims left without a visit for their province's days go back to the pool (`services.prospects_return_idle`);
    how many went back."""
    return prospects_return_idle()
