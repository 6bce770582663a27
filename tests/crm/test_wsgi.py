"""The server's process (crm/wsgi.py, what each Gunicorn worker loads) moves its long-lived objects out of the cyclic
garbage collector's view once the application is loaded: full collections no longer walk them in a request
(issue 19)."""

import subprocess
import sys

from django.conf import settings

PROBE = (
    "import gc; import crm.wsgi; from django.urls import resolve; "
    "print(gc.get_freeze_count(), crm.wsgi.application.__class__.__name__, resolve('/today/').view_name)"
)


def test_the_wsgi_process_freezes_what_it_loaded_and_still_serves():
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120, check=True
    )
    frozen, application, view = done.stdout.split()
    assert int(frozen) > 50_000  # the modules, URL patterns and translations of every app
    assert (application, view) == ("WSGIHandler", "workbench:today")
