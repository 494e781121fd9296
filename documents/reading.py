"""The worker's side of reading a file: in a child process, with limits, killed if it overruns.

The child (`python -m documents.extraction`) limits its own processor time (RLIMIT_CPU) and
memory (RLIMIT_AS) before it opens the file; this side gives it DOCUMENT_TEXT_TIMEOUT_SECONDS
of wall-clock time and then kills it. The child gets a copy of the file in a temporary folder
and an environment without the site's secrets.
"""

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings

from documents.extraction import MB, Limits

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclasses.dataclass(frozen=True)
class Outcome:
    read: bool  # False: the text could not be read, `reason` says why
    text: str = ""
    reason: str = ""  # why it was not read, or a note that only part was read


def limits_from_settings():
    return Limits(
        cpu_seconds=max(1, int(settings.DOCUMENT_TEXT_CPU_SECONDS)),
        memory_bytes=int(settings.DOCUMENT_TEXT_MEMORY_MB * MB),
        max_pdf_page_content_bytes=int(settings.DOCUMENT_TEXT_MAX_PDF_PAGE_CONTENT_MB * MB),
        max_pdf_content_bytes=int(settings.DOCUMENT_TEXT_MAX_PDF_CONTENT_MB * MB),
        max_docx_unpacked_bytes=int(settings.DOCUMENT_TEXT_MAX_UNPACKED_MB * MB),
    )


def child_command():
    # -s: no user site-packages; -m from the project folder, which holds only our code.
    return [sys.executable, "-s", "-m", "documents.extraction"]


def child_environment():
    """Only what Python needs: no database address, secret key or storage credentials."""
    keep = ("PATH", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
    return {name: os.environ[name] for name in keep if name in os.environ}


def _tail(stream, size=400):
    stream.seek(0, os.SEEK_END)
    stream.seek(max(0, stream.tell() - size))
    return stream.read().decode("utf-8", errors="replace").strip()


def read_file(fileobj, extension, *, limits=None, timeout=None):
    """Read the text of an open file in a limited child process; never raises for the file."""
    limits = limits or limits_from_settings()
    timeout = timeout if timeout is not None else settings.DOCUMENT_TEXT_TIMEOUT_SECONDS
    with tempfile.TemporaryDirectory(prefix="document-text-") as folder:
        path = Path(folder) / f"file.{extension}"
        with path.open("wb") as copy:
            shutil.copyfileobj(fileobj, copy, 1024 * 1024)
        request = {"path": str(path), "extension": extension, "limits": dataclasses.asdict(limits)}
        with tempfile.TemporaryFile() as errors:
            child = subprocess.Popen(  # noqa: S603 - our own module, a fixed command
                child_command(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                cwd=PROJECT_DIR,
                env=child_environment(),
            )
            try:
                output, _ = child.communicate(json.dumps(request).encode(), timeout=timeout)
            except subprocess.TimeoutExpired:
                child.kill()
                child.communicate()
                return Outcome(False, reason=f"reading it took longer than {timeout:g} seconds")
            return _outcome(child.returncode, output, _tail(errors), limits)


def _outcome(returncode, output, errors, limits):
    if returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        # SIGXCPU at the CPU limit; SIGKILL one second later if it carried on regardless.
        return Outcome(
            False,
            reason=f"reading it needed more than {limits.cpu_seconds} seconds of processing",
        )
    if "MemoryError" in errors:
        return Outcome(
            False,
            reason=f"reading it needed more than {limits.memory_bytes / MB:g} MB of memory",
        )
    try:
        answer = json.loads(output)
    except ValueError:
        last_line = errors.splitlines()[-1] if errors else f"exit status {returncode}"
        return Outcome(False, reason=f"the reader stopped unexpectedly ({last_line})"[:300])
    if not answer.get("ok"):
        return Outcome(False, reason=answer.get("reason", "")[:300])
    return Outcome(True, text=answer.get("text", ""), reason=answer.get("note", "")[:300])
