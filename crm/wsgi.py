"""The WSGI application Gunicorn serves (docker-compose.yml), one per worker process.

Once the application and every view, form and template tag its URLconf names are loaded, the objects loaded so far
(about 150 000: modules, classes, URL patterns, translations) are moved out of the cyclic garbage collector's view
with `gc.freeze()`: they live as long as the process, and each full collection walked them all again, a pause of
70–80 ms in one request out of ten at a million customers (issue 19; docs/PERFORMANCE.md). A request's own
garbage is collected as before.
"""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 (imports every app's views, as the first request would)
gc.collect()
gc.freeze()
