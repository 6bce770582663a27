"""Login and password rules (等保 level 3): the lockout answer of django-axes, in the user's language and saying
until when; a password policy of three character classes among at least ten characters; the API's token
authentication."""

from __future__ import annotations

import knox.auth
from axes.helpers import get_cool_off
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from knox.models import get_token_model
from knox.signals import token_expired

from .errors import refusal
from .notifications import UNREAD_AT_START, unread_count_expression


def lockout_response(request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None):
    """429 with the time the lock ends: an attempt during the lock starts it again (AXES_RESET_COOL_OFF_ON_FAILURE_
    DURING_LOCKOUT), so it ends a cool-off after this one."""
    cool_off = get_cool_off(request)
    until = timezone.localtime(timezone.now() + cool_off) if cool_off else None
    if until is None:
        message = _("Too many failed logins: this account is locked. Ask provincial staff to unlock it.")
    else:
        message = _(
            "Too many failed logins: this account is locked until %(until)s. Try again then, or ask provincial "
            "staff to unlock it."
        ) % {"until": date_format(until, "Y-m-d H:i")}
    return refusal(request, message, 429)


class CharacterClassesValidator:
    """At least three of: lower-case letters, upper-case letters, digits, other characters."""

    def __init__(self, classes: int = 3):
        self.classes = classes

    @staticmethod
    def _classes(password: str) -> int:
        return sum(
            (
                any(c.islower() for c in password),
                any(c.isupper() for c in password),
                any(c.isdigit() for c in password),
                any(not c.isalnum() for c in password),
            )
        )

    def validate(self, password: str, user=None) -> None:
        if self._classes(password) < self.classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return _(
            "Your password must mix at least %(classes)d of: lower-case letters, upper-case letters, digits, "
            "other characters."
        ) % {"classes": self.classes}


class UsernameNotInPasswordValidator:
    """The password does not contain the username, in any case (Django's similarity check lets alice-alice-1A
    through)."""

    def validate(self, password: str, user=None) -> None:
        username = (getattr(user, "username", "") or "").casefold()
        if len(username) >= 3 and username in password.casefold():
            raise ValidationError(self.get_help_text(), code="password_contains_username")

    def get_help_text(self) -> str:
        return _("Your password cannot contain your username.")


class UserBackend(ModelBackend):
    """Django's own backend (username and password, active users only) that reads a signed-in user with their
    department and regions, which every page's territory reads (`crm.visibility`), and the bell's unread count
    (`crm.notifications.unread_count`): up to four queries fewer on every page. Sessions opened under Django's
    backend (before this one) sign in again once."""

    def get_user(self, user_id):
        users = get_user_model()._default_manager.select_related("department__region", "region")
        user = users.annotate(**{UNREAD_AT_START: unread_count_expression()}).filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None


class TokenAuthentication(knox.auth.TokenAuthentication):
    """django-rest-knox's token authentication, without its sweep of the caller's other tokens on every request
    (`_cleanup_token` reads all of them: one query more on every API call, the most frequent of which is an account
    manager logging a visit). The presented token's own expiry is still checked here, as knox does (an expired token
    is deleted and refused); the other expired tokens are deleted by the nightly `crm.tasks.api_tokens_sweep`."""

    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is None or auth_token.expiry >= timezone.now():
            return False
        username = auth_token.user.get_username()
        auth_token.delete()
        token_expired.send(sender=self.__class__, username=username, source="auth_token")
        return True


def api_tokens_expired_delete() -> int:
    """Delete the API tokens past their expiry; how many."""
    deleted, _by_model = get_token_model().objects.filter(expiry__lt=timezone.now()).delete()
    return deleted
