"""Documents: the text inside uploaded files is read, kept and searchable; bad files never block."""

import io
import logging

import docx
import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader, PdfWriter
from wagtail.documents import get_document_model

from documents.extraction import MAX_EXTRACTED_CHARS, clean_text
from documents.models import SearchableDocument
from home.management.commands.load_demo_content import PAPER_DOCUMENT_TITLE
from home.placeholder_pdf import make_placeholder_pdf

pytestmark = pytest.mark.django_db

PDF_PHRASE = "Rota resilience across regional stroke networks"


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


def search_titles(query):
    return [d.title for d in get_document_model().objects.search(query)]


def test_the_site_uses_the_searchable_document_model():
    assert get_document_model() is SearchableDocument


def test_a_pdfs_text_is_read_on_upload_and_found_by_search(make_document):
    document = make_document(title="Workforce paper", content=pdf_with("Angioplasty nocturne"))
    assert "Angioplasty nocturne" in document.extracted_text
    assert search_titles("nocturne") == ["Workforce paper"]


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


def test_a_file_type_we_cannot_read_is_still_found_by_title(make_document):
    document = make_document(title="Budget spreadsheet", filename="budget.xlsx", content=b"PK")
    assert document.extracted_text == ""
    assert search_titles("budget") == ["Budget spreadsheet"]


def test_a_corrupt_pdf_is_logged_saved_and_found_by_title(make_document, caplog):
    with caplog.at_level(logging.WARNING, logger="documents.models"):
        document = make_document(title="Broken paper", content=b"%PDF-1.4 this is not a pdf")
    assert document.pk is not None
    assert document.extracted_text == ""
    assert "Could not read the text of document 'Broken paper'" in caplog.text
    assert search_titles("broken") == ["Broken paper"]


def test_a_password_protected_pdf_is_logged_saved_and_found_by_title(make_document, caplog):
    with caplog.at_level(logging.WARNING, logger="documents.models"):
        document = make_document(title="Locked paper", content=encrypted_pdf())
    assert document.extracted_text == ""
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


def test_replacing_the_file_reads_the_new_text_and_forgets_the_old(make_document):
    document = make_document(title="Evolving paper", content=pdf_with("Original wording"))
    document = get_document_model().objects.get(pk=document.pk)
    document.file.save("second.pdf", ContentFile(pdf_with("Revised wording")), save=False)
    document.save()
    document.refresh_from_db()
    assert "Revised wording" in document.extracted_text
    assert "Original" not in document.extracted_text
    assert search_titles("revised") == ["Evolving paper"]
    assert search_titles("original") == []


def test_saving_without_a_new_file_does_not_read_the_file_again(make_document, monkeypatch):
    document = make_document(title="Stable paper", content=pdf_with("Stable words"))
    document = get_document_model().objects.get(pk=document.pk)

    def fail(*args, **kwargs):
        raise AssertionError("the file was read again")

    monkeypatch.setattr(SearchableDocument, "refresh_extracted_text", fail)
    document.title = "Stable paper, renamed"
    document.save()
    assert "Stable words" in get_document_model().objects.get(pk=document.pk).extracted_text


def test_control_characters_and_null_bytes_never_reach_the_database(make_document):
    document = make_document(title="Odd", filename="odd.txt", content=b"before\x00after\x07 end")
    document.refresh_from_db()
    assert document.extracted_text == "before after end"


def test_extracted_text_is_capped():
    assert len(clean_text("word " * MAX_EXTRACTED_CHARS)) == MAX_EXTRACTED_CHARS


def test_the_demo_paper_pdf_text_is_extracted(demo_site):
    paper = get_document_model().objects.get(title=PAPER_DOCUMENT_TITLE)
    assert PDF_PHRASE in paper.extracted_text
    assert paper.file_size and paper.file_size > 0


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

    def test_an_uploaded_pdf_is_searchable_by_its_text(self, editor_client):
        response = self.upload(editor_client, "Uploaded", "up.pdf", pdf_with("Bifurcation lore"))
        assert response.status_code == 302
        document = get_document_model().objects.get(title="Uploaded")
        assert "Bifurcation lore" in document.extracted_text
        assert search_titles("bifurcation") == ["Uploaded"]

    def test_a_corrupt_upload_still_succeeds(self, editor_client, caplog):
        with caplog.at_level(logging.WARNING, logger="documents.models"):
            response = self.upload(editor_client, "Damaged", "bad.pdf", b"%PDF-1.7 garbage")
        assert response.status_code == 302
        assert get_document_model().objects.filter(title="Damaged").exists()
        assert "Could not read the text" in caplog.text

    def test_replacing_the_file_in_the_admin_reindexes_its_text(self, editor_client):
        self.upload(editor_client, "Draft paper", "one.pdf", pdf_with("Lesion alpha"))
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
        document.refresh_from_db()
        assert "Lesion omega" in document.extracted_text
        assert search_titles("omega") == ["Draft paper"]
        assert search_titles("alpha") == []


def test_the_catch_up_command_reads_documents_saved_without_text(make_document):
    document = make_document(title="Imported paper", content=pdf_with("Imported wording"))
    get_document_model().objects.filter(pk=document.pk).update(extracted_text="")
    out = io.StringIO()
    call_command("extract_document_text", "--missing", stdout=out)
    document.refresh_from_db()
    assert "Imported wording" in document.extracted_text
    assert "Read the text of 1 document(s)" in out.getvalue()
    assert search_titles("wording") == ["Imported paper"]


def test_the_admins_multiple_upload_reads_the_text_too(client, django_user_model):
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
    document = get_document_model().objects.get(title="Dropped paper")
    assert "Calcified ostium" in document.extracted_text
    assert search_titles("ostium") == ["Dropped paper"]
