"""Settings shared by every environment.

Safe by default: DEBUG is off and there is no secret key here. ``dev.py`` relaxes this for a
laptop, ``production.py`` reads everything from the environment, ``test.py`` makes tests fast.
"""

import os
from pathlib import Path

import dj_database_url

from config.static_headers import static_file_headers

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name, default=False):
    """Read a true/false environment variable ("1", "true", "yes", "on" count as true)."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    """Read a comma-separated environment variable into a list, dropping blanks."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")

INSTALLED_APPS = [
    # The site's own apps, one per domain.
    "home",
    "focusgroups",
    "registry",
    "search",
    "pagecache",  # the page cache and its tags; shared, imports none of the apps above
    "documents",  # the document model that keeps its file's text (WAGTAILDOCS_DOCUMENT_MODEL)
    "accounts",  # members' sign-in, password resets, lockouts and security headers
    "outbox",  # emails kept in the database and sent by the worker, retried until delivered
    "ratelimit",  # attempt counters in the database, shared by the register and accounts
    "alerts",  # opportunity alerts to registrants who agreed to be contacted (uses outbox)
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.search_promotions",
    "wagtail_modeladmin",  # the register's admin screens (registry/wagtail_hooks.py)
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django_tasks",  # Django's tasks framework (built into Django 6; a package on 5.2)
    "django_tasks_db",  # its database backend: the queue the worker (manage.py run_worker) reads
    "axes",  # sign-in lockouts (AXES_* below)
    "csp",  # Content-Security-Policy (CONTENT_SECURITY_POLICY below)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    # First of all: a form post in another charset than UTF-8 gets the site's 400 page here,
    # before anything reads request.POST (Django refuses to read it, and its own error pages
    # would then fail too). accounts/middleware.py.
    "accounts.middleware.RefuseBadEncodingMiddleware",
    # Counts searches for the admin's "Search terms" report, cached answers included, so it
    # comes before the page cache.
    "search.middleware.SearchHitMiddleware",
    # The outer half of the page cache: stores the finished page (security headers and CSP
    # included) and answers hits before anything below runs (pagecache/middleware.py).
    "pagecache.middleware.PageCacheServeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A database connection lost mid-request: a 503 "nothing was saved, try again", not a 500.
    "home.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Content-Security-Policy: strict on public pages, looser in the Wagtail admin (see
    # accounts/middleware.py for why). Permissions-Policy and Cross-Origin-Resource-Policy.
    "accounts.middleware.SiteCSPMiddleware",
    "accounts.middleware.SecurityHeadersMiddleware",
    # django-axes after the authentication middleware, as its documentation asks: it turns a
    # locked-out sign-in into a 429.
    "axes.middleware.AxesMiddleware",
    # The inner half of the page cache, last of all: decides what may be stored.
    "pagecache.middleware.PageCacheMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

# Database: embedded SQLite unless DATABASE_URL names another (PostgreSQL in production).
# SQLite runs in WAL mode with a busy timeout and IMMEDIATE transactions, so concurrent
# form posts queue for the write lock instead of failing with "database is locked".
SQLITE_OPTIONS = {
    "timeout": 20,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}


def database_from_env(default_sqlite_path):
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        if config["ENGINE"] == "django.db.backends.sqlite3":
            config["OPTIONS"] = dict(SQLITE_OPTIONS)
        return config
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": default_sqlite_path,
        "OPTIONS": dict(SQLITE_OPTIONS),
    }


DATABASES = {"default": database_from_env(os.environ.get("SQLITE_PATH", BASE_DIR / "db.sqlite3"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# Static files: served by WhiteNoise, compressed (gzip + brotli) and hashed for long caching.
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "static_collected"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Hashed static files are cached for a year, "public, immutable"; every static file carries the
# site's security headers (WhiteNoise answers before the middlewares that add them).
WHITENOISE_ADD_HEADERS_FUNCTION = static_file_headers

# Uploads: a page editor form can be large; single uploads are capped below.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Email: console in development (dev.py), SMTP from the environment in production.
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "BCIS focus groups <no-reply@bcis.org.uk>"
)
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A line about a request ends with the visitor's address (behind TRUSTED_PROXY_COUNT proxies).
    "filters": {"client": {"()": "ratelimit.addresses.ClientAddressFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s%(client)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["client"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # Wagtail 8 runs search indexing as (immediate) tasks and logs every one at INFO.
        "django_tasks": {"level": "WARNING"},
    },
}

# Background work (Django's tasks framework). "default" is what Wagtail uses for its own small
# jobs (reference and search index updates), run at once as Wagtail expects. "background" is the
# site's durable queue, a table in the database: emails and reading the text of uploaded
# documents are queued there in the same transaction as what caused them, and the worker
# (`manage.py run_worker`, started by `make run`; a process of its own in production) runs them.
TASKS = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    "background": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "email", "documents"],
    },
}

# Outgoing email (outbox/): a failed send is tried again after 30 s, 1 min, 2 min... up to
# OUTBOX_MAX_ATTEMPTS times (about 2 hours in all), then reported. A send claimed longer ago
# than OUTBOX_CLAIM_TIMEOUT_SECONDS belongs to a worker that died and is tried again. Sent
# emails are deleted after OUTBOX_KEEP_DAYS (they hold personal data).
OUTBOX_RETRY_BASE_SECONDS = int(os.environ.get("OUTBOX_RETRY_BASE_SECONDS", 30))
OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", 8))
OUTBOX_CLAIM_TIMEOUT_SECONDS = int(os.environ.get("OUTBOX_CLAIM_TIMEOUT_SECONDS", 300))
OUTBOX_KEEP_DAYS = int(os.environ.get("OUTBOX_KEEP_DAYS", 30))

# Opportunity alerts (alerts/) are handed to the mail server at most this many a minute.
ALERTS_PER_MINUTE = int(os.environ.get("ALERTS_PER_MINUTE", 60))

# Documents' text (documents/): read by the worker, never in the upload request, one file at a
# time in a child process limited to DOCUMENT_TEXT_CPU_SECONDS of processing, DOCUMENT_TEXT_
# MEMORY_MB of memory and DOCUMENT_TEXT_TIMEOUT_SECONDS in all. A Word file may unpack to at
# most DOCUMENT_TEXT_MAX_UNPACKED_MB (bytes really unpacked, whatever its headers say); a PDF's
# pages may draw at most DOCUMENT_TEXT_MAX_PDF_PAGE_CONTENT_MB each and _CONTENT_MB in all. A
# file over a limit is kept, marked "not read" and found by its title. A document still waiting
# after DOCUMENT_TEXT_PENDING_TIMEOUT_SECONDS (its worker stopped) is queued again.
DOCUMENT_TEXT_TIMEOUT_SECONDS = float(os.environ.get("DOCUMENT_TEXT_TIMEOUT_SECONDS", 60))
DOCUMENT_TEXT_CPU_SECONDS = int(os.environ.get("DOCUMENT_TEXT_CPU_SECONDS", 20))
DOCUMENT_TEXT_MEMORY_MB = float(os.environ.get("DOCUMENT_TEXT_MEMORY_MB", 512))
DOCUMENT_TEXT_MAX_UNPACKED_MB = float(os.environ.get("DOCUMENT_TEXT_MAX_UNPACKED_MB", 20))
DOCUMENT_TEXT_MAX_PDF_PAGE_CONTENT_MB = float(
    os.environ.get("DOCUMENT_TEXT_MAX_PDF_PAGE_CONTENT_MB", 2)
)
DOCUMENT_TEXT_MAX_PDF_CONTENT_MB = float(os.environ.get("DOCUMENT_TEXT_MAX_PDF_CONTENT_MB", 10))
DOCUMENT_TEXT_PENDING_TIMEOUT_SECONDS = int(
    os.environ.get("DOCUMENT_TEXT_PENDING_TIMEOUT_SECONDS", 900)
)

# Wagtail
WAGTAIL_SITE_NAME = "BCIS focus groups"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAIL_I18N_ENABLED = False
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_ALLOW_UNICODE_SLUGS = False

# Documents: only the types the society publishes, at most 20 MB, always served through
# Wagtail's own view (which checks collection privacy) rather than a direct media URL.
WAGTAILDOCS_EXTENSIONS = ["pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILDOCS_INLINE_CONTENT_TYPES = []

# Images: no SVG, bounded size.
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp"]
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 40_000_000

# Behind reverse proxies (a load balancer, a CDN), how many of them there are: each appends the
# address it received the request from to X-Forwarded-For, and the visitor's address (for
# sign-in lockouts, rate limits and logs) is read that many places from the right
# (ratelimit/addresses.py). 0: no proxy, the connection's own address.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

# Security headers that apply in every environment.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"


# --- Member sign-in and the site's security (accounts app) ---
import datetime as _dt  # noqa: E402

AUTHENTICATION_BACKENDS = [
    # Refuses a locked-out (username, address) pair before the password is even checked
    # (AxesBackend rather than AxesStandaloneBackend so force_login and get_user work).
    "axes.backends.AxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Members sign in on the site's own pages; Wagtail's private pages and documents send anonymous
# visitors there and back (?next=). Editors may still use /admin/login/.
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/signed-out/"
WAGTAIL_FRONTEND_LOGIN_URL = LOGIN_URL
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # the emailed link works for one day

# Privacy is "signed-in members only" (or a group): no shared passwords, whose form could be
# guessed at without limit.
WAGTAIL_PRIVATE_PAGE_OPTIONS = {"SHARED_PASSWORD": False}
WAGTAILDOCS_PRIVATE_COLLECTION_OPTIONS = {"SHARED_PASSWORD": False}

# Brute force: 5 failures for one username from one address lock that pair out for 15 minutes,
# on /accounts/login/ and /admin/login/ alike; and 50 failures from one address within those 15
# minutes, whatever the usernames, lock the address out for every username (accounts/lockout.py).
# The database handler shares the counts between gunicorn workers and servers. The address is
# the visitor's behind TRUSTED_PROXY_COUNT proxies (ratelimit/addresses.py).
AXES_FAILURE_LIMIT = 5
ACCOUNTS_ADDRESS_FAILURE_LIMIT = 50
AXES_COOLOFF_TIME = _dt.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "accounts.lockout.SiteAxesHandler"
AXES_CLIENT_IP_CALLABLE = "ratelimit.addresses.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_VERBOSE = False

# Password resets: at most this many reset emails to one address, and this many reset requests
# from one connection, per window (seconds). Past the first, nothing is sent and the answer is
# unchanged (so it reveals nothing); past the second, a "too many requests" page (429).
ACCOUNTS_RESET_EMAILS_PER_ADDRESS = 3
ACCOUNTS_RESET_REQUESTS_PER_CLIENT = 20
ACCOUNTS_RESET_WINDOW = 60 * 60

# Content-Security-Policy (django-csp 4) for every public page. No inline script or style
# anywhere on the public site; the Wagtail userbar loads its own files from 'self'.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
# The Wagtail admin (/admin/) uses inline styles and scripts that a strict policy would break
# (its rich-text editor, choosers, previews in an iframe and the image focal-point tool), so it
# gets its own policy: still 'self' only for sources, but inline code allowed and framing
# limited to the site itself for the preview panel. Only signed-in editors reach it.
CONTENT_SECURITY_POLICY_ADMIN = {
    "default-src": ["'self'"],
    "script-src": ["'self'", "'unsafe-inline'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "frame-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'self'"],
    "form-action": ["'self'"],
}
CONTENT_SECURITY_POLICY_ADMIN_PREFIX = "/admin/"
# No Gravatar pictures in the admin: they would send a hash of each editor's email address to a
# third party, and the admin policy above allows images from this site only.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
SECURE_CROSS_ORIGIN_RESOURCE_POLICY = "same-origin"

# --- Caching and growth ---
# REDIS_URL: one cache shared by every process on every server (the page cache and its
# invalidation, menus, settings, Wagtail's site paths). Without it: a cache in each process
# here, which suits runserver and the tests (one process); production.py shares a cache folder
# between its gunicorn workers instead.
# Redis is optional at run time: losing it costs speed, never a page or any data. Sessions and
# sign-in lockouts live in the database; the backend (pagecache/backends.py) treats a Redis that
# does not answer within REDIS_TIMEOUT seconds as a miss, then skips it for REDIS_RETRY_AFTER
# seconds before trying again, so a frozen Redis costs one short wait every few seconds.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
REDIS_TIMEOUT = float(os.environ.get("REDIS_TIMEOUT", 0.25))
REDIS_RETRY_AFTER = float(os.environ.get("REDIS_RETRY_AFTER", 3))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "pagecache.backends.GuardedRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "bcis"),
            "TIMEOUT": 600,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_TIMEOUT,
                "socket_timeout": REDIS_TIMEOUT,
                "RETRY_AFTER": REDIS_RETRY_AFTER,
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }
# Sessions stay in the database whatever the cache: an outage of Redis signs nobody out and
# never blocks a sign-in (`manage.py clearsessions` deletes expired ones daily).
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Full-page cache for anonymous visitors (pagecache/): PAGE_CACHE=off switches it off. The
# inner middleware, last of all, decides what may be shared; the outer one, first of all,
# stores the finished page, security headers and CSP included, and answers hits.
PAGE_CACHE_ENABLED = env_bool("PAGE_CACHE", True)
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", 600))
# A proxy may serve a page this many seconds past its time while it fetches a fresh one.
PAGE_CACHE_STALE_SECONDS = int(os.environ.get("PAGE_CACHE_STALE_SECONDS", 30))
# Varnish servers to purge by tag after a change (comma-separated, e.g. http://127.0.0.1:6081/).
VARNISH_PURGE_URLS = env_list("VARNISH_PURGE_URL")
PAGE_CACHE_EXCLUDED_PATHS = ("/admin/", "/documents/", "/accounts/", "/sitemap.xml")
# Responses under these paths keep the caching headers their own view gives them (documents:
# public files none, members-only and unpublished ones "private, no-store"); everything else the
# page cache does not mark shareable is marked "private, no-store".
PAGE_CACHE_OWN_HEADERS_PATHS = ("/documents/",)

# --- search ---
# Search counts for the "Search terms" report are written at most this often (see
# search/middleware.py); tests write them at once.
SEARCH_HITS_FLUSH_SECONDS = int(os.environ.get("SEARCH_HITS_FLUSH_SECONDS", 60))
# Daily search counts are kept this many days (Wagtail's setting), then deleted by the worker
# (search/tasks.py) with the search terms nobody has used since and no result is promoted for.
WAGTAILSEARCH_HITS_MAX_AGE = 30
# Documents keep the text read from their files (PDF, Word, plain text) so site search finds it.
WAGTAILDOCS_DOCUMENT_MODEL = "documents.SearchableDocument"
# Uploads go to "Unpublished uploads" unless an editor picks another collection; such a file is
# public only once a live, public page links it (documents/privacy.py).
WAGTAILDOCS_DOCUMENT_FORM_BASE = "documents.forms.DocumentForm"

# --- interest register ---
# How long an entry is kept without its owner confirming it again; the daily
# `manage.py registry_retention` emails a re-confirmation link this many days before deleting.
REGISTRY_RETENTION_MONTHS = int(os.environ.get("REGISTRY_RETENTION_MONTHS", 24))
REGISTRY_RECONFIRM_NOTICE_DAYS = int(os.environ.get("REGISTRY_RECONFIRM_NOTICE_DAYS", 21))
# Signed update/withdraw links in registrants' emails stop working after this many days.
REGISTRY_LINK_MAX_AGE_DAYS = int(os.environ.get("REGISTRY_LINK_MAX_AGE_DAYS", 30))
# Posts to a register page allowed per address per window (seconds); the next one gets 429.
REGISTRY_RATE_LIMIT = 10
REGISTRY_RATE_WINDOW = 60
# "You are already on the register" emails to one address per window (seconds): past that,
# the page answers the same and nothing is sent, so the form cannot flood someone's inbox.
REGISTRY_REPEAT_EMAILS_PER_ADDRESS = 3
REGISTRY_REPEAT_EMAILS_WINDOW = 60 * 60
