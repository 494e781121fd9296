"""Documents in the admin and at download time."""

from django.http import Http404, HttpResponse
from django.utils.cache import patch_cache_control
from wagtail import hooks
from wagtail.documents import get_document_model
from wagtail.permissions import policy_registry

from documents.privacy import is_public


def can_edit(user, document):
    """Editors who may change or choose this document can open it before it is public."""
    if not user.is_authenticated:
        return False
    policy = policy_registry.get_by_type(get_document_model())
    return policy.user_has_any_permission_for_instance(user, ["change", "choose"], document)


@hooks.register("before_serve_document")
def hide_documents_not_yet_public(document, request):
    """A held-back upload answers 404 (as if it did not exist) until a live, public page links
    it, except to editors who may work on it; their copy is marked private so that no shared
    cache keeps it. A public document is served as before (Wagtail's own hook then checks
    members-only collections)."""
    if is_public(document):
        return None
    if not can_edit(request.user, document):
        raise Http404("This document is not published.")
    return editors_copy(document)


def editors_copy(document):
    """The file as Wagtail's view would send it, but private and never stored by a cache.
    (A hook's answer must be a plain HttpResponse, so the file, at most 20 MB, is read whole.)"""
    with document.file.open("rb") as file:
        response = HttpResponse(file.read(), content_type=document.content_type)
    response["Content-Disposition"] = document.content_disposition
    response["Content-Security-Policy"] = "default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, no_store=True)
    return response
