"""WSGI entry point for gunicorn. Defaults to production settings.

The page cache's front (pagecache/wsgi.py) answers cached pages before Django runs."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = get_wsgi_application()

from pagecache.wsgi import PageCacheFront  # noqa: E402  (needs the settings loaded above)

application = PageCacheFront(application)
