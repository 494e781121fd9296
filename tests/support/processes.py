"""What a test needs to run a command of the site in another process, on the test's own
database and with a cache folder it shares with the server the test talks to."""

import os
import uuid
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent.parent


def environment(settings_module, cache_dir, static_root):
    """The environment of a process (server or command) that uses the test's database, the
    cache folder ``cache_dir`` and the given settings module."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REDIS_URL"))}
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = str(db["NAME"])
    env.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        CACHE_DIR=str(cache_dir),
        STATIC_ROOT=str(static_root),
        SECRET_KEY=uuid.uuid4().hex * 2,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        PAGE_CACHE="on",
    )
    return env
