"""Settings for Termin, read from the environment only.

With nothing set, Termin runs on an embedded default: SQLite in WAL mode and a
Celery broker on the local file system, so the quick start needs no server.
Set ``DATABASE_URL`` (PostgreSQL through psycopg 3) and ``REDIS_URL`` (broker,
result backend, cache and rate-limit store) for production and for the tests.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("TERMIN_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_proxy_ssl_header(name: str) -> tuple[str, str] | None:
    """The header a proxy states the scheme in, given as ``X-Forwarded-Proto`` or
    ``HTTP_X_FORWARDED_PROTO``, in the form SECURE_PROXY_SSL_HEADER takes."""
    header = os.environ.get(name, "").strip().upper().replace("-", "_")
    if not header:
        return None
    return (header if header.startswith("HTTP_") else f"HTTP_{header}", "https")


# What Termin fell back to before it insisted on a key of its own: it is public.
PREVIOUS_DEFAULT_SECRET_KEY = "insecure-default-key-set-SECRET_KEY-in-production"


def env_secret_key(name: str, debug: bool) -> str:
    """The secret key. Sessions, CSRF tokens, the signed links in emails and the
    calendar feed addresses rest on it, and whoever knows it can forge them: so only
    a development run (DEBUG on) may fall back to a key that is public."""
    key = os.environ.get(name, "")
    if debug:
        return key or "django-insecure-termin-development-only"
    if not key:
        problem = f"{name} is not set"
    elif key.startswith("django-insecure-") or key == PREVIOUS_DEFAULT_SECRET_KEY:
        problem = f"{name} is a published default"
    elif len(key) < 50 or len(set(key)) < 5:
        problem = f"{name} is too short or too plain ({len(key)} characters)"
    else:
        return key
    raise ImproperlyConfigured(
        f"{problem}. With DEBUG off, Termin needs a secret key of at least 50 random "
        "characters, the same for every process and across restarts. Make one with "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))' and set it as "
        f"{name} in the environment (on a development machine DEBUG=true also does)."
    )


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_secret_key("SECRET_KEY", DEBUG)
# Former keys, still accepted when checking signatures while the key is rotated, so
# that sessions and links already sent out keep working.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# HTTPS. Production serves Termin over HTTPS only, so with DEBUG off plain http is
# redirected and cookies are secure-only. The quick start and the tests, which speak
# plain http to 127.0.0.1, turn these three off through the environment.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
# Behind a proxy that terminates TLS, every request reaches Django as http (and the
# redirect above would loop) unless Django believes the proxy's header for the scheme,
# e.g. SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO. Opt-in, because without a proxy
# that sets this header on every request any client could claim https.
SECURE_PROXY_SSL_HEADER = env_proxy_ssl_header("SECURE_PROXY_SSL_HEADER")
# HSTS is off unless set: a browser keeps obeying it for SECURE_HSTS_SECONDS whatever
# the server says later (a preloaded domain for much longer), and with subdomains it
# binds hosts Termin does not serve. So whoever owns the domain turns it on once HTTPS
# works (the production environment in docs/operations.md does); `check --deploy`
# reminds until then.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Django's defaults, stated so that they are seen and no upgrade changes them unnoticed:
# no framing (clickjacking), no content sniffing, no session cookie for scripts, and
# no full address (links carry signed tokens) in the Referer sent to other sites.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

INSTALLED_APPS = [
    "scheduling.admin_apps.TerminAdminConfig",  # django.contrib.admin with the scoped site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "scheduling",
    "crm",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Over-long addresses and API bodies are refused before anything reads them.
    "scheduling.requestlimits.RequestLimitsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before the session is loaded: refused attempts should cost next to nothing.
    "scheduling.auththrottle.AuthFailureThrottleMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "scheduling.User"

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
            ],
        },
    },
]

# SQLite, embedded or given as DATABASE_URL=sqlite:///path, is tuned for several
# processes: WAL lets readers run beside the writer; IMMEDIATE transactions serialise
# writers up front instead of failing with "database is locked" halfway through.
SQLITE_OPTIONS = {
    "timeout": 30,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}


def env_database(name: str, var_dir: Path) -> dict:
    """The database ``name`` gives (PostgreSQL or SQLite), else SQLite in ``var_dir``."""
    if os.environ.get(name):
        database = dj_database_url.parse(
            os.environ[name], conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
    else:
        var_dir.mkdir(parents=True, exist_ok=True)
        database = {"ENGINE": "django.db.backends.sqlite3", "NAME": var_dir / "termin.sqlite3"}
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database["OPTIONS"] = {**SQLITE_OPTIONS, **database.get("OPTIONS", {})}
    return database


DATABASES = {"default": env_database("DATABASE_URL", VAR_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: Redis when configured, else kombu's file-system transport (no server).
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # Redis re-delivers an unacknowledged message after this long; our own
    # periodic sweeps pick up due work well before, so keep it short-ish.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600}
else:
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
# Time limits of every task (seconds): at the soft limit the task gets
# SoftTimeLimitExceeded (a feed sync records it on its connection), at the hard
# limit its worker process is replaced. Both stay below Redis's visibility timeout.
# The process that queues a task puts its limits in the message: give web, worker
# and beat the same values.
# Feed syncs have tighter limits of their own, and their own queue, so a slow
# feed never holds up an email, a reminder or a webhook: workers consume both
# queues (``celery -A config worker -Q celery,feeds``).
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360)
CALENDAR_SYNC_SOFT_TIME_LIMIT = env_int("CALENDAR_SYNC_SOFT_TIME_LIMIT", 60)
CALENDAR_SYNC_TIME_LIMIT = env_int("CALENDAR_SYNC_TIME_LIMIT", 90)
CELERY_TASK_ROUTES = {
    "scheduling.tasks.sync_calendar_connection": {"queue": "feeds"},
    "scheduling.tasks.sync_calendar_connections": {"queue": "feeds"},
    "scheduling.tasks.write_calendar_event": {"queue": "feeds"},
}
# Periodic work (Celery beat). Each entry: a task of an app's tasks.py.
CELERY_BEAT_SCHEDULE: dict = {
    "purge-idempotency-records": {
        "task": "scheduling.tasks.purge_idempotency_records",
        "schedule": 3600.0,
    },
    # Queues every webhook delivery that is due and not in flight (retries, and
    # anything a lost message or a broker outage left behind).
    "webhooks-sweep-deliveries": {
        "task": "webhooks.tasks.sweep_deliveries",
        "schedule": float(os.environ.get("WEBHOOK_SWEEP_SECONDS", "5")),
    },
    # Provisional bookings (double opt-in, host confirmation) hold their slot 24 h.
    "scheduling-expire-provisional-bookings": {
        "task": "scheduling.tasks.expire_provisional_bookings",
        "schedule": 60.0,
    },
    # Reminders 24 h and 1 h before; each is due until the next, so a minute is plenty.
    "scheduling-send-due-reminders": {
        "task": "scheduling.tasks.send_due_reminders",
        "schedule": 60.0,
    },
    # External calendars (calendar connections) are read again this often.
    "scheduling-sync-calendar-connections": {
        "task": "scheduling.tasks.sync_calendar_connections",
        "schedule": float(os.environ.get("CALENDAR_SYNC_SECONDS", "900")),
    },
    # Bookings written into hosts' CalDAV calendars: retries and anything left behind.
    "scheduling-sweep-calendar-writes": {
        "task": "scheduling.tasks.sweep_calendar_writes",
        "schedule": float(os.environ.get("CALDAV_SWEEP_SECONDS", "30")),
    },
    "webhooks-disable-failing-endpoints": {
        "task": "webhooks.tasks.disable_failing_endpoints",
        "schedule": 3600.0,
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Seconds an SMTP connection may take, so a stuck mail server never holds a worker.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Termin <noreply@termin.local>")
# Where EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend writes messages.
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "emails"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["scheduling.core.api.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["scheduling.core.api.permissions.RolePermission"],
    "DEFAULT_THROTTLE_CLASSES": ["scheduling.core.api.ratelimit.TokenBucketThrottle"],
    "DEFAULT_PAGINATION_CLASS": "scheduling.core.api.pagination.PageLimitPagination",
    "DEFAULT_FILTER_BACKENDS": ["scheduling.core.api.filters.ApiFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "scheduling.core.api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "scheduling.core.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "PAGE_SIZE": 20,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Termin API",
    "DESCRIPTION": (
        "Scheduling with a built-in CRM. Wire-compatible with the meetergo Platform API v4: "
        "authenticate with a platform API key `Authorization: Bearer ak_live:<uuid>:<secret>` "
        "(optionally acting for a user of the key's company with `x-meetergo-api-user-id`) or a "
        "personal access token `Authorization: Bearer rgo-<secret>` (acts only as its maker). "
        "A credential never has more rights than its maker has now."
    ),
    "VERSION": "4.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Fields named alike with other choices: each set gets a name of its own.
    "ENUM_NAME_OVERRIDES": {
        "AppointmentStatusEnum": "scheduling.models.AppointmentStatus",
        "QueueTypeEnum": "scheduling.choices.QueueKind",
        "CalendarConnectionTypeEnum": "scheduling.models.CalendarConnectionType.values",
        # A connection's and a CalDAV calendar's status (scheduling/api/calendars.py).
        "CalendarConnectionStatusEnum": ["pending", "ok", "error"],
    },
    "CAMELIZE_NAMES": False,
    # Every operation's error answers, documented in one place (scheduling/core/api/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "scheduling.core.api.schema.error_responses",
    ],
}

# API conventions (SPEC section 7).
API_RATE_LIMIT = env_int("API_RATE_LIMIT", 100)  # tokens per minute; 0 turns the limit off
API_RATE_BURST = env_int("API_RATE_BURST", 200)  # bucket size
API_KEY_LAST_USED_PRECISION = env_int("API_KEY_LAST_USED_PRECISION", 60)  # seconds
IDEMPOTENCY_TTL_HOURS = 24
IDEMPOTENCY_WAIT_SECONDS = 10

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", False)  # allow loopback/private receivers

# CalDAV connections (scheduling/services/caldav.py): when slots are asked for, the
# hosts' calendars are read within CALDAV_READ_SECONDS (else their last known busy
# time counts), and a read stays good for CALDAV_CACHE_SECONDS (a failing server
# is not asked again before then either).
CALDAV_READ_SECONDS = float(os.environ.get("CALDAV_READ_SECONDS", "2.5"))
CALDAV_CACHE_SECONDS = env_int("CALDAV_CACHE_SECONDS", 60)

# Failed authentication per client address (scheduling/auththrottle.py): after
# AUTH_FAILURE_LIMIT failures (0 turns it off) within AUTH_FAILURE_WINDOW seconds,
# attempts with credentials are refused with a 429 until the window ends.
AUTH_FAILURE_LIMIT = env_int("AUTH_FAILURE_LIMIT", 10)
AUTH_FAILURE_WINDOW = env_int("AUTH_FAILURE_WINDOW", 900)
# Proxies (addresses or CIDR networks) whose X-Forwarded-For is believed
# (scheduling/clientaddr.py); everyone else is counted by their own address.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")

# Everything anonymous (scheduling/publiclimits.py, docs/pages.md "Limits for
# anonymous visitors"): POSTs to the pages and /v4/public requests per client address, and
# bookings (and, apart, room joins) per email, each N per window (seconds; 0 turns
# one off), as token buckets: N at once, then one every window/N;
# provisional bookings (awaiting opt-in or the host) one email, and one address,
# may hold of one host at a time.
PUBLIC_RATE_LIMIT = env_int("PUBLIC_RATE_LIMIT", 60)
PUBLIC_RATE_WINDOW = env_int("PUBLIC_RATE_WINDOW", 600)
PUBLIC_EMAIL_LIMIT = env_int("PUBLIC_EMAIL_LIMIT", 20)
PUBLIC_EMAIL_WINDOW = env_int("PUBLIC_EMAIL_WINDOW", 3600)
PUBLIC_HOLDS_PER_EMAIL = env_int("PUBLIC_HOLDS_PER_EMAIL", 2)
PUBLIC_HOLDS_PER_ADDRESS = env_int("PUBLIC_HOLDS_PER_ADDRESS", 3)

# Signed links in emails (scheduling/links.py) stop working this many days after
# the meeting ends.
LINK_DAYS_AFTER_MEETING = env_int("LINK_DAYS_AFTER_MEETING", 7)
# Request limits (scheduling/requestlimits.py): a longer address (path and query)
# is a 414. gunicorn must let such lines through: run it with
# --limit-request-line 8190 (its maximum), as bin/quickstart does.
MAX_URL_LENGTH = env_int("MAX_URL_LENGTH", 4096)
