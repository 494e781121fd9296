"""Documents are served by Wagtail's own view (which checks collection privacy), wrapped here so
that a members-only document is never kept by a shared cache."""

from wagtail.documents import get_document_model
from wagtail.documents.views.serve import serve as wagtail_serve


def is_members_only(document_id):
    document = get_document_model().objects.select_related("collection").filter(pk=document_id)
    document = document.first()
    return document is not None and document.collection.get_view_restrictions().exists()


def serve(request, document_id, document_filename):
    """Wagtail's serve view. A document in a private collection (or under one) answers
    "Cache-Control: private, no-store" (the file, its 304 and the redirect to sign in alike): a
    CDN that caches by file extension must never hand one member's download to anyone else.
    Public documents keep Wagtail's headers."""
    response = wagtail_serve(request, document_id, document_filename)
    if is_members_only(document_id):
        response["Cache-Control"] = "private, no-store"
    return response
