"""The answers to a request that fails before or outside a view's own handling (Django's handler400/403/404/500):
JSON `{"detail": …}` under /api/, as every other API error; otherwise the page, in the user's language."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _

API_PREFIX = "/api/"


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def refusal(request: HttpRequest, message: str, status: int = 400) -> HttpResponse:
    """`message` as a JSON error (API) or on the error page of `status` (400, 404 or 429)."""
    if is_api(request):
        return JsonResponse({"detail": message}, status=status)
    return render(request, f"{status}.html", {"message": message}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        message = _("The request is larger than the limit of %(limit)d MB.") % {
            "limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        }
    elif isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
        message = _("The request has more fields than the limit of %(limit)d.") % {
            "limit": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        }
    else:
        message = _("The request is malformed.")
    return refusal(request, message, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # `crm.permissions.require` says why in the exception; Django's own refusals (CSRF) say nothing.
    message = str(exception) if exception is not None and exception.args else ""
    if is_api(request):
        return JsonResponse({"detail": message or _("You may not do this.")}, status=403)
    return render(request, "403.html", {"exception": message}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return refusal(request, _("Not found."), 404)


def server_error(request: HttpRequest) -> HttpResponse:
    """Whatever failed may have been the database or a template: a page of its own, no context processor."""
    if is_api(request):
        return JsonResponse({"detail": _("A server error occurred. It has been logged.")}, status=500)
    return HttpResponse(loader.get_template("500.html").render(), status=500)
