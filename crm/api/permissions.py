"""The rules of `crm.permissions` as DRF permission classes, so the API asks what the pages and services ask."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from crm.permissions import ACTIONS, may


def May(action: str) -> type[BasePermission]:  # noqa: N802 - reads as a permission class: `permission_classes = [May(...)]`
    """A permission class granting the request when its user may do `action` (a view-level right; object rights
    are asked by the service, after the object is looked up within what the user sees)."""
    if action not in ACTIONS:
        raise KeyError(f"unknown action {action!r}")

    class MayDo(BasePermission):
        message = ACTIONS[action][1]

        def has_permission(self, request, view) -> bool:
            return may(request.user, action)

    MayDo.__name__ = MayDo.__qualname__ = f"May({action})"
    return MayDo
