"""What every page's template knows besides the request: the unread count of the bell in the navigation bar."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from .notifications import unread_count


def notifications(request) -> dict:
    """`unread_notifications`: counted only if the page shows it (one indexed COUNT), never for anonymous users."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
