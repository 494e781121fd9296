"""Documents: the text inside uploaded files is read by the worker, kept and searchable; bad or
hostile files never block an upload, and reading one is bounded in time and memory."""

import io
import logging
import resource
import struct
import sys
import time
import zipfile
import zlib

import docx
import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader, PdfWriter
from wagtail.documents import get_document_model

from documents import reading, tasks
from documents.extraction import MAX_EXTRACTED_CHARS, MB, clean_text
from documents.models import SearchableDocument
from documents.tasks import read_document_text, requeue_stuck_documents
from home.management.commands.load_demo_content import PAPER_DOCUMENT_TITLE
from home.placeholder_pdf import make_placeholder_pdf

pytestmark = pytest.mark.django_db

PDF_PHRASE = "Rota resilience across regional stroke networks"
Status = SearchableDocument.TextStatus
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def pdf_with(*lines):
    return make_placeholder_pdf(["A paper"], list(lines))


def encrypted_pdf():
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_with("Hidden words"))))
    writer.encrypt(user_password="s3cret-password", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_with(paragraph, cell):
    document = docx.Document()
    document.add_paragraph(paragraph)
    table = document.add_table(rows=1, cols=1)
    table.cell(0, 0).text = cell
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_with_tiny_paragraphs(unpacked_bytes):
    """A real .docx whose body is nothing but one-letter paragraphs, `unpacked_bytes` long:
    small on disk (it compresses well), large once unpacked."""
    paragraph = b"<w:p><w:r><w:t>a</w:t></w:r></w:p>"
    head = f'<?xml version="1.0"?><w:document xmlns:w="{W_NS}"><w:body>'.encode()
    tail = b"</w:body></w:document>"
    count = (unpacked_bytes - len(head) - len(tail)) // len(paragraph) + 1
    original = zipfile.ZipFile(io.BytesIO(docx_with("x", "y")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in original.infolist():
            if info.filename != "word/document.xml":
                archive.writestr(info, original.read(info))
                continue
            with archive.open("word/document.xml", "w") as member:
                member.write(head)
                chunk = paragraph * 10_000
                for _ in range(count // 10_000):
                    member.write(chunk)
                member.write(paragraph * (count % 10_000))
                member.write(tail)
    return out.getvalue()


def understate_sizes(data, member, claimed_size):
    """Rewrite a zip so that its headers (local and central directory) say `member` unpacks
    to `claimed_size` bytes, whatever it really holds."""
    data = bytearray(data)
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = archive.getinfo(member)
    # Local file header: uncompressed size at offset 22.
    struct.pack_into("<I", data, info.header_offset + 22, claimed_size)
    # Central directory entries: uncompressed size at offset 24.
    position = archive.start_dir
    while data[position : position + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, position + 28)
        name = bytes(data[position + 46 : position + 46 + name_length]).decode()
        if name == member:
            struct.pack_into("<I", data, position + 24, claimed_size)
        position += 46 + name_length + extra_length + comment_length
    return bytes(data)


def pdf_pages_sharing_one_stream(pages=30, stream_bytes=100_000, operator=b"BT () Tj ET\n"):
    """A small PDF whose `pages` pages all draw the same large (compressed) content stream."""
    packer = zlib.compressobj(1)
    count = stream_bytes // len(operator)
    chunk = operator * max(1, (1024 * 1024) // len(operator))
    packed = b"".join(packer.compress(chunk) for _ in range(count // (len(chunk) // len(operator))))
    packed += packer.compress(operator * (count % (len(chunk) // len(operator)))) + packer.flush()
    kids = " ".join(f"{4 + i} 0 R" for i in range(pages)).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream",
    ]
    for _ in range(pages):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (4 + pages)
        )
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref_at,
    )
    return bytes(out)


def search_titles(query):
    return [d.title for d in get_document_model().objects.search(query)]


def queued_reads():
    return DBTaskResult.objects.filter(
        task_path=read_document_text.module_path, status="READY"
    ).count()


@pytest.fixture
def forbid_reading(monkeypatch):
    """Call it, and from then on any attempt to start a reader process fails the test: for code
    that must only queue the file."""

    def refuse(*args, **kwargs):
        raise AssertionError("a file was read here; it should only have been queued")

    def forbid(patcher=monkeypatch):
        patcher.setattr(reading.subprocess, "Popen", refuse)

    return forbid


def test_the_site_uses_the_searchable_document_model():
    assert get_document_model() is SearchableDocument


# --- Saving queues; the worker reads -------------------------------------------------------


def test_saving_a_new_file_queues_it_and_reads_nothing(make_document, forbid_reading):
    forbid_reading()
    document = make_document(title="Queued paper", content=pdf_with("Queued words"), read=False)
    document.refresh_from_db()
    assert document.extracted_text == ""
    assert document.text_status == Status.PENDING
    assert document.text_queued_at is not None
    assert queued_reads() == 1
    assert search_titles("queued") == ["Queued paper"]  # by its title, meanwhile


def test_the_worker_reads_the_queued_file_and_indexes_its_text(make_document, run_worker):
    document = make_document(title="Workforce paper", content=pdf_with("Angioplasty nocturne"))
    assert run_worker() == 0  # nothing left to do
    assert document.text_status == Status.DONE
    assert document.text_status_reason == ""
    assert "Angioplasty nocturne" in document.extracted_text
    assert search_titles("nocturne") == ["Workforce paper"]


def test_the_task_is_queued_in_the_same_transaction_as_the_save():
    Document = get_document_model()
    with pytest.raises(RuntimeError), transaction.atomic():
        document = Document(title="Rolled back")
        document.file.save("gone.pdf", ContentFile(pdf_with("Gone")), save=False)
        document.save()
        assert queued_reads() == 1
        raise RuntimeError("the upload failed after the save")
    assert not Document.objects.filter(title="Rolled back").exists()
    assert queued_reads() == 0


def test_a_word_files_paragraphs_and_tables_are_read(make_document):
    document = make_document(
        title="Minutes",
        filename="minutes.docx",
        content=docx_with("Paragraph about catheterisation", "Cell about fluoroscopy"),
    )
    assert "catheterisation" in document.extracted_text
    assert "fluoroscopy" in document.extracted_text
    assert search_titles("fluoroscopy") == ["Minutes"]


def test_a_plain_text_file_is_read(make_document):
    document = make_document(title="Notes", filename="notes.txt", content=b"Radial access notes")
    assert document.extracted_text == "Radial access notes"


def test_a_file_type_we_cannot_read_is_not_queued_and_is_found_by_title(make_document):
    document = make_document(
        title="Budget spreadsheet", filename="budget.xlsx", content=b"PK", read=False
    )
    assert queued_reads() == 0
    assert document.extracted_text == ""
    assert document.text_status == Status.NOT_READ
    assert "found by its title" in document.text_status_reason
    assert search_titles("budget") == ["Budget spreadsheet"]


def test_a_corrupt_pdf_is_logged_saved_and_found_by_title(make_document, caplog):
    with caplog.at_level(logging.WARNING, logger="documents.tasks"):
        document = make_document(title="Broken paper", content=b"%PDF-1.4 this is not a pdf")
    assert document.pk is not None
    assert document.extracted_text == ""
    assert document.text_status == Status.NOT_READ
    assert document.text_status_reason
    assert "Could not read the text of document 'Broken paper'" in caplog.text
    assert search_titles("broken") == ["Broken paper"]


def test_a_password_protected_pdf_is_logged_saved_and_found_by_title(make_document, caplog):
    with caplog.at_level(logging.WARNING, logger="documents.tasks"):
        document = make_document(title="Locked paper", content=encrypted_pdf())
    assert document.extracted_text == ""
    assert document.text_status_reason == "the PDF is protected by a password"
    assert "protected by a password" in caplog.text
    assert search_titles("locked") == ["Locked paper"]
    assert search_titles("hidden") == []


def test_a_pdf_protected_only_against_editing_is_still_read(make_document):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_with("Readable stenting words"))))
    writer.encrypt(user_password="", owner_password="owner-only", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    document = make_document(title="Owner locked", content=out.getvalue())
    assert "Readable stenting words" in document.extracted_text


def test_replacing_the_file_reads_the_new_text_and_forgets_the_old(make_document, run_worker):
    document = make_document(title="Evolving paper", content=pdf_with("Original wording"))
    document = get_document_model().objects.get(pk=document.pk)
    document.file.save("second.pdf", ContentFile(pdf_with("Revised wording")), save=False)
    document.save()
    document.refresh_from_db()
    assert document.extracted_text == ""  # the old text goes at once
    assert document.text_status == Status.PENDING
    run_worker()
    document.refresh_from_db()
    assert "Revised wording" in document.extracted_text
    assert "Original" not in document.extracted_text
    assert search_titles("revised") == ["Evolving paper"]
    assert search_titles("original") == []


def test_a_task_for_a_file_since_replaced_does_nothing(
    make_document, run_worker, forbid_reading, monkeypatch
):
    document = make_document(title="Twice replaced", content=pdf_with("First wording"), read=False)
    first_name = document.file.name
    document = get_document_model().objects.get(pk=document.pk)
    document.file.save("second.pdf", ContentFile(pdf_with("Second wording")), save=False)
    document.save()
    # The first file's task runs late, after the replacement: it reads nothing and stores
    # nothing.
    with monkeypatch.context() as patch:
        forbid_reading(patch)
        assert read_document_text.call(document.pk, first_name) == "replaced"
    document.refresh_from_db()
    assert document.extracted_text == ""
    assert document.text_status == Status.PENDING
    run_worker()
    document.refresh_from_db()
    assert "Second wording" in document.extracted_text
    assert "First" not in document.extracted_text


def test_a_file_replaced_while_it_is_being_read_does_not_get_the_old_text(
    make_document, run_worker, monkeypatch
):
    document = make_document(title="Raced", content=pdf_with("Old wording"), read=False)
    first_name = document.file.name

    def read_while_an_editor_replaces_the_file(fileobj, extension):
        editing = get_document_model().objects.get(pk=document.pk)
        editing.file.save("newer.pdf", ContentFile(pdf_with("Newer wording")), save=False)
        editing.save()
        return reading.Outcome(True, text="Old wording")

    with monkeypatch.context() as patch:
        patch.setattr(tasks, "read_file", read_while_an_editor_replaces_the_file)
        assert read_document_text.call(document.pk, first_name) == "replaced"
    document.refresh_from_db()
    assert document.extracted_text == ""
    assert document.text_status == Status.PENDING
    run_worker()
    document.refresh_from_db()
    assert document.extracted_text.endswith("Newer wording")


def test_saving_without_a_new_file_queues_nothing(make_document, forbid_reading):
    document = make_document(title="Stable paper", content=pdf_with("Stable words"))
    forbid_reading()
    document = get_document_model().objects.get(pk=document.pk)
    document.title = "Stable paper, renamed"
    document.save()
    assert queued_reads() == 0
    document.refresh_from_db()
    assert document.text_status == Status.DONE
    assert "Stable words" in document.extracted_text


def test_control_characters_and_null_bytes_never_reach_the_database(make_document):
    document = make_document(title="Odd", filename="odd.txt", content=b"before\x00after\x07 end")
    assert document.extracted_text == "before after end"


def test_extracted_text_is_capped():
    assert len(clean_text("word " * MAX_EXTRACTED_CHARS)) == MAX_EXTRACTED_CHARS


def test_the_demo_paper_pdf_text_is_extracted(demo_site):
    paper = get_document_model().objects.get(title=PAPER_DOCUMENT_TITLE)
    assert PDF_PHRASE in paper.extracted_text
    assert paper.text_status == Status.DONE
    assert paper.file_size and paper.file_size > 0


# --- Files that would stall the site: kept, not read, cheaply ------------------------------


@pytest.fixture
def small_limits(settings):
    """Limits low enough for files a test can make in a moment."""
    settings.DOCUMENT_TEXT_MAX_UNPACKED_MB = 0.25
    settings.DOCUMENT_TEXT_MAX_PDF_PAGE_CONTENT_MB = 0.25
    settings.DOCUMENT_TEXT_MAX_PDF_CONTENT_MB = 0.5
    settings.DOCUMENT_TEXT_TIMEOUT_SECONDS = 20
    return settings


def read_timed(make_document, **kwargs):
    started = time.monotonic()
    document = make_document(**kwargs)
    return document, time.monotonic() - started


def test_a_word_file_of_tiny_paragraphs_past_the_unpacked_limit_is_not_read(
    make_document, small_limits, caplog
):
    data = docx_with_tiny_paragraphs(400_000)  # 0.4 MB unpacked, a few KB on disk
    with caplog.at_level(logging.WARNING, logger="documents.tasks"):
        document, elapsed = read_timed(
            make_document, title="Paragraph flood", filename="flood.docx", content=data
        )
    assert document.text_status == Status.NOT_READ
    assert document.text_status_reason == "the Word file unpacks to more than 0.25 MB"
    assert document.extracted_text == ""
    assert search_titles("flood") == ["Paragraph flood"]
    assert caplog.text.count("Could not read the text of document 'Paragraph flood'") == 1
    assert elapsed < 10


def test_the_same_word_file_under_the_limit_is_read(make_document, small_limits):
    small_limits.DOCUMENT_TEXT_MAX_UNPACKED_MB = 1
    data = docx_with_tiny_paragraphs(400_000)
    document = make_document(title="Many paragraphs", filename="many.docx", content=data)
    assert document.text_status == Status.DONE
    assert document.extracted_text.startswith("a a a")


def test_a_word_file_whose_headers_understate_its_size_is_not_read(make_document, small_limits):
    real_size = 48 * 1024 * 1024
    data = understate_sizes(docx_with_tiny_paragraphs(real_size), "word/document.xml", 1000)
    assert zipfile.ZipFile(io.BytesIO(data)).getinfo("word/document.xml").file_size == 1000
    memory_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KB on Linux
    document, elapsed = read_timed(
        make_document, title="Understated", filename="understated.docx", content=data
    )
    assert document.text_status == Status.NOT_READ
    assert document.text_status_reason.startswith("the Word file is damaged (Bad CRC-32")
    assert document.extracted_text == ""
    assert search_titles("understated") == ["Understated"]
    assert elapsed < 10
    # Nothing of the 48 MB was unpacked in the worker itself.
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - memory_before < 32 * 1024


def test_a_pdf_whose_pages_share_one_large_content_stream_is_not_read(
    make_document, small_limits, caplog
):
    data = pdf_pages_sharing_one_stream(pages=30, stream_bytes=100_000)
    assert len(data) < 10_000
    with caplog.at_level(logging.WARNING, logger="documents.tasks"):
        document, elapsed = read_timed(make_document, title="Shared drawing", content=data)
    assert document.text_status == Status.NOT_READ
    assert document.text_status_reason.startswith("the PDF's pages draw more than 0.5 MB in all")
    assert search_titles("shared") == ["Shared drawing"]
    assert caplog.text.count("Could not read the text of document 'Shared drawing'") == 1
    assert elapsed < 10


def test_a_pdf_page_drawing_more_than_its_limit_is_not_read(make_document, small_limits):
    data = pdf_pages_sharing_one_stream(pages=1, stream_bytes=300_000)
    document = make_document(title="Heavy page", content=data)
    assert document.text_status == Status.NOT_READ
    assert document.text_status_reason == "page 1 of the PDF draws more than 0.25 MB"


def test_reading_is_stopped_at_the_processor_time_limit(make_document, settings):
    # Under every size limit, but slow to read: about 3 seconds of processing in all.
    settings.DOCUMENT_TEXT_CPU_SECONDS = 1
    settings.DOCUMENT_TEXT_TIMEOUT_SECONDS = 30
    data = pdf_pages_sharing_one_stream(pages=30, stream_bytes=100_000)
    document, elapsed = read_timed(make_document, title="Slow drawing", content=data)
    assert document.text_status == Status.NOT_READ
    assert document.text_status_reason == "reading it needed more than 1 seconds of processing"
    assert elapsed < 10


def test_reading_is_stopped_at_the_memory_limit(make_document, settings):
    # One page whose drawing unpacks to 128 MB, under generous size limits.
    settings.DOCUMENT_TEXT_MEMORY_MB = 96
    settings.DOCUMENT_TEXT_MAX_PDF_PAGE_CONTENT_MB = 500
    settings.DOCUMENT_TEXT_MAX_PDF_CONTENT_MB = 500
    data = pdf_pages_sharing_one_stream(pages=1, stream_bytes=128 * MB, operator=b" " * 1024)
    document, elapsed = read_timed(make_document, title="Memory hungry", content=data)
    assert document.text_status == Status.NOT_READ
    assert document.text_status_reason == "reading it needed more than 96 MB of memory"
    assert elapsed < 10


def test_a_reader_that_hangs_is_killed_at_the_time_limit(make_document, settings, monkeypatch):
    settings.DOCUMENT_TEXT_TIMEOUT_SECONDS = 1
    hang = [sys.executable, "-c", "import time; time.sleep(60)"]
    monkeypatch.setattr(reading, "child_command", lambda: hang)
    document, elapsed = read_timed(make_document, title="Hanging", content=pdf_with("Hang"))
    assert document.text_status == Status.NOT_READ
    assert document.text_status_reason == "reading it took longer than 1 seconds"
    assert elapsed < 10


def test_the_reader_runs_without_the_sites_secrets(monkeypatch, settings):
    monkeypatch.setenv("SECRET_KEY", "do-not-leak")
    monkeypatch.setenv("DATABASE_URL", "postgres://secret@db/site")
    assert "SECRET_KEY" not in reading.child_environment()
    assert "DATABASE_URL" not in reading.child_environment()


# --- A worker that stops mid-way ------------------------------------------------------------


def test_a_document_left_waiting_by_a_stopped_worker_is_queued_again(
    make_document, run_worker, monkeypatch
):
    document = make_document(title="Orphaned", content=pdf_with("Orphan wording"), read=False)
    # A worker claimed the task and was killed while reading: the task stays "running".
    task = DBTaskResult.objects.get(task_path=read_document_text.module_path)
    task.claim("worker-that-died")
    assert queued_reads() == 0
    assert requeue_stuck_documents() == 0  # not yet: it may still be being read
    later = timezone.now() + timezone.timedelta(seconds=901)
    assert requeue_stuck_documents(now=later) == 1
    assert requeue_stuck_documents(now=later) == 0  # safe to run twice
    assert queued_reads() == 1
    # Even by two workers at once, each having looked at the queue before the other queued it.
    with monkeypatch.context() as patch:
        patch.setattr(tasks, "queued_task_pks", lambda pks: set())
        assert requeue_stuck_documents(now=later) == 0
    assert queued_reads() == 1
    run_worker()
    document.refresh_from_db()
    assert document.text_status == Status.DONE
    assert "Orphan wording" in document.extracted_text


def test_a_document_still_in_the_queue_is_not_queued_twice(make_document):
    make_document(title="Backlog", content=pdf_with("Backlog wording"), read=False)
    later = timezone.now() + timezone.timedelta(seconds=901)
    assert requeue_stuck_documents(now=later) == 0
    assert queued_reads() == 1


def test_a_duplicate_task_reads_nothing_and_logs_nothing(make_document, caplog):
    document = make_document(title="Broken twice", content=b"%PDF-1.4 not a pdf")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="documents.tasks"):
        assert read_document_text.call(document.pk, document.file.name) == "already read"
    assert caplog.text == ""


def test_existing_documents_are_marked_read_by_the_migration():
    from importlib import import_module

    migration = import_module("documents.migrations.0002_text_status").Migration
    [add] = [op for op in migration.operations if getattr(op, "name", "") == "text_status"][:1]
    assert add.field.default == Status.DONE


# --- The admin ------------------------------------------------------------------------------


class TestAdminUpload:
    """Uploads through Wagtail's admin: the editor's path, where failure would lose work."""

    @pytest.fixture
    def editor_client(self, client, django_user_model):
        user = django_user_model.objects.create_superuser("editor", "e@example.com", "pw-editor-1")
        client.force_login(user)
        return client

    def upload(self, client, title, filename, content):
        return client.post(
            reverse("wagtaildocs:add"),
            {
                "title": title,
                "file": SimpleUploadedFile(filename, content, "application/pdf"),
                "collection": get_document_model()._meta.get_field("collection").get_default(),
            },
        )

    def test_the_upload_returns_without_reading_the_file(self, editor_client, forbid_reading):
        forbid_reading()
        response = self.upload(editor_client, "Uploaded", "up.pdf", pdf_with("Bifurcation lore"))
        assert response.status_code == 302
        document = get_document_model().objects.get(title="Uploaded")
        assert document.extracted_text == ""
        assert document.text_status == Status.PENDING
        assert queued_reads() == 1

    def test_an_uploaded_pdf_is_searchable_by_its_text_once_read(self, editor_client, run_worker):
        self.upload(editor_client, "Uploaded", "up.pdf", pdf_with("Bifurcation lore"))
        assert search_titles("bifurcation") == []
        run_worker()
        document = get_document_model().objects.get(title="Uploaded")
        assert "Bifurcation lore" in document.extracted_text
        assert search_titles("bifurcation") == ["Uploaded"]

    def test_a_corrupt_upload_still_succeeds(self, editor_client, run_worker, caplog):
        response = self.upload(editor_client, "Damaged", "bad.pdf", b"%PDF-1.7 garbage")
        assert response.status_code == 302
        assert get_document_model().objects.filter(title="Damaged").exists()
        with caplog.at_level(logging.WARNING, logger="documents.tasks"):
            run_worker()
        assert "Could not read the text" in caplog.text

    def test_replacing_the_file_in_the_admin_reindexes_its_text(self, editor_client, run_worker):
        self.upload(editor_client, "Draft paper", "one.pdf", pdf_with("Lesion alpha"))
        run_worker()
        document = get_document_model().objects.get(title="Draft paper")
        response = editor_client.post(
            reverse("wagtaildocs:edit", args=[document.pk]),
            {
                "title": "Draft paper",
                "file": SimpleUploadedFile("two.pdf", pdf_with("Lesion omega"), "application/pdf"),
                "collection": document.collection_id,
                "tags": "",
            },
        )
        assert response.status_code == 302
        run_worker()
        document.refresh_from_db()
        assert "Lesion omega" in document.extracted_text
        assert search_titles("omega") == ["Draft paper"]
        assert search_titles("alpha") == []

    def test_the_edit_screen_says_whether_the_text_was_read(
        self, editor_client, make_document, small_limits
    ):
        data = pdf_pages_sharing_one_stream(pages=1, stream_bytes=300_000)
        document = make_document(title="Heavy page", content=data)
        html = editor_client.get(reverse("wagtaildocs:edit", args=[document.pk])).content.decode()
        assert "Text for site search" in html
        assert "Not read: page 1 of the PDF draws more than 0.25 MB" in html


def test_the_catch_up_command_reads_documents_saved_without_text(make_document):
    document = make_document(title="Imported paper", content=pdf_with("Imported wording"))
    get_document_model().objects.filter(pk=document.pk).update(extracted_text="")
    out = io.StringIO()
    call_command("extract_document_text", "--missing", stdout=out)
    document.refresh_from_db()
    assert "Imported wording" in document.extracted_text
    assert "Read the text of 1 document(s)" in out.getvalue()
    assert search_titles("wording") == ["Imported paper"]


def test_the_admins_multiple_upload_queues_the_text_too(client, django_user_model, run_worker):
    user = django_user_model.objects.create_superuser("editor", "e@example.com", "pw-editor-1")
    client.force_login(user)
    response = client.post(
        reverse("wagtaildocs:add_multiple"),
        {
            "title": "Dropped paper",
            "collection": get_document_model()._meta.get_field("collection").get_default(),
            "files[]": SimpleUploadedFile(
                "drop.pdf", pdf_with("Calcified ostium"), "application/pdf"
            ),
        },
    )
    assert response.status_code == 200
    assert response.json()["success"] is True
    assert queued_reads() == 1
    run_worker()
    document = get_document_model().objects.get(title="Dropped paper")
    assert "Calcified ostium" in document.extracted_text
    assert search_titles("ostium") == ["Dropped paper"]


def test_a_file_missing_from_storage_is_marked_not_read(make_document):
    document = make_document(title="Vanished", content=pdf_with("Vanished words"), read=False)
    document.file.storage.delete(document.file.name)
    assert read_document_text.call(document.pk, document.file.name) == "not read"
    document.refresh_from_db()
    assert document.text_status == Status.NOT_READ
    assert document.text_status_reason == "the file is missing from storage"
