"""Test settings: fast hashing, in-memory cache and email, DATABASE_URL or SQLite."""

from .base import *

DEBUG = False
SECRET_KEY = "test-only-key-not-secret"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
MEDIA_ROOT = BASE_DIR / "var" / "test-media"
WAGTAILADMIN_BASE_URL = "http://testserver"
LOGGING["root"]["level"] = "WARNING"
# Serve static files straight from the source folders, as in development: no collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# The page cache is switched on by the tests that are about it (tests/test_pagecache.py); the
# rest see every change at once, as the invalidation runs only after a real commit.
PAGE_CACHE_ENABLED = False
SEARCH_HITS_FLUSH_SECONDS = 0

# --- interest register ---
# SQLite tests use a database file rather than memory, so that the live server's threads
# each get their own connection and concurrent posts really run concurrently (WAL mode).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / "test-db.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Tests need no durability: a commit returns without waiting for the disk, which makes
    # the transactional tests' many commits and flushes cheaper. Never in production.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"
