"""Site search: the pages and documents this visitor may open, ten results a page.

Pages and documents are searched separately through Wagtail's search backend (SQLite FTS5
locally, PostgreSQL full-text search in production), then merged by relevance score. Editors'
promoted results ("Recommended") come first, and every search is counted (search.middleware)
so editors can see popular terms under Reports → Search terms in the admin.
"""

import re

from django.contrib.contenttypes.models import ContentType
from django.core.paginator import InvalidPage, Paginator
from django.db import connection
from django.db.models import Q
from django.template.response import TemplateResponse
from modelsearch.conf import get_app_config
from wagtail.contrib.search_promotions.models import SearchPromotion
from wagtail.documents import get_document_model
from wagtail.models import Collection, CollectionViewRestriction, Page, PageViewRestriction, Site
from wagtail.search.utils import normalise_query_string

from documents.privacy import public_document_rule, public_documents
from pagecache import tags
from search.snippets import highlight, make_snippet, query_terms

RESULTS_PER_PAGE = 10
MAX_QUERY_LENGTH = 200
# At most this many words reach the search backend; a very long query is still answered.
MAX_TERMS = 12
# Pages (and documents) whose title is exactly the query come first; at most this many.
MAX_TITLE_MATCHES = 3


def clean_query(raw):
    """Trim, turn control characters (null bytes included) into spaces and cap the length."""
    text = "".join(ch if ch.isprintable() else " " for ch in (raw or ""))
    return " ".join(text.split())[:MAX_QUERY_LENGTH]


def backend_query(query):
    """The words of the query, without punctuation that full-text search engines treat as syntax.

    Quotes, brackets, `*`, `:`, `-` and the like mean something to SQLite FTS5 and PostgreSQL's
    tsquery; visitors mean them as ordinary text, so only letters and digits are searched for.
    """
    return " ".join(re.findall(r"\w+", query)[:MAX_TERMS])


def failed_restrictions(restrictions, request):
    """The view restrictions (page or collection) this request does not get through."""
    return [r for r in restrictions if not r.accept_request(request)]


def page_restrictions():
    """Every page privacy setting, kept in the cache until one changes or a page moves."""
    return tags.remember(
        "search:page-restrictions",
        ["restrictions"],
        lambda: list(PageViewRestriction.objects.select_related("page").prefetch_related("groups")),
    )


def collection_restrictions():
    """Every collection privacy setting, kept in the cache until one changes."""
    return tags.remember(
        "search:collection-restrictions",
        ["restrictions"],
        lambda: list(
            CollectionViewRestriction.objects.select_related("collection").prefetch_related(
                "groups"
            )
        ),
    )


def visible_pages(request, site):
    """Live pages of this site, minus any under a privacy setting this visitor does not pass."""
    pages = Page.objects.live().descendant_of(site.root_page, inclusive=True)
    for restriction in failed_restrictions(page_restrictions(), request):
        pages = pages.exclude(path__startswith=restriction.page.path)
    return pages


def visible_documents(request):
    """Public documents (documents/privacy.py: not held back, or linked from a live, public
    page) outside any private collection this visitor does not pass."""
    Document = get_document_model()
    hidden = Q()
    for restriction in failed_restrictions(collection_restrictions(), request):
        hidden |= Q(path__startswith=restriction.collection.path)
    # Publishing, unpublishing, a privacy change and a document saved all bump "search".
    rule = tags.remember(
        "search:public-documents", ["search", "restrictions"], public_document_rule
    )
    documents = public_documents(Document.objects.all(), rule)
    if hidden:
        documents = documents.exclude(collection__in=Collection.objects.filter(hidden))
    return documents


class MergedResults:
    """Pinned hits, then page and document search results merged by relevance, sliced lazily.

    Pinned hits are editors' promotions and exact title matches (so searching for a focus
    group's name always puts its page first, whichever database ranks the words). Django's
    Paginator asks for `count()` and one slice; each costs a fixed number of queries (two
    counts; two searches for the first `stop` hits of each kind) whatever the total.
    """

    def __init__(self, pinned, page_results, document_results):
        self.pinned = pinned
        self.page_results = page_results
        self.document_results = document_results
        # SQLite's bm25() gives better matches lower (more negative) scores; PostgreSQL's
        # ts_rank gives them higher scores.
        self.lower_is_better = connection.vendor == "sqlite"
        self._count = None

    def count(self):
        if self._count is None:
            self._count = (
                len(self.pinned) + self.page_results.count() + self.document_results.count()
            )
        return self._count

    def __len__(self):
        return self.count()

    def __getitem__(self, item):
        if not isinstance(item, slice):
            raise TypeError("MergedResults only supports slicing")
        start, stop = item.start or 0, item.stop
        hits = list(self.pinned[:stop])
        wanted = stop - len(hits)
        if wanted > 0:
            found = [("page", obj) for obj in self.page_results[:wanted]]
            found += [("document", obj) for obj in self.document_results[:wanted]]
            found.sort(key=lambda hit: hit[1]._score or 0, reverse=not self.lower_is_better)
            hits += found
        return hits[start:stop]


def pinned_hits(query, pages, documents):
    """Hits that come first: editors' promotions, then pages and documents titled exactly so."""
    promotions = (
        SearchPromotion.objects.filter(query__query_string=normalise_query_string(query))
        .filter(Q(page__isnull=True) | Q(page__in=pages))
        .select_related("page")
        .order_by("sort_order")
    )
    hits = [("promotion", promotion) for promotion in promotions]
    promoted = {promotion.page_id for promotion in promotions}
    hits += [
        ("page", page)
        for page in pages.filter(title__iexact=query).order_by("path")[:MAX_TITLE_MATCHES]
        if page.pk not in promoted
    ]
    hits += [
        ("document", document)
        for document in documents.filter(title__iexact=query).order_by("-created_at")[
            :MAX_TITLE_MATCHES
        ]
    ]
    return hits


def model_of(obj):
    """The model whose index entry holds this object's text (the specific page type)."""
    return obj.specific_class if isinstance(obj, Page) else type(obj)


def index_texts(objects):
    """{(model, pk): body}: the text the search backend indexed for these objects, one query."""
    if not objects:
        return {}
    IndexEntry = get_app_config().get_model("IndexEntry")
    # PostgreSQL keeps a plain-text copy beside its tsvector; SQLite stores plain text.
    field_names = {field.name for field in IndexEntry._meta.get_fields()}
    body_field = "body_text" if "body_text" in field_names else "body"
    content_types = ContentType.objects.get_for_models(*{model_of(obj) for obj in objects})
    wanted = Q()
    for obj in objects:
        wanted |= Q(content_type=content_types[model_of(obj)], object_id=str(obj.pk))
    bodies = {
        (content_type_id, object_id): body or ""
        for content_type_id, object_id, body in IndexEntry.objects.filter(wanted).values_list(
            "content_type_id", "object_id", body_field
        )
    }
    return {
        (model_of(obj), obj.pk): bodies.get((content_types[model_of(obj)].pk, str(obj.pk)), "")
        for obj in objects
    }


def papers_by_document(documents, pages):
    """{document id: the focus group paper entry that offers it on a page this visitor sees}."""
    from focusgroups.models import FocusGroupPaper

    if not documents:
        return {}
    papers = (
        FocusGroupPaper.objects.filter(
            document_id__in=[d.pk for d in documents], page_id__in=pages.values("pk")
        )
        .select_related("page")
        .only("id", "title", "document_id", "page__title", "page__url_path", "page__path")
        .order_by("page__path", "sort_order")
    )
    found = {}
    for paper in papers:
        found.setdefault(paper.document_id, paper)
    return found


def build_results(hits, terms, pages, request):
    """Template-ready dicts: title and snippet (both escaped, with <mark>), link, kind."""
    found = [(kind, obj) for kind, obj in hits if kind != "promotion"]
    texts = index_texts([obj for _kind, obj in found])
    papers = papers_by_document([obj for kind, obj in found if kind == "document"], pages)
    results = []
    for kind, obj in hits:
        if kind == "promotion":
            page = obj.page
            results.append(
                {
                    "kind": kind,
                    "object": obj,
                    "title": obj.title or obj.external_link_url,
                    "url": page.get_url(request) if page else obj.external_link_url,
                    "snippet": obj.description or (page.search_description if page else ""),
                }
            )
            continue
        body = texts.get((model_of(obj), obj.pk), "")
        fallback = obj.search_description if kind == "page" else ""
        result = {
            "kind": kind,
            "object": obj,
            "title": highlight(obj.title, terms),
            "snippet": make_snippet(body, terms, fallback=fallback),
        }
        if kind == "page":
            result["url"] = obj.get_url(request)
        else:
            result["url"] = obj.url
            result["paper"] = papers.get(obj.pk)
        results.append(result)
    return results


def search(request):
    tags.add("search")  # results change whenever a page or document does
    query = clean_query(request.GET.get("query", ""))
    context = {"search_query": query, "results": None, "page_obj": None}
    if not query:
        return TemplateResponse(request, "search/search.html", context)

    site = Site.find_for_request(request) or Site.objects.filter(is_default_site=True).first()
    terms = query_terms(query)
    words = backend_query(query)
    pages = visible_pages(request, site) if site else Page.objects.none()
    documents = visible_documents(request)

    page_number = request.GET.get("page", "1")
    # Hits for the admin's search terms report are counted by search.middleware.

    pinned = pinned_hits(query, pages, documents)
    pinned_pages = [
        obj.page_id if kind == "promotion" else obj.pk
        for kind, obj in pinned
        if kind == "page" or (kind == "promotion" and obj.page_id)
    ]
    pinned_documents = [obj.pk for kind, obj in pinned if kind == "document"]
    if words:
        page_results = (
            pages.exclude(pk__in=pinned_pages).search(words, operator="and")
        ).annotate_score("_score")
        document_results = (
            documents.exclude(pk__in=pinned_documents)
            .search(words, operator="and")
            .annotate_score("_score")
        )
        merged = MergedResults(pinned, page_results, document_results)
    else:
        merged = pinned
    paginator = Paginator(merged, RESULTS_PER_PAGE)
    try:
        page_obj = paginator.page(page_number)
    except InvalidPage:
        # Not a number, or past the end: show the nearest real page rather than an error.
        past_end = bool(re.fullmatch(r"[0-9]{1,9}", page_number)) and (
            int(page_number) > paginator.num_pages
        )
        page_obj = paginator.page(paginator.num_pages if past_end else 1)

    context.update(
        {
            "page_obj": page_obj,
            "results": build_results(list(page_obj.object_list), terms, pages, request),
            "total": paginator.count,
            "page_range": list(paginator.get_elided_page_range(page_obj.number)),
            "ellipsis": Paginator.ELLIPSIS,
            "has_words": bool(words),
        }
    )
    return TemplateResponse(request, "search/search.html", context)
