"""Settings for a worker process started by a test: the test's own database and a mail
backend that writes files the test can count."""

import os

from config.settings.test import *  # noqa: F403

if os.environ.get("TEST_DATABASE_URL"):
    import dj_database_url

    DATABASES = {"default": dj_database_url.parse(os.environ["TEST_DATABASE_URL"])}
else:
    DATABASES["default"]["NAME"] = os.environ["TEST_SQLITE_PATH"]  # noqa: F405
EMAIL_BACKEND = "tests.support.mail_backends.HangingFileBackend"
EMAIL_FILE_PATH = os.environ["TEST_EMAIL_DIR"]
OUTBOX_CLAIM_TIMEOUT_SECONDS = 1
