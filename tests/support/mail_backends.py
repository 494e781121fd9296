"""A file mail backend that can be made to hang mid-send, for tests that kill a worker."""

import time
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.filebased import EmailBackend


class HangingFileBackend(EmailBackend):
    """Writes one file per message. While a file named `hang` exists in the folder, it first
    writes `sending-<n>` and waits, as a worker stuck on a slow mail server would."""

    def send_messages(self, email_messages):
        folder = Path(settings.EMAIL_FILE_PATH)
        while (folder / "hang").exists():
            (folder / f"sending-{time.monotonic_ns()}").touch()
            time.sleep(0.05)
        return super().send_messages(email_messages)
