"""The Content-Security-Policy header on every answer, and no template that would need an inline script."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


def test_every_answer_carries_the_policy_with_scripts_from_this_host_only(client, login, cast):
    for response in (client.get("/login/"), login(cast["paul"]).get("/customers/"), client.get("/api/v1/")):
        policy = dict(
            part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";") if part.strip()
        )
        assert policy["script-src"] == "'self'"
        assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"


def test_no_template_has_an_inline_script_or_handler():
    templates = [path for root in settings.TEMPLATES[0]["DIRS"] for path in Path(root).rglob("*.html")]
    assert len(templates) > 20
    offenders = [
        str(path)
        for path in templates
        if INLINE_SCRIPT.search(path.read_text()) or INLINE_HANDLER.search(path.read_text())
    ]
    assert offenders == []


def test_the_api_docs_start_swagger_ui_from_a_script_file(login, cast):
    html = login(cast["paul"]).get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    assert not INLINE_SCRIPT.search(html)
