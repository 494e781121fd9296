"""Read the text inside uploaded files (PDF, Word .docx, plain text) so site search can find it.

This module runs in a child process of the worker, never in a web request: documents/reading.py
starts `python -m documents.extraction`, which limits its own processor time and memory before
it opens the file, reads the file named on its input and answers with JSON. It imports nothing
from Django, so a hostile file meets only this code, the parsers and the limits.

Reading is bounded as well as best effort. A file that cannot be read (corrupt, encrypted with a
password, an old binary Word file) or that is too big to read safely (a Word file that unpacks
to more than its limit, a PDF whose pages draw more than theirs) raises ExtractionError with a
plain reason; the document is then found by its title. A long file that is merely long is read
up to a point: the first MAX_PDF_PAGES pages, paragraphs or characters, with a note saying so.
"""

import dataclasses
import json
import re
import resource
import sys
import zipfile
from xml.parsers import expat

# Enough for a long paper (about 45,000 words); keeps the search index row to a sensible size.
MAX_EXTRACTED_CHARS = 300_000
# Pages read from a PDF, and paragraphs from a Word file; later ones are not indexed.
MAX_PDF_PAGES = 500
MAX_DOCX_PARAGRAPHS = 100_000

MB = 1024 * 1024
CHUNK = 64 * 1024

# Control characters (NUL included, which PostgreSQL cannot store) become spaces.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"\s+")


@dataclasses.dataclass(frozen=True)
class Limits:
    """How much one file may cost to read. The worker fills these in from the settings."""

    cpu_seconds: int = 20
    memory_bytes: int = 512 * MB
    max_chars: int = MAX_EXTRACTED_CHARS
    max_pdf_pages: int = MAX_PDF_PAGES
    max_pdf_page_content_bytes: int = 2 * MB
    max_pdf_content_bytes: int = 10 * MB
    max_docx_unpacked_bytes: int = 20 * MB
    max_docx_paragraphs: int = MAX_DOCX_PARAGRAPHS


class ExtractionError(Exception):
    """The file's text cannot be read; the message says why, in plain words."""


def megabytes(size):
    return f"{size / MB:g} MB"


def clean_text(text, max_chars=MAX_EXTRACTED_CHARS):
    """One line of plain text: control characters removed, runs of white space collapsed."""
    return _SPACES.sub(" ", _CONTROL.sub(" ", text or "")).strip()[:max_chars]


# --- PDF ---


def _stream_bytes(reference):
    """Decoded size of a content stream, or of each stream in an array of them."""
    from pypdf.generic import ArrayObject

    stream = reference.get_object()
    if isinstance(stream, ArrayObject):
        return sum(_stream_bytes(part) for part in stream)
    return len(stream.get_data())


def _page_content_bytes(page):
    """What drawing the page's text involves: its content streams and the form XObjects (shared
    drawings) its resources name, counted every time a page uses them."""
    size = _stream_bytes(page["/Contents"]) if "/Contents" in page else 0
    resources = page.get("/Resources")
    xobjects = resources.get_object().get("/XObject") if resources is not None else None
    if xobjects is not None:
        for reference in xobjects.get_object().values():
            xobject = reference.get_object()
            if xobject.get("/Subtype") == "/Form":
                size += len(xobject.get_data())
    return size


def pdf_text(fileobj, limits):
    from pypdf import PdfReader, apply_configuration

    # No single stream may unpack to more than a whole document's worth of drawing.
    cap = max(limits.max_pdf_content_bytes, 1)
    with apply_configuration(
        zlib_maximum_output_length=cap,
        lzw_maximum_output_length=cap,
        run_length_maximum_output_length=cap,
        brotli_maximum_output_length=cap,
        array_based_stream_maximum_output_length=cap,
    ):
        reader = PdfReader(fileobj)
        if reader.is_encrypted and not reader.decrypt(""):
            # Many PDFs are "encrypted" only against editing and open with an empty password;
            # this one needs a real password.
            raise ExtractionError("the PDF is protected by a password")
        parts, length, content, note = [], 0, 0, ""
        for number, page in enumerate(reader.pages):
            if number >= limits.max_pdf_pages:
                note = f"Only the first {limits.max_pdf_pages} pages were read."
                break
            if length >= limits.max_chars:
                note = f"Only the first {number} pages were read (the text limit was reached)."
                break
            size = _page_content_bytes(page)
            if size > limits.max_pdf_page_content_bytes:
                raise ExtractionError(
                    f"page {number + 1} of the PDF draws more than "
                    f"{megabytes(limits.max_pdf_page_content_bytes)}"
                )
            content += size
            if content > limits.max_pdf_content_bytes:
                raise ExtractionError(
                    f"the PDF's pages draw more than {megabytes(limits.max_pdf_content_bytes)} "
                    f"in all (reached at page {number + 1})"
                )
            text = page.extract_text() or ""
            parts.append(text)
            length += len(text)
    return "\n".join(parts), note


# --- Word .docx ---

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_DOCUMENT = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument",
    "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument",
)


class _Enough(Exception):
    """Stop parsing: the paragraph or character limit is reached."""


class _Budget:
    """Counts the bytes really unpacked from the archive, whatever its headers claim."""

    def __init__(self, limit):
        self.limit = limit
        self.used = 0

    def stream(self, archive, name):
        """Yield the member's unpacked bytes chunk by chunk, stopping at the limit."""
        with archive.open(name) as member:
            while chunk := member.read(CHUNK):
                self.used += len(chunk)
                if self.used > self.limit:
                    raise ExtractionError(
                        f"the Word file unpacks to more than {megabytes(self.limit)}"
                    )
                yield chunk


def _safe_parser():
    parser = expat.ParserCreate(namespace_separator=" ")

    def refuse(*args):
        raise ExtractionError("the Word file declares XML entities, which are not read")

    # No document type declarations' entities: no "billion laughs".
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    return parser


def _main_part(archive, budget):
    """The archive's main document part, as its package relationships name it."""
    targets = []
    try:
        archive.getinfo("_rels/.rels")
    except KeyError:
        return "word/document.xml"
    parser = _safe_parser()

    def start(name, attrs):
        if name == f"{RELS} Relationship" and attrs.get("Type") in OFFICE_DOCUMENT:
            targets.append(attrs.get("Target", ""))

    parser.StartElementHandler = start
    for chunk in budget.stream(archive, "_rels/.rels"):
        parser.Parse(chunk, False)
    parser.Parse(b"", True)
    target = targets[0].lstrip("/") if targets else ""
    return target or "word/document.xml"


def docx_text(fileobj, limits):
    """The text of each paragraph (table cells' included), in document order.

    The main part is streamed through an expat parser: nothing is held but the text read so far,
    and every unpacked byte is counted against the limit, whatever the zip headers say.
    """
    budget = _Budget(limits.max_docx_unpacked_bytes)
    paragraphs, length = [], 0
    stack = []  # the paragraphs being read, innermost last (text boxes nest them)
    in_text = False
    note = ""

    def start(name, attrs):
        nonlocal in_text
        if name == f"{W} p":
            stack.append([])
        elif name == f"{W} t" or name == f"{W} delText":
            in_text = True
        elif stack and name == f"{W} tab":
            stack[-1].append("\t")
        elif stack and name in (f"{W} br", f"{W} cr"):
            stack[-1].append("\n")

    def end(name):
        nonlocal in_text, length
        if name == f"{W} p" and stack:
            text = "".join(stack.pop())
            paragraphs.append(text)
            length += len(text) + 1
            if len(paragraphs) >= limits.max_docx_paragraphs or length >= limits.max_chars:
                raise _Enough
        elif name == f"{W} t" or name == f"{W} delText":
            in_text = False

    def characters(data):
        if in_text and stack:
            stack[-1].append(data)

    try:
        archive = zipfile.ZipFile(fileobj)
    except zipfile.BadZipFile:
        raise ExtractionError("this is not a Word .docx file (it is not a zip archive)") from None
    with archive:
        part = _main_part(archive, budget)
        try:
            archive.getinfo(part)
        except KeyError:
            raise ExtractionError("this is not a Word .docx file (it has no document)") from None
        parser = _safe_parser()
        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = characters
        try:
            for chunk in budget.stream(archive, part):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except _Enough:
            note = (
                f"Only the first {len(paragraphs)} paragraphs were read."
                if len(paragraphs) >= limits.max_docx_paragraphs
                else "Only the first part was read (the text limit was reached)."
            )
        except (expat.ExpatError, zipfile.BadZipFile, EOFError) as error:
            # A bad checksum included: what was unpacked is not what the headers promised.
            raise ExtractionError(f"the Word file is damaged ({error})") from None
    return "\n".join(paragraphs), note


# --- plain text ---


def plain_text(fileobj, limits):
    data = fileobj.read(limits.max_chars * 4)
    if isinstance(data, str):
        return data, ""
    return data.decode("utf-8", errors="replace"), ""


EXTRACTORS = {"pdf": pdf_text, "docx": docx_text, "txt": plain_text}


def can_read(extension):
    """True for the file types whose text is read (the others are found by title only)."""
    return (extension or "").lower().lstrip(".") in EXTRACTORS


def extract_text(fileobj, extension, limits=None):
    """(text, note): the text inside a file, cleaned up, or "" for a type we do not read; the
    note says if only part of a long file was read.

    Raises ExtractionError, or whatever the parser raises, when the file cannot be read.
    """
    limits = limits or Limits()
    extractor = EXTRACTORS.get((extension or "").lower().lstrip("."))
    if extractor is None:
        return "", ""
    fileobj.seek(0)
    text, note = extractor(fileobj, limits)
    return clean_text(text, limits.max_chars), note


# --- the child process ---


def _lower_limit(which, soft, hard):
    """Set a limit, never above a hard limit the process already has (that would fail)."""
    _, current = resource.getrlimit(which)
    if current != resource.RLIM_INFINITY:
        soft, hard = min(soft, current), min(hard, current)
    resource.setrlimit(which, (soft, hard))


def apply_limits(limits):
    """Limit this process: processor time (SIGXCPU ends it, SIGKILL a second later) and
    address space (allocations beyond it raise MemoryError)."""
    _lower_limit(resource.RLIMIT_CPU, limits.cpu_seconds, limits.cpu_seconds + 1)
    _lower_limit(resource.RLIMIT_AS, limits.memory_bytes, limits.memory_bytes)
    _lower_limit(resource.RLIMIT_CORE, 0, 0)  # a killed reader leaves no core file


def read_request(request):
    """Answer one request: {"path", "extension", "limits"} -> {"ok", "text", "note"} or
    {"ok": False, "reason"}."""
    limits = Limits(**request["limits"])
    try:
        with open(request["path"], "rb") as fileobj:
            text, note = extract_text(fileobj, request["extension"], limits)
    except ExtractionError as error:
        return {"ok": False, "reason": str(error)}
    except MemoryError:
        return {
            "ok": False,
            "reason": f"reading it needed more than {megabytes(limits.memory_bytes)} of memory",
        }
    except Exception as error:  # noqa: BLE001 - whatever a parser raises, the file is unreadable
        detail = str(error) or type(error).__name__
        return {"ok": False, "reason": f"the file could not be read ({detail})"}
    return {"ok": True, "text": text, "note": note}


def main():
    request = json.loads(sys.stdin.read())
    apply_limits(Limits(**request["limits"]))
    answer = read_request(request)
    sys.stdout.write(json.dumps(answer))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
