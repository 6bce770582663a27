"""Settings read from the environment.

With no variable set the project runs on its embedded default: SQLite next to the code and Celery in eager mode,
so a fresh checkout starts with one command. Production sets DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY,
ALLOWED_HOSTS and DEBUG=false (see docker-compose.yml).
"""

from __future__ import annotations

import datetime
import os
import zoneinfo
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from crm.beat import BEAT_SCHEDULE

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


def _read(name: str, cast, default):
    """Read one variable, turning a malformed value into a start-up error that names it."""
    try:
        return cast(name, default=default)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"Environment variable {name} has an invalid value: {exc}") from exc


DEBUG = _read("DEBUG", env.bool, True)

_INSECURE_DEV_KEY = "django-insecure-embedded-default-only-for-local-use"
SECRET_KEY = _read("SECRET_KEY", env.str, "" if not DEBUG else _INSECURE_DEV_KEY)
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false.")

ALLOWED_HOSTS = _read("ALLOWED_HOSTS", env.list, ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is false.")
CSRF_TRUSTED_ORIGINS = _read("CSRF_TRUSTED_ORIGINS", env.list, [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "axes",
    "django_filters",
    "bootstrap",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "rules",
    "crm",
    "accounts",
    "tiering",
    "teams",
    "campaigns",
    "arrears",
    "kpis",
    "imports",
    "partners",
    "prospects",
    "workbench",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "crm.middleware.SessionIdleMiddleware",
    "crm.middleware.LanguageMiddleware",
    "crm.middleware.MalformedInputMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "crm.middleware.AuditChannelMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lockout into the answer of `crm.security.lockout_response`.
    "axes.middleware.AxesMiddleware",
]

if not DEBUG:
    # Gunicorn serves the collected static files itself; in DEBUG runserver serves them from the finders.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"

# Django's, but a select written without a template per option (`crm.forms.FormRenderer`).
FORM_RENDERER = "crm.forms.FormRenderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "crm.context_processors.notifications",
            ],
        },
    },
]

# Database: DATABASE_URL (postgres://user:pass@host:5432/name) or the embedded SQLite file.
try:
    DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
except (ValueError, KeyError, environ.ImproperlyConfigured) as exc:
    raise ImproperlyConfigured(f"Environment variable DATABASE_URL has an invalid value: {exc}") from exc
if DATABASES["default"]["ENGINE"] not in ("django.db.backends.postgresql", "django.db.backends.sqlite3"):
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://…) or SQLite (sqlite:///…).")
DATABASES["default"]["CONN_MAX_AGE"] = _read("CONN_MAX_AGE", env.int, 60 if not DEBUG else 0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compilation costs 50–100 ms per statement over a million rows and never pays back on pages that
    # answer in tens of milliseconds or on the chunked recompute (docs/PERFORMANCE.md).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
else:
    # Covering indexes (Index.include) are PostgreSQL's; elsewhere Django builds the same index without the carried
    # columns, which is what the embedded SQLite default needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
    # The embedded default serves pages while an import writes for minutes in one transaction: in write-ahead-log
    # mode readers go on reading the last committed state instead of failing with "database is locked", and a
    # second writer waits up to 20 s for the first (SQLite allows one at a time).
    _sqlite = DATABASES["default"].setdefault("OPTIONS", {})
    _sqlite.setdefault("init_command", "PRAGMA journal_mode=WAL;")
    _sqlite.setdefault("timeout", 20)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "crm.User"
# Passwords of 等保 level 3: ten characters or more, three character classes, not like the username.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "crm.security.CharacterClassesValidator"},
    {"NAME": "crm.security.UsernameNotInPasswordValidator"},
]
# Login lockout (django-axes) on the login page, the admin and the token endpoint: per username and address,
# LOGIN_FAILURE_LIMIT failures lock for LOGIN_LOCKOUT_MINUTES. Failures count within the lockout time since the
# last one, and a failure while locked starts the lock again (axes' defaults).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "crm.security.UserBackend",  # Django's ModelBackend, reading the user's department and regions with them
]
AXES_FAILURE_LIMIT = _read("LOGIN_FAILURE_LIMIT", env.int, 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=_read("LOGIN_LOCKOUT_MINUTES", env.int, 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "crm.security.lockout_response"
AXES_VERBOSE = False
# Sessions end after SESSION_IDLE_MINUTES without a request (crm.middleware.SessionIdleMiddleware).
SESSION_COOKIE_AGE = 60 * _read("SESSION_IDLE_MINUTES", env.int, 30)
# Content-Security-Policy (django-csp): scripts from this host only, never inline (every script is a static
# file, every handler bound from one); styles may be inline, as plotly.js and Swagger UI set them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF, csp.UNSAFE_INLINE],
        "img-src": [csp.SELF, "data:"],
        "font-src": [csp.SELF, "data:"],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    }
}
# API tokens (django-rest-knox): a new one at each login, stored hashed, revoked by logout, a password change or a
# deactivation, expiring after TOKEN_TTL_DAYS.
REST_KNOX = {
    "TOKEN_TTL": datetime.timedelta(days=_read("TOKEN_TTL_DAYS", env.int, 7)),
    "AUTH_HEADER_PREFIX": "Token",
}
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Internationalisation: Simplified Chinese first, English available.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = _read("TIME_ZONE", env.str, "Asia/Shanghai")
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
    raise ImproperlyConfigured(f"Environment variable TIME_ZONE has an invalid value: {TIME_ZONE!r}") from exc
USE_I18N = True
USE_TZ = True

# Benchmarks only (bench/run), never production: BENCH_TODAY=YYYY-MM-DD runs the process as if it were that day, so
# that the seed draws the same data and every page, job and campaign of the benchmark reads the same rows on any day
# (issue 19). The clock starts at 09:00 of that day plus the seconds since BENCH_STARTED, a Unix time bench/run takes
# once, so that every process of a run (the seed, Celery workers, Gunicorn) shares one clock that moves on.
# time-machine (a dev dependency) moves the process's clock: every reader of the time, Django's and the libraries',
# sees it, where a "today" of our own would have to be passed to each of them.
BENCH_TODAY = _read("BENCH_TODAY", env.str, "")
if BENCH_TODAY:
    try:
        _bench_day = datetime.date.fromisoformat(BENCH_TODAY)
    except ValueError as exc:
        message = f"Environment variable BENCH_TODAY is not a date YYYY-MM-DD: {BENCH_TODAY!r}"
        raise ImproperlyConfigured(message) from exc
    import time

    import time_machine

    _bench_started = _read("BENCH_STARTED", env.float, time.time())
    time_machine.travel(
        datetime.datetime.combine(_bench_day, datetime.time(9), tzinfo=zoneinfo.ZoneInfo(TIME_ZONE))
        + datetime.timedelta(seconds=max(0.0, time.time() - _bench_started)),
        tick=True,
    ).start()

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "crm.staticfinders.VendoredFileFinder",  # the chart library, fetched at install time (crm/vendor.py)
]
# Uploaded files (visit photos) go through Django's storage API: the filesystem under MEDIA_ROOT by default, an
# S3-compatible object store (MinIO on the intranet, or any S3) when MEDIA_S3_BUCKET is set. They are never served
# as public files: a view checks that the reader may see the customer and streams the file (teams.views).
MEDIA_ROOT = _read("MEDIA_ROOT", env.str, str(BASE_DIR / "var" / "media"))
MEDIA_URL = "media/"
MEDIA_S3_BUCKET = _read("MEDIA_S3_BUCKET", env.str, "")
if MEDIA_S3_BUCKET:
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            "endpoint_url": _read("MEDIA_S3_ENDPOINT_URL", env.str, "") or None,  # MinIO: http://minio:9000
            "access_key": _read("MEDIA_S3_ACCESS_KEY", env.str, "") or None,
            "secret_key": _read("MEDIA_S3_SECRET_KEY", env.str, "") or None,
            "region_name": _read("MEDIA_S3_REGION", env.str, "") or None,
            "default_acl": None,  # the bucket stays private: the view above is the only way to a photo
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _media_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _media_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Security: strict whenever DEBUG is off (`manage.py check --deploy` passes with the production environment).
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = _read("SECURE_SSL_REDIRECT", env.bool, True)
    SECURE_HSTS_SECONDS = _read("SECURE_HSTS_SECONDS", env.int, 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# REST API (SPEC §8.2).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an anonymous script gets 401 with a WWW-Authenticate header rather than 403.
        "crm.security.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "crm.api.pagination.StandardPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "crm.api.exceptions.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "crm.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
FILTERS_EMPTY_CHOICE_LABEL = _("All")

SPECTACULAR_SETTINGS = {
    "TITLE": "Group-customer CRM API",
    "DESCRIPTION": "REST API of the group-customer CRM (SPEC §8.2).",
    "VERSION": "1.0.0",
    # The schema and its docs page for signed-in staff only.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The team roles appear in several serializers (a visit's role, a team's missing roles); one name for them all.
    "ENUM_NAME_OVERRIDES": {
        "TeamRoleEnum": "teams.models.TeamRoleKind",
        "CallOutcomeEnum": "campaigns.models.CallOutcome",  # a call's outcome and an entry's last outcome
        "AuditSourceEnum": "crm.models.AuditSource",
        "SourceEnum": "campaigns.models.CallSource",  # a call list's source, named as before the audit trail's
        "StageEnum": "campaigns.models.PlanStage",  # a plan's stage, named as before the opportunities'
        "OpportunityStageEnum": "campaigns.models.OpportunityStage",
        "PartnerKindEnum": "crm.models.PartnerKind",  # a partner's kinds and a commission rule's kind
        "PartnerStatusEnum": "crm.models.PartnerStatus",
        "LeadStatusEnum": "campaigns.models.LeadStatus",
        "SettlementStatusEnum": "partners.models.SettlementStatus",
        "ArrearsOutcomeKindEnum": "arrears.models.OutcomeKind",  # a collection case's outcomes (issue 21)
        "ArrearsCaseStatusEnum": "arrears.models.CaseStatus",
        "DuplicateKindEnum": "prospects.models.DuplicateKind",  # a possible duplicate of a prospect (issue 21)
        "DuplicateReasonEnum": "prospects.models.DuplicateReason",
    },
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation documents the errors any may give (crm.api.schema), after the enums' own postprocessing.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "crm.api.schema.add_common_errors",
    ],
}

# Verified field visits (外勤签到): an on-site visit is verified when checked in within the radius of the customer's
# location, with a position the phone reports accurate to the limit or better; photos are images up to the size.
VISIT_CHECK_IN_RADIUS_M = _read("VISIT_CHECK_IN_RADIUS_M", env.int, 500)
VISIT_CHECK_IN_ACCURACY_M = _read("VISIT_CHECK_IN_ACCURACY_M", env.int, 200)
VISIT_PHOTO_MAX_BYTES = _read("VISIT_PHOTO_MAX_BYTES", env.int, 10 * 1024 * 1024)

# Notifications (issue 17): e-mail through Django's mail backend, configured by EMAIL_URL (smtp+tls://user:password@
# mail.example.com:587; the console by default, which prints the messages), from DEFAULT_FROM_EMAIL. SITE_URL
# (https://crm.example.com) makes the links in e-mails and robot messages absolute; without it they carry none.
# A group robot that does not answer within NOTIFICATION_ROBOT_TIMEOUT_SECONDS is tried again later. A campaign plan
# whose stage has not moved for PLAN_IDLE_DAYS is in its owner's morning digest.
try:
    vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
except (ValueError, KeyError, ImproperlyConfigured) as exc:
    raise ImproperlyConfigured(f"Environment variable EMAIL_URL has an invalid value: {exc}") from exc
DEFAULT_FROM_EMAIL = _read("DEFAULT_FROM_EMAIL", env.str, "crm@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SITE_URL = _read("SITE_URL", env.str, "")
NOTIFICATION_ROBOT_TIMEOUT_SECONDS = _read("NOTIFICATION_ROBOT_TIMEOUT_SECONDS", env.float, 5.0)
PLAN_IDLE_DAYS = _read("PLAN_IDLE_DAYS", env.int, 14)
# A campaign confirmed on the page with this many plans or more is created by a worker while the page shows its
# progress (a province's takes tens of seconds); a smaller one at once. The API always creates at once.
CAMPAIGN_BACKGROUND_PLANS = _read("CAMPAIGN_BACKGROUND_PLANS", env.int, 5_000)
# Outbound calls (issue 20): the seven-touch rule (七次触达), over every campaign at once. A number is called (by an
# agent or a dialer, whatever the outcome) at most CALL_TOUCH_MAX times in any CALL_TOUCH_WINDOW_DAYS days, and never
# again within CALL_TOUCH_INTERVAL_HOURS of its last call. Deployment settings like the others, not a table: the rule
# is the operator's, the same for every province, and changes with a release note, not from a page.
CALL_TOUCH_WINDOW_DAYS = _read("CALL_TOUCH_WINDOW_DAYS", env.int, 90)
CALL_TOUCH_MAX = _read("CALL_TOUCH_MAX", env.int, 7)
CALL_TOUCH_INTERVAL_HOURS = _read("CALL_TOUCH_INTERVAL_HOURS", env.int, 48)
if CALL_TOUCH_WINDOW_DAYS < 1 or CALL_TOUCH_MAX < 1 or CALL_TOUCH_INTERVAL_HOURS < 0:
    raise ImproperlyConfigured(
        "CALL_TOUCH_WINDOW_DAYS and CALL_TOUCH_MAX must be 1 or more, CALL_TOUCH_INTERVAL_HOURS 0 or more."
    )
# A list longer than this is not counted row by row: PostgreSQL's planner estimates its length, said as "about N"
# (crm.paginator.EstimatingPaginator); a count of a territory's million rows would cost more than the page.
EXACT_COUNT_LIMIT = _read("EXACT_COUNT_LIMIT", env.int, 5_000)
if EXACT_COUNT_LIMIT < 0:
    raise ImproperlyConfigured("Environment variable EXACT_COUNT_LIMIT must be 0 or more.")

# Imports (SPEC §8.4): uploads are streamed to disk, never held in memory, and kept in IMPORTS_DIR (a volume shared
# by the web and the workers in production) for their check, preview and write.
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.TemporaryFileUploadHandler"]
IMPORTS_DIR = _read("IMPORTS_DIR", env.str, str(BASE_DIR / "var" / "imports"))
IMPORTS_MAX_BYTES = _read("IMPORTS_MAX_BYTES", env.int, 1024**3)
# A checked run waits this long for its confirm (its rows held in a staging table), then is discarded.
IMPORTS_PREVIEW_DAYS = _read("IMPORTS_PREVIEW_DAYS", env.int, 3)
if IMPORTS_PREVIEW_DAYS < 1:
    raise ImproperlyConfigured("Environment variable IMPORTS_PREVIEW_DAYS must be 1 or more.")


def _redis_of_this_test_process(url: str) -> str:
    """The test suite runs in several processes (pytest-xdist, PYTEST_XDIST_WORKER gw0, gw1, …), each on a test
    database of its own; on a Redis broker each takes a Redis database of its own too (gw0 the 1st, gw1 the 2nd…),
    so that one's queue, results and cache never reach another's worker. Outside the test suite, unchanged."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url.startswith("redis") or not worker.startswith("gw") or not worker[2:].isdigit():
        return url
    return urlunsplit(urlsplit(url)._replace(path=f"/{int(worker[2:]) + 1}"))


# Celery: a real broker when CELERY_BROKER_URL is set, otherwise tasks run eagerly in-process.
CELERY_BROKER_URL = _redis_of_this_test_process(_read("CELERY_BROKER_URL", env.str, ""))
CELERY_RESULT_BACKEND = _redis_of_this_test_process(_read("CELERY_RESULT_BACKEND", env.str, CELERY_BROKER_URL)) or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# Crash safety (docs in README, Configuration): a task's message is acknowledged only once the task is done
# (acks_late), and a task whose worker process died is put back on the queue at once (reject_on_worker_lost), so
# another process runs it again; chunks know when they are done already (`crm.services.job_chunk_claim`). A message
# taken by a worker that vanished whole is delivered again by Redis after the visibility timeout, longer than the
# longest task (its hard time limit, 30 minutes), so a task still running is never delivered twice. A run of which
# no chunk has ended for JOB_SILENCE_MINUTES, longer again, is failed by the sweepers with the reason.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
BROKER_VISIBILITY_TIMEOUT = _read("CELERY_VISIBILITY_TIMEOUT", env.int, 60 * 60)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": BROKER_VISIBILITY_TIMEOUT}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": BROKER_VISIBILITY_TIMEOUT}
JOB_SILENCE_MINUTES = _read("JOB_SILENCE_MINUTES", env.int, 90)
if JOB_SILENCE_MINUTES * 60 <= BROKER_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured(
        "JOB_SILENCE_MINUTES must be longer than CELERY_VISIBILITY_TIMEOUT: a run is failed only once a redelivery "
        "had its chance to finish it."
    )
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# The cache carries what every process must see at once, such as an import's progress while its transaction is
# open: Redis when configured (CACHE_URL, else the broker's Redis), otherwise this process's memory.
_CACHE_URL = _redis_of_this_test_process(
    _read("CACHE_URL", env.str, CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "")
)
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _CACHE_URL}
        if _CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
CELERY_BEAT_SCHEDULE = BEAT_SCHEDULE

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": _read("LOG_LEVEL", env.str, "INFO")},
}

# Business constants that are facts of the domain, not configuration.
CUSTOMER_LIST_PAGE_SIZE = 50
