"""The routers of the API at /api/v1/.

Each app owns its routes in `<app>/api/urls.py` and registers its viewsets on an `ApiRouter` there; the project's
API router module (`crm.api.urls`) includes those modules by their dotted path, so the ground floor imports no app.
The routes are the ones a single DefaultRouter gave: `.json`-style format suffixes on every viewset route, and one
API root that lists every app's viewsets. Each app's router enters its viewsets on that root as it registers them,
so the root learns of the apps from them rather than by importing them.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import APIRootView, SimpleRouter
from rest_framework.urlpatterns import format_suffix_patterns
from rest_framework.viewsets import ViewSetMixin

# Prefix -> name of the list route, for every viewset of every app, in the order the apps' routes are included.
_root_entries: dict[str, str] = {}


class ApiRouter(SimpleRouter):
    """An app's router: DefaultRouter's routes without a root view of its own (the API has one root, see
    `api_root_urls`). A basename is unique across the whole API, as it was within the one DefaultRouter."""

    def register(self, prefix: str, viewset: type[ViewSetMixin], basename: str | None = None) -> None:
        super().register(prefix, viewset, basename)
        prefix, _viewset, basename = self.registry[-1]
        list_name = self.routes[0].name.format(basename=basename)
        registered_prefix = next((key for key, name in _root_entries.items() if name == list_name), prefix)
        if registered_prefix != prefix:
            raise ImproperlyConfigured(
                f'An API router already registers basename "{basename}" at "{registered_prefix}".'
            )
        _root_entries[prefix] = list_name

    def get_urls(self) -> list[URLPattern | URLResolver]:
        return format_suffix_patterns(super().get_urls())


def api_root_urls() -> list[URLPattern | URLResolver]:
    """The browsable API root at the router module's own path, named `api-root` as DefaultRouter's was."""
    return format_suffix_patterns([path("", APIRootView.as_view(api_root_dict=_root_entries), name="api-root")])
