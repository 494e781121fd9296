"""Nothing is public before its page is: where uploads go, and when a file becomes public.

An upload lands in "Unpublished uploads". Such a file answers 404 to visitors and stays out of
site search until a live, public page links it; publishing the page makes it public at once,
unpublishing the page (or taking the paper off and publishing) hides it again. Editors can
always open it. Files an editor puts in Root (or another ordinary collection) are public
without a page; members-only collections work as before (tests/test_security.py).
"""

import re

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtail.documents import get_document_model
from wagtail.models import Collection, PageViewRestriction, ReferenceIndex

from documents.privacy import UNPUBLISHED_COLLECTION_NAME, unpublished_collection
from focusgroups.models import FocusGroupPage, FocusGroupPaper
from home.placeholder_pdf import make_placeholder_pdf

pytestmark = pytest.mark.django_db

SECRET_PHRASE = "embargoed cardiology findings"


@pytest.fixture
def communications_editor(django_user_model):
    user = django_user_model.objects.create_user("comms", password="pw-editor-1")
    user.groups.add(Group.objects.get(name="Communications editors"))
    return user


@pytest.fixture
def held_document(make_document):
    """A file as the page editor's upload leaves it: in "Unpublished uploads", text read."""
    document = make_document(
        title="Embargoed draft",
        filename="embargoed-draft.pdf",
        content=make_placeholder_pdf(["Embargoed draft"], [SECRET_PHRASE]),
    )
    document.collection = unpublished_collection()
    document.save()
    return document


def found_in_search(client, phrase, document):
    html = client.get("/search/", {"query": phrase}).content.decode()
    return document.url in html


def add_paper(page, document, title="The embargoed paper"):
    page.papers.add(FocusGroupPaper(title=title, version_label="Draft", document=document))


# Where uploads go --------------------------------------------------------------------------


def test_the_migration_made_the_unpublished_uploads_collection():
    assert Collection.objects.filter(name=UNPUBLISHED_COLLECTION_NAME, depth=2).exists()
    assert unpublished_collection().name == UNPUBLISHED_COLLECTION_NAME


def chooser_upload_form(client):
    """The chooser's upload tab as the page editor shows it: its collection select."""
    response = client.get(reverse("wagtaildocs_chooser:choose"))
    assert response.status_code == 200
    html = response.json()["html"]
    select = re.search(
        r'<select name="document-chooser-upload-collection".*?</select>', html, re.S
    ).group(0)
    selected = re.search(r'<option value="(\d+)"[^>]*selected', select).group(1)
    return html, int(selected)


def test_an_upload_from_the_page_editors_chooser_lands_in_unpublished_uploads(
    client, communications_editor, home_page
):
    client.force_login(communications_editor)
    html, selected = chooser_upload_form(client)
    assert selected == unpublished_collection().pk
    assert "nobody outside the admin can download or find it" in html
    response = client.post(
        reverse("wagtaildocs_chooser:create"),
        {
            "document-chooser-upload-title": "Embargoed draft",
            "document-chooser-upload-file": SimpleUploadedFile(
                "embargoed-draft.pdf", b"%PDF-1.4 draft", "application/pdf"
            ),
            "document-chooser-upload-collection": str(selected),
        },
    )
    assert response.status_code == 200, response.content[:500]
    document = get_document_model().objects.get(title="Embargoed draft")
    assert document.collection == unpublished_collection()
    client.logout()
    assert client.get(document.url).status_code == 404


def test_an_upload_sent_without_a_collection_lands_in_unpublished_uploads(
    client, communications_editor, home_page
):
    client.force_login(communications_editor)
    response = client.post(
        reverse("wagtaildocs_chooser:create"),
        {
            "document-chooser-upload-title": "No collection",
            "document-chooser-upload-file": SimpleUploadedFile(
                "no-collection.pdf", b"%PDF-1.4 draft", "application/pdf"
            ),
        },
    )
    assert response.status_code == 200
    document = get_document_model().objects.get(title="No collection")
    assert document.collection == unpublished_collection()


def test_the_documents_area_uploads_to_unpublished_uploads_by_default(
    client, communications_editor
):
    client.force_login(communications_editor)
    html = client.get(reverse("wagtaildocs:add_multiple")).content.decode()
    held = unpublished_collection().pk
    assert re.search(rf'<option value="{held}"\s*selected', html)
    assert "nobody outside the admin can download or find it" in html
    # The listing's collection filter still chooses the collection.
    root = Collection.get_first_root_node().pk
    html = client.get(reverse("wagtaildocs:add_multiple"), {"collection_id": root}).content
    assert re.search(rf'<option value="{root}"\s*selected', html.decode())
    html = client.get(reverse("wagtaildocs:add")).content.decode()
    assert re.search(rf'<option value="{held}"\s*selected', html)


# When a held file becomes public -----------------------------------------------------------


def test_the_reference_index_records_a_pages_published_links_not_its_drafts(
    make_focus_group, held_document
):
    page = make_focus_group(n=0)
    add_paper(page, held_document)
    page.save_revision()  # what "Save draft" does on a live page
    assert not ReferenceIndex.get_references_to(held_document).exists()
    page = FocusGroupPage.objects.get(pk=page.pk)
    page.get_latest_revision_as_object().save_revision().publish()
    assert ReferenceIndex.get_references_to(held_document).exists()


def test_a_file_linked_only_from_a_draft_is_not_public(client, make_focus_group, held_document):
    page = make_focus_group(n=0)
    add_paper(page, held_document)
    page.save_revision()
    assert client.get(held_document.url).status_code == 404
    assert not found_in_search(client, SECRET_PHRASE, held_document)


def test_a_file_on_a_never_published_page_is_not_public(client, index_page, held_document):
    page = FocusGroupPage(
        title="New group",
        slug="new-group",
        summary="New.",
        introduction="<p>New.</p>",
        aim="<p>Aim.</p>",
        remit="<p>Remit.</p>",
        participants="<p>People.</p>",
        live=False,
    )
    add_paper(page, held_document)
    index_page.add_child(instance=page)  # what "Save draft" does on a new page
    page.save_revision()
    assert ReferenceIndex.get_references_to(held_document).exists()  # from a page not live
    assert client.get(held_document.url).status_code == 404
    assert not found_in_search(client, SECRET_PHRASE, held_document)


def test_publishing_the_page_makes_its_paper_public_at_once(
    client, make_focus_group, held_document
):
    page = make_focus_group(n=0)
    add_paper(page, held_document)
    page.save_revision().publish()
    response = client.get(held_document.url)
    assert response.status_code == 200
    assert "private" not in response.get("Cache-Control", "")
    assert found_in_search(client, SECRET_PHRASE, held_document)


def test_unpublishing_the_page_takes_its_paper_back(client, make_focus_group, held_document):
    page = make_focus_group(n=0)
    add_paper(page, held_document)
    page.save_revision().publish()
    assert client.get(held_document.url).status_code == 200
    page.unpublish()
    assert client.get(held_document.url).status_code == 404
    assert not found_in_search(client, SECRET_PHRASE, held_document)


def test_taking_the_paper_off_and_publishing_takes_it_back(client, make_focus_group, held_document):
    page = make_focus_group(n=0)
    add_paper(page, held_document)
    page.save_revision().publish()
    page = FocusGroupPage.objects.get(pk=page.pk)
    page.papers = []
    page.save_revision().publish()
    assert client.get(held_document.url).status_code == 404
    assert not found_in_search(client, SECRET_PHRASE, held_document)


def test_a_members_only_page_does_not_make_its_paper_public(
    client, make_focus_group, held_document
):
    page = make_focus_group(n=0)
    add_paper(page, held_document)
    page.save_revision().publish()
    PageViewRestriction.objects.create(page=page, restriction_type="login")
    assert client.get(held_document.url).status_code == 404
    assert not found_in_search(client, SECRET_PHRASE, held_document)


def test_a_communications_editor_can_open_a_held_file(client, communications_editor, held_document):
    client.force_login(communications_editor)
    response = client.get(held_document.url)
    assert response.status_code == 200
    assert response.content == held_document.file.open("rb").read()
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Security-Policy"] == "default-src 'none'"


def test_a_file_an_editor_moves_to_root_is_public_without_a_page(client, held_document):
    assert client.get(held_document.url).status_code == 404
    held_document.collection = Collection.get_first_root_node()
    held_document.save()
    assert client.get(held_document.url).status_code == 200
    assert found_in_search(client, SECRET_PHRASE, held_document)


def test_a_collection_inside_unpublished_uploads_is_held_too(client, held_document):
    inner = unpublished_collection().add_child(name="Drafts for Council")
    held_document.collection = inner
    held_document.save()
    assert client.get(held_document.url).status_code == 404


def test_a_members_only_collection_still_asks_visitors_to_sign_in(client, make_document):
    from wagtail.models import CollectionViewRestriction

    members = Collection.get_first_root_node().add_child(name="Members only")
    CollectionViewRestriction.objects.create(collection=members, restriction_type="login")
    document = make_document(filename="members.pdf")
    document.collection = members
    document.save()
    response = client.get(document.url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_publishing_clears_cached_search_results(client, make_focus_group, held_document, settings):
    settings.PAGE_CACHE_ENABLED = True
    page = make_focus_group(n=0)
    assert not found_in_search(client, SECRET_PHRASE, held_document)
    add_paper(page, held_document)
    page.save_revision().publish()
    assert found_in_search(client, SECRET_PHRASE, held_document)


# The download name -------------------------------------------------------------------------


def test_replacing_a_file_keeps_its_download_address(client, make_document):
    document = make_document(filename="paper.pdf")
    old_url = document.url
    document.file.save("paper-v2.pdf", SimpleUploadedFile("x", b"%PDF-1.4 v2"), save=False)
    document.save()
    document.refresh_from_db()
    assert document.url == old_url
    response = client.get(old_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 v2"
    assert "paper.pdf" in response["Content-Disposition"]


def test_replacing_a_file_with_another_type_names_it_afresh(make_document):
    document = make_document(filename="paper.pdf")
    document.file.save("paper.txt", SimpleUploadedFile("x", b"plain"), save=False)
    document.save()
    assert document.url.endswith("/paper.txt")


def test_an_editors_copy_of_a_held_file_is_never_kept_by_a_shared_cache(
    client, communications_editor, held_document
):
    client.force_login(communications_editor)
    response = client.get(held_document.url)
    assert response.status_code == 200
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
