"""The API against its own schema (issue 16, point 8): schemathesis generates requests for every operation of the
OpenAPI schema, as provincial staff and as an account manager, and each answer must be no server error, a status
the schema documents, of the documented content type, and shaped as documented."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Examples per operation and role: enough to reach each operation's refusals and answers on every run of CI.
EXAMPLES = 8


def _schema():
    raw = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(raw)
    loaded.app = get_wsgi_application()
    # Signing out would revoke the token the rest of the operation's examples use; it has tests of its own.
    return loaded.exclude(path="/api/v1/auth/logout/")


schema = _schema()


@pytest.fixture(autouse=True)
def _connection_kept():
    """The requests reach the WSGI application directly, not through Django's test client, which is what keeps a
    request's end from closing the database connection (and with it the test's transaction): done here the same
    way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _call(case, user) -> None:
    _instance, token = AuthToken.objects.create(user)
    case.call_and_validate(headers={"Authorization": f"Token {token}", "X-Forwarded-Proto": "https"}, checks=CHECKS)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_as_provincial_staff_every_operation_keeps_to_the_schema(case, cast, customers):
    _call(case, cast["paul"])


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_as_an_account_manager_every_operation_keeps_to_the_schema(case, cast, customers):
    _call(case, cast["alice"])
