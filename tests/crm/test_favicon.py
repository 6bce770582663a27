"""The product's icon (issue 18): from our own static files, named by every page, and at /favicon.ico for the
browser's request where no page names one."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_the_icon_is_among_our_static_files():
    ico = finders.find("favicon.ico")
    assert ico is not None
    with open(ico, "rb") as file:
        assert file.read(4) == b"\x00\x00\x01\x00"  # an ICO file
    assert finders.find("img/favicon.svg") is not None


def test_favicon_ico_is_sent_on_to_the_static_icon_for_anyone(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.ico"


def test_the_pages_name_the_icon(client, login, cast):
    for html in (
        client.get("/login/").content.decode(),
        login(cast["alice"]).get("/customers/").content.decode(),
    ):
        assert '<link rel="icon" href="/static/favicon.ico"' in html
        assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in html


def test_the_server_error_page_names_the_icon_too():
    from django.template import loader

    assert '<link rel="icon" href="/static/favicon.ico"' in loader.get_template("500.html").render()
