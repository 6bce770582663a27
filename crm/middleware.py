from __future__ import annotations

import time
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation import gettext as _

from . import audit
from .errors import refusal
from .models import AuditAction


class LanguageMiddleware(LocaleMiddleware):
    """Simplified Chinese unless the user chose another language with the switcher (the language cookie).

    Django's own middleware would follow the browser's Accept-Language; staff on an English-language browser still
    work in Chinese by default, as the product's users do.
    """

    def process_request(self, request) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class MalformedInputMiddleware:
    """Refuses, before any view, what no view could read truthfully (in the user's language, JSON under /api/): an
    address with a NUL character names nothing (404: no database stores one in text); a NUL character in the query
    or a form's body (a view may store the text or look a code up by it), or a query or form body whose
    percent-encoded bytes are not UTF-8, which Django would otherwise read with each bad byte replaced by “�” and a
    view would store so, is a 400. (A JSON body's NUL: `crm.api.parsers.JSONParser`.)"""

    FORM = "application/x-www-form-urlencoded"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path:
            return refusal(request, _("The address contains a NUL character."), 404)
        problem = self.problem(request)
        if problem:
            return refusal(request, problem)
        return self.get_response(request)

    def problem(self, request) -> str | None:
        query = _percent_decoded(request.META.get("QUERY_STRING", ""))
        if b"\x00" in query:
            return _("The query contains a NUL character.")
        if not _is_utf8(query):
            return _("The query is not in UTF-8.")
        if request.method in ("POST", "PUT", "PATCH") and request.content_type == self.FORM:
            body = _percent_decoded(request.body)
            if b"\x00" in body:
                return _("The form's text contains a NUL character.")
            if not _is_utf8(body):
                return _("The form's text is not in UTF-8.")
        return None


def _percent_decoded(value: str | bytes) -> bytes:
    # WSGI gives the query as Latin-1 text: each character one byte of the request.
    raw = value.encode("latin-1", "replace") if isinstance(value, str) else value
    return unquote_to_bytes(raw.replace(b"+", b" "))


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


SESSION_REFRESHED = "refreshed_at"
# How often a signed-in user's requests move the end of their session on: a write at most once a minute, not at
# every request (Django's SESSION_SAVE_EVERY_REQUEST); the idle limit is then kept to within a minute.
SESSION_REFRESH_SECONDS = 60


def session_refreshed(request) -> None:
    """Marks the session as just written (at login, `crm.apps`)."""
    request.session[SESSION_REFRESHED] = int(time.time())


class SessionIdleMiddleware:
    """A signed-in session ends after SESSION_COOKIE_AGE seconds without a request (SESSION_IDLE_MINUTES): each
    request moves that end on, saving the session (and its cookie's age) when a minute has passed since the last
    save. Placed after SessionMiddleware, so that the save happens in its answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and session.get(SESSION_KEY) is not None:
            if int(time.time()) - session.get(SESSION_REFRESHED, 0) >= SESSION_REFRESH_SECONDS:
                session_refreshed(request)
        return response


class AuditChannelMiddleware:
    """Tells the audit trail (`crm.audit`) where the writes of this request come from (page, API or admin) and
    the caller's address, and records a refusal (403) of whatever view refused it. After AuthenticationMiddleware:
    the refused user is known (a token's user too, once DRF has set it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with audit.through(audit.source_of_path(request.path), audit.address_of(request)):
            response = self.get_response(request)
            if response.status_code == 403:
                audit.record(
                    user=getattr(request, "user", None),
                    action=AuditAction.REFUSED,
                    object_repr=f"{request.method} {request.path}",
                    detail={"method": request.method, "path": request.path[:300]},
                )
        return response
