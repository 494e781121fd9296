"""Read the text inside uploaded files (PDF, Word, plain text) so site search can find it.

Extraction is best effort: a file that cannot be read (corrupt, encrypted with a password, an
old binary Word file) gives no text, and the document is still found by its title.
"""

import logging
import re
import zipfile

logger = logging.getLogger(__name__)

# Enough for a long paper (about 45,000 words); keeps the search index row to a sensible size.
MAX_EXTRACTED_CHARS = 300_000
# Pages read from a PDF; later pages of a very long file are not indexed.
MAX_PDF_PAGES = 500
# A .docx is a zip archive: refuse to unpack more than this (a "zip bomb" guard).
MAX_DOCX_UNPACKED_BYTES = 50 * 1024 * 1024

# Control characters (NUL included, which PostgreSQL cannot store) become spaces.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"\s+")


class ExtractionError(Exception):
    """The file's text cannot be read; the message says why, in plain words."""


def clean_text(text):
    """One line of plain text: control characters removed, runs of white space collapsed."""
    return _SPACES.sub(" ", _CONTROL.sub(" ", text or "")).strip()[:MAX_EXTRACTED_CHARS]


def pdf_text(fileobj):
    from pypdf import PdfReader

    reader = PdfReader(fileobj)
    if reader.is_encrypted and not reader.decrypt(""):
        # Many PDFs are "encrypted" only against editing and open with an empty password;
        # this one needs a real password.
        raise ExtractionError("the PDF is protected by a password")
    parts, length = [], 0
    for number, page in enumerate(reader.pages):
        if number >= MAX_PDF_PAGES or length >= MAX_EXTRACTED_CHARS:
            break
        text = page.extract_text() or ""
        parts.append(text)
        length += len(text)
    return "\n".join(parts)


def docx_text(fileobj):
    with zipfile.ZipFile(fileobj) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_DOCX_UNPACKED_BYTES:
        raise ExtractionError("the Word file unpacks to more than 50 MB")
    fileobj.seek(0)

    import docx

    document = docx.Document(fileobj)
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def plain_text(fileobj):
    data = fileobj.read(MAX_EXTRACTED_CHARS * 4)
    if isinstance(data, str):
        return data
    return data.decode("utf-8", errors="replace")


EXTRACTORS = {"pdf": pdf_text, "docx": docx_text, "txt": plain_text}


def extract_text(fileobj, extension):
    """The text inside a file, cleaned up, or "" for a type we do not read.

    Raises ExtractionError, or whatever the parser raises, when the file cannot be read.
    """
    extractor = EXTRACTORS.get((extension or "").lower().lstrip("."))
    if extractor is None:
        return ""
    fileobj.seek(0)
    return clean_text(extractor(fileobj))
