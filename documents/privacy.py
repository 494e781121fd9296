"""When a document is public: the rule every download and search result follows.

A document is public when it is in a collection that is not held back (Root, "Published
files", anything an editor made for public files), or when a live, public page links it
(a page that is published and has no privacy setting on it or its ancestors). Uploads land in
the "Unpublished uploads" collection (documents.forms), so a file chosen on a page that is
only saved as a draft reaches nobody until the page is published.

Which pages link a document comes from Wagtail's reference index. For a page it records what
is in the page's own row, which is its live (published) version: a draft lives in a revision
and is not recorded, so a link in a draft does not make the file public; publishing re-records
the page, and unpublishing makes it not live. Members-only collections (Wagtail's collection
privacy) still apply on top of this, exactly as before.
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from wagtail.documents import get_document_model
from wagtail.models import Collection, Page, ReferenceIndex

UNPUBLISHED_COLLECTION_NAME = "Unpublished uploads"


def unpublished_collection():
    """The collection new uploads go to. Made again (under Root) if it was deleted."""
    from documents.models import UnpublishedCollection

    held = UnpublishedCollection.objects.select_related("collection").first()
    if held is not None:
        return held.collection
    root = Collection.get_first_root_node()
    collection = root.get_children().filter(name=UNPUBLISHED_COLLECTION_NAME).first()
    if collection is None:
        collection = root.add_child(name=UNPUBLISHED_COLLECTION_NAME)
    UnpublishedCollection.objects.get_or_create(collection=collection)
    return collection


def held_collections():
    """The not-public collections and every collection inside them."""
    from documents.models import UnpublishedCollection

    paths = list(UnpublishedCollection.objects.values_list("collection__path", flat=True))
    if not paths:
        return Collection.objects.none()
    wanted = Q()
    for path in paths:
        wanted |= Q(path__startswith=path)
    return Collection.objects.filter(wanted)


def is_held(document):
    """Whether the document's collection keeps it from the public until a page links it."""
    return held_collections().filter(pk=document.collection_id).exists()


def public_page_ids(page_ids):
    """The pages among these that are live and have no privacy setting on them or above."""
    return set(Page.objects.live().public().filter(pk__in=page_ids).values_list("pk", flat=True))


def _page_references():
    return ReferenceIndex.objects.filter(
        base_content_type=ContentType.objects.get_for_model(Page),
        to_content_type=ContentType.objects.get_for_model(get_document_model()),
    )


def is_linked_from_public_page(document):
    page_ids = {
        int(pk)
        for pk in _page_references()
        .filter(to_object_id=str(document.pk))
        .values_list("object_id", flat=True)
    }
    return bool(page_ids and public_page_ids(page_ids))


def publicly_linked_document_ids():
    """Ids of every document that a live, public page links."""
    links = list(_page_references().values_list("object_id", "to_object_id"))
    public = public_page_ids({int(page_id) for page_id, _doc in links})
    return {int(doc_id) for page_id, doc_id in links if int(page_id) in public}


def is_public(document):
    return not is_held(document) or is_linked_from_public_page(document)


def public_document_rule():
    """(ids of the held collections, ids of documents a live public page links): what
    public_documents needs, small enough to keep in a cache."""
    return (
        list(held_collections().values_list("pk", flat=True)),
        sorted(publicly_linked_document_ids()),
    )


def public_documents(documents, rule=None):
    """The documents of a queryset that are public (collection privacy is applied elsewhere).
    `rule` is public_document_rule()'s answer, if the caller keeps it in a cache."""
    held_ids, linked_ids = rule if rule is not None else public_document_rule()
    return documents.filter(~Q(collection_id__in=held_ids) | Q(pk__in=linked_ids))
