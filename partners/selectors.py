"""Reading partner companies (issue 20) as the caller may."""

from __future__ import annotations

from django.db.models import QuerySet

from crm.models import Partner, User
from crm.visibility import visible_partners


def partners_for(user: User) -> QuerySet[Partner]:
    """The partners the caller sees (`crm.visibility.visible_partners`), with the products they may sell."""
    return visible_partners(user).prefetch_related("products")
