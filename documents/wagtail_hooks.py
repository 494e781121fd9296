"""Documents in the admin and at download time."""

from django.http import Http404
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
    it, except to editors who may work on it. Members-only collections are checked by
    Wagtail's own hook as before."""
    if is_public(document) or can_edit(request.user, document):
        return None
    raise Http404("This document is not published.")
