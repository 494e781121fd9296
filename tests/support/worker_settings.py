"""Settings for a worker process started by a test (tests/support/servers.py child_env gives it
the test's own database) with a mail backend that writes files the test can count."""

import os

from config.settings.test import *  # noqa: F403

EMAIL_BACKEND = "tests.support.mail_backends.HangingFileBackend"
EMAIL_FILE_PATH = os.environ["TEST_EMAIL_DIR"]
OUTBOX_CLAIM_TIMEOUT_SECONDS = 1
