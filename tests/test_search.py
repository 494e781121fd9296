"""Site search: what a visitor finds, in what order, what they never see, and at what cost."""

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.contrib.search_promotions.models import Query, SearchPromotion
from wagtail.documents import get_document_model
from wagtail.models import Collection, CollectionViewRestriction, PageViewRestriction

from home.management.commands.load_demo_content import PAPER_DOCUMENT_TITLE
from home.models import StandardPage
from home.placeholder_pdf import make_placeholder_pdf
from search.snippets import highlight, make_snippet, query_terms

pytestmark = pytest.mark.django_db

PDF_PHRASE = "Rota resilience across regional stroke networks"


def search(client, query, **params):
    response = client.get("/search/", {"query": query, **params})
    assert response.status_code == 200
    return response.content.decode()


def results(html):
    """[(title, meta, snippet html)] for each result, in order."""
    found = []
    for item in re.findall(
        r'<li class="result[^"]*">(.*?)</li>\s*(?=<li class="result|</ul>)', html, re.S
    ):
        title = re.search(r'<h3 class="result__title"><a href="[^"]*">(.*?)</a></h3>', item, re.S)
        meta = re.search(r'<p class="result__meta">(.*?)</p>', item, re.S)
        snippet = re.search(r'<p class="result__snippet">(.*?)</p>', item, re.S)
        found.append(
            (
                unescape(re.sub(r"<[^>]+>", "", title.group(1))),
                unescape(re.sub(r"<[^>]+>", "", meta.group(1))).strip() if meta else "",
                snippet.group(1) if snippet else "",
            )
        )
    return found


def titles(html):
    return [title for title, _meta, _snippet in results(html)]


def add_page(parent, title, body_text, slug=None):
    page = StandardPage(
        title=title,
        slug=slug or re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-"),
        introduction=f"<p>{body_text}</p>",
    )
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


# --- The form, the results and the messages -------------------------------------------------


def test_an_empty_query_shows_the_form_and_no_results(client, home_page):
    html = search(client, "")
    assert 'id="search-page-query"' in html
    assert "result" not in re.sub(r"search-[a-z-]+|results pages", "", html.split("<main")[1])
    assert "No results" not in html


def test_a_query_of_spaces_counts_as_empty(client, home_page):
    html = search(client, "    ")
    assert "No results" not in html and 'class="results"' not in html


def test_no_results_gives_helpful_advice(client, home_page):
    html = search(client, "zzyzxnonexistent")
    assert "No results for “zzyzxnonexistent”" in html
    assert "check the spelling" in html
    assert 'href="/focus-groups/"' in html


def test_punctuation_only_explains_that_words_are_needed(client, home_page):
    html = search(client, '" * : ( ) -')
    assert "No results" in html
    assert "use letters or numbers" in html


def test_a_page_result_shows_title_kind_and_a_highlighted_snippet(client, make_focus_group):
    make_focus_group(introduction="<p>Regional networks need more thrombectomy operators.</p>")
    html = search(client, "operators")
    [(title, meta, snippet)] = results(html)
    assert title == "Stroke Thrombectomy"
    assert meta == "Page"
    assert "more thrombectomy <mark>operators</mark>." in snippet
    assert "1 result for “operators”" in html


def test_a_paper_result_shows_type_size_its_page_and_the_text_around_the_phrase(client, demo_site):
    html = search(client, PDF_PHRASE)
    [(title, meta, snippet)] = results(html)
    document = get_document_model().objects.get(title=PAPER_DOCUMENT_TITLE)
    assert title == PAPER_DOCUMENT_TITLE
    assert meta == f"Paper — PDF, {round(document.file_size / 1024)} KB, from Stroke Thrombectomy"
    assert "<mark>Rota</mark> <mark>resilience</mark> <mark>across</mark>" in snippet
    assert f'href="{document.url}"' in html


def test_a_document_not_offered_as_a_paper_is_labelled_document(client, home_page, make_document):
    make_document(title="Annual report", content=make_placeholder_pdf(["Report"], ["Audit"]))
    [(_title, meta, _snippet)] = results(search(client, "audit"))
    assert meta.startswith("Document — PDF, ")


def test_everything_shown_is_escaped(client, index_page, make_focus_group):
    make_focus_group(
        title="<script>alert(1)</script> Group",
        summary="Summary with <b>bold</b> markup & ampersand",
    )
    html = search(client, "ampersand")
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt; markup &amp; <mark>ampersand</mark>" in html
    html = search(client, "<b>ampersand</b>")
    assert "“&lt;b&gt;ampersand&lt;/b&gt;”" in html
    assert "<b>ampersand" not in html


# --- Ranking --------------------------------------------------------------------------------


def test_searching_for_the_focus_groups_name_puts_its_page_first(client, demo_site):
    found = titles(search(client, "Stroke Thrombectomy"))
    assert found[0] == "Stroke Thrombectomy"
    assert PAPER_DOCUMENT_TITLE in found


def test_the_focus_group_name_wins_in_any_letter_case(client, demo_site):
    assert titles(search(client, "stroke thrombectomy"))[0] == "Stroke Thrombectomy"


def test_a_phrase_only_inside_the_demo_pdf_finds_the_paper(client, demo_site):
    assert titles(search(client, PDF_PHRASE)) == [PAPER_DOCUMENT_TITLE]


def test_a_paper_is_found_through_its_description_on_the_group_page(client, make_focus_group):
    page = make_focus_group()
    paper = page.papers.first()
    paper.description = "Sets out the tele-proctoring model."
    paper.save()
    page.save_revision().publish()
    assert titles(search(client, "proctoring")) == ["Stroke Thrombectomy"]


def test_words_in_any_form_and_order_are_found(client, make_focus_group):
    make_focus_group(aim="<p>Training cardiologists in thrombectomy.</p>")
    assert titles(search(client, "thrombectomy training")) == ["Stroke Thrombectomy"]


# --- Pagination -----------------------------------------------------------------------------


@pytest.fixture
def many_pages(home_page):
    for number in range(23):
        add_page(home_page, f"Quokka note {number:02d}", "Quokka sightings in the catheter lab.")
    return 23


def test_results_come_ten_to_a_page_with_links_and_a_total(client, many_pages):
    html = search(client, "quokka")
    assert "23 results for “quokka”" in html
    assert "Showing 1 to 10 of 23." in html
    assert len(results(html)) == 10
    assert 'aria-current="page"><span class="visually-hidden">Page </span>1</span>' in html
    assert 'href="?query=quokka&amp;page=2"' in html
    assert 'href="?query=quokka&amp;page=3"' in html
    assert 'rel="next"' in html and 'rel="prev"' not in html


def test_the_pages_together_show_every_result_once(client, many_pages):
    seen = []
    for number in (1, 2, 3):
        seen += titles(search(client, "quokka", page=number))
    assert sorted(seen) == [f"Quokka note {n:02d}" for n in range(23)]


def test_a_page_number_past_the_end_shows_the_last_page(client, many_pages):
    html = search(client, "quokka", page=99)
    assert "Showing 21 to 23 of 23." in html


@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.5", "", "²", "9" * 5000, "1\x00"])
def test_a_page_number_that_is_not_a_page_shows_the_first(client, many_pages, page):
    assert "Showing 1 to 10 of 23." in search(client, "quokka", page=page)


# --- Bad input ------------------------------------------------------------------------------

BAD_QUERIES = [
    "x" * 5000,
    "stroke " * 800,
    '" * : ( ) - NEAR OR',
    '"unbalanced',
    "stroke*",
    "title:stroke",
    "(stroke OR thrombectomy) AND NOT",
    "NEAR(stroke thrombectomy, 2)",
    "-stroke",
    "stroke\x00thrombectomy",
    "\x00",
    "'; DROP TABLE wagtailcore_page; --",
    "%_\\",
    "ストローク",
    "😀 stroke",
]


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_bad_input_never_breaks_the_page(client, demo_site, query):
    html = search(client, query)
    assert "<h1>Search</h1>" in html
    assert "\x00" not in html


def test_a_very_long_query_is_shortened_not_refused(client, demo_site):
    html = search(client, "stroke " * 800)
    assert 'maxlength="200"' in html
    assert "Stroke Thrombectomy" in titles(html)


def test_a_null_byte_is_treated_as_a_space(client, demo_site):
    assert "Stroke Thrombectomy" in titles(search(client, "stroke\x00thrombectomy"))


# --- Privacy --------------------------------------------------------------------------------


def test_drafts_unpublished_and_private_pages_never_appear(client, home_page):
    add_page(home_page, "Public wombat page", "Wombat facts for everyone.")
    unpublished = add_page(home_page, "Withdrawn wombat page", "Wombat facts withdrawn.")
    unpublished.unpublish()
    private = add_page(home_page, "Members wombat page", "Wombat facts for members.")
    PageViewRestriction.objects.create(page=private, restriction_type="login")
    secret = add_page(home_page, "Password wombat page", "Wombat facts behind a password.")
    PageViewRestriction.objects.create(page=secret, restriction_type="password", password="pw")
    child = add_page(private, "Child wombat page", "Wombat facts under a private page.")
    assert child.live

    draft_host = add_page(home_page, "Published kangaroo page", "Kangaroo facts.")
    draft_host.introduction = "<p>Unpublished wombat draft.</p>"
    draft_host.save_revision()  # saved as a draft, not published

    assert titles(search(client, "wombat")) == ["Public wombat page"]


def test_signed_in_members_find_pages_restricted_to_signed_in_users(
    client, home_page, django_user_model
):
    private = add_page(home_page, "Members numbat page", "Numbat facts for members.")
    PageViewRestriction.objects.create(page=private, restriction_type="login")
    client.force_login(django_user_model.objects.create_user("member", password="pw-member-1"))
    assert titles(search(client, "numbat")) == ["Members numbat page"]


def test_group_restricted_pages_only_appear_for_that_group(client, home_page, django_user_model):
    from django.contrib.auth.models import Group

    council = Group.objects.create(name="Council")
    private = add_page(home_page, "Council bilby page", "Bilby minutes.")
    restriction = PageViewRestriction.objects.create(page=private, restriction_type="groups")
    restriction.groups.add(council)
    user = django_user_model.objects.create_user("member", password="pw-member-1")
    client.force_login(user)
    assert titles(search(client, "bilby")) == []
    user.groups.add(council)
    assert titles(search(client, "bilby")) == ["Council bilby page"]


def test_documents_in_private_collections_never_appear_for_visitors(
    client, home_page, make_document, django_user_model
):
    private = Collection.get_first_root_node().add_child(name="Council only")
    inner = private.add_child(name="Council drafts")
    CollectionViewRestriction.objects.create(collection=private, restriction_type="login")
    make_document(title="Public echidna paper", content=make_placeholder_pdf(["E"], ["Echidna"]))
    for title, collection in (("Private echidna paper", private), ("Inner echidna", inner)):
        document = make_document(title=title, content=make_placeholder_pdf(["E"], ["Echidna"]))
        document.collection = collection
        document.save()

    assert titles(search(client, "echidna")) == ["Public echidna paper"]
    client.force_login(django_user_model.objects.create_user("member", password="pw-member-1"))
    assert sorted(titles(search(client, "echidna"))) == [
        "Inner echidna",
        "Private echidna paper",
        "Public echidna paper",
    ]


def test_a_paper_on_a_private_page_does_not_link_to_that_page(client, demo_site):
    from focusgroups.models import FocusGroupPage

    PageViewRestriction.objects.create(page=FocusGroupPage.objects.get(), restriction_type="login")
    [(title, meta, _snippet)] = results(search(client, PDF_PHRASE))
    assert title == PAPER_DOCUMENT_TITLE
    assert meta.startswith("Document — PDF")
    assert "Stroke Thrombectomy" not in meta


# --- Promotions and popular terms -----------------------------------------------------------


def test_a_promoted_page_comes_first_marked_recommended(client, home_page):
    add_page(home_page, "Dingo overview", "Dingo dingo dingo everything about dingoes.")
    promoted = add_page(home_page, "Register of interest", "Sign up here.")
    SearchPromotion.objects.create(
        query=Query.get("dingo"), page=promoted, description="Join the register.", sort_order=0
    )
    found = results(search(client, "Dingo"))
    assert [title for title, _m, _s in found] == ["Register of interest", "Dingo overview"]
    assert found[0][1] == "Recommended Page"
    assert "Join the register." in found[0][2]
    assert "2 results" in search(client, "dingo")


def test_a_promoted_page_is_not_listed_twice(client, home_page):
    page = add_page(home_page, "Dingo overview", "All about the dingo.")
    SearchPromotion.objects.create(query=Query.get("dingo"), page=page, sort_order=0)
    assert titles(search(client, "dingo")) == ["Dingo overview"]


def test_a_promoted_private_page_is_not_shown_to_visitors(client, home_page):
    page = add_page(home_page, "Secret dingo plans", "Nothing here.")
    PageViewRestriction.objects.create(page=page, restriction_type="login")
    SearchPromotion.objects.create(query=Query.get("dingo"), page=page, sort_order=0)
    assert titles(search(client, "dingo")) == []


def test_an_external_promotion_links_out(client, home_page):
    SearchPromotion.objects.create(
        query=Query.get("esmint"),
        external_link_url="https://www.esmint.eu/",
        external_link_text="ESMINT",
        sort_order=0,
    )
    html = search(client, "ESMINT")
    assert results(html)[0][:2] == ("ESMINT", "Recommended Another website")
    assert 'href="https://www.esmint.eu/"' in html


def test_each_search_is_counted_once_for_the_admins_popular_terms(client, many_pages):
    search(client, "Quokka")
    search(client, "quokka  ")
    search(client, "quokka", page=2)
    assert Query.get("quokka").hits == 2


def test_administrators_see_popular_search_terms_in_the_admin(client, demo_site, django_user_model):
    search(client, "thrombectomy training")
    editor = django_user_model.objects.create_superuser("editor", "e@example.com", "pw-editor-1")
    client.force_login(editor)
    response = client.get(reverse("wagtailsearchpromotions:search_terms"))
    assert response.status_code == 200
    assert "thrombectomy training" in response.content.decode()


# --- Cost -----------------------------------------------------------------------------------


def count_queries(client, query):
    client.get("/search/", {"query": query})  # warm caches (site root paths, content types)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/search/", {"query": query})
    assert response.status_code == 200
    return len(queries.captured_queries), len(results(response.content.decode()))


def test_the_number_of_queries_does_not_grow_with_the_results(
    client, home_page, index_page, make_focus_group, make_document
):
    def platypus_paper(number):
        return make_document(
            title=f"Platypus paper {number}", content=make_placeholder_pdf(["P"], ["Platypus"])
        )

    make_document(title="Emu paper", content=make_placeholder_pdf(["E"], ["Emu"]))
    add_page(home_page, "Wallaby page", "Wallaby text.")
    make_focus_group(slug="group-0", title="Platypus group 0", summary="Platypus work.")
    platypus_paper(0)
    add_page(home_page, "Platypus page 0", "Platypus text.")
    one_cost, one_count = count_queries(client, "emu")
    page_only_cost, page_only_count = count_queries(client, "wallaby")
    few_cost, few_count = count_queries(client, "platypus")
    for number in range(1, 8):
        make_focus_group(slug=f"group-{number}", title=f"Platypus group {number}", summary="P.")
        platypus_paper(number)
        add_page(home_page, f"Platypus page {number}", "Platypus text.")
    many_cost, many_count = count_queries(client, "platypus")
    assert (one_count, page_only_count, few_count, many_count) == (1, 1, 3, 10)
    assert one_cost == few_cost == many_cost
    # With no document among the results, the query for their focus group papers is skipped.
    assert page_only_cost == one_cost - 1


# --- Snippets -------------------------------------------------------------------------------


def test_the_snippet_centres_on_the_place_where_most_query_words_meet():
    body = "Stroke care. " + "Filler words here. " * 60 + PDF_PHRASE + ". " + "More filler. " * 60
    snippet = make_snippet(body, query_terms(PDF_PHRASE))
    assert "<mark>Rota</mark> <mark>resilience</mark> <mark>across</mark>" in snippet
    assert snippet.startswith("… ") and snippet.endswith(" …")
    assert len(re.sub(r"</?mark>", "", snippet)) < 300


def test_highlighting_escapes_the_text_before_marking_words():
    assert str(highlight("<mark>x</mark> & x-ray", ["x"])) == (
        "&lt;mark&gt;<mark>x</mark>&lt;/mark&gt; &amp; <mark>x</mark>-ray"
    )


def test_a_word_form_the_engine_matched_falls_back_to_the_description():
    snippet = make_snippet("Nothing relevant here.", ["trains"], fallback="About <training>.")
    assert snippet == "About &lt;training&gt;."


# --- With the page cache on (as in production) ----------------------------------------------


@pytest.fixture
def page_cache_on(settings):
    settings.PAGE_CACHE_ENABLED = True


def test_searches_answered_from_the_page_cache_are_still_counted(client, demo_site, page_cache_on):
    first = client.get("/search/", {"query": "thrombectomy"})
    second = client.get("/search/", {"query": "thrombectomy"})
    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit")
    assert Query.get("thrombectomy").hits == 2


def test_a_new_promotion_shows_at_once_despite_the_page_cache(client, home_page, page_cache_on):
    add_page(home_page, "Dingo overview", "All about the dingo.")
    promoted = add_page(home_page, "Register of interest", "Sign up here.")
    assert titles(search(client, "dingo")) == ["Dingo overview"]
    SearchPromotion.objects.create(query=Query.get("dingo"), page=promoted, sort_order=0)
    assert titles(search(client, "dingo")) == ["Register of interest", "Dingo overview"]


def test_making_a_collection_private_hides_its_documents_at_once_despite_the_page_cache(
    client, home_page, make_document, page_cache_on
):
    document = make_document(title="Echidna paper", content=make_placeholder_pdf(["E"], ["E"]))
    collection = Collection.get_first_root_node().add_child(name="Soon private")
    document.collection = collection
    document.save()
    assert titles(search(client, "echidna")) == ["Echidna paper"]
    CollectionViewRestriction.objects.create(collection=collection, restriction_type="login")
    assert titles(search(client, "echidna")) == []


def test_the_demo_members_only_draft_is_found_only_by_signed_in_members(
    client, demo_site, django_user_model
):
    query = "Draft of the published paper"
    assert titles(search(client, query)) == []
    client.force_login(django_user_model.objects.create_user("member", password="pw-member-1"))
    found = titles(search(client, query))
    assert "Draft of the published paper (members only)" in found


# --- Editors in the admin -------------------------------------------------------------------


@pytest.fixture
def communications_editor(django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("comms", password="pw-editor-1")
    user.groups.add(Group.objects.get(name="Communications editors"))
    return user


def test_communications_editors_can_promote_a_page_for_a_search_term(
    client, home_page, communications_editor
):
    page = add_page(home_page, "Register of interest", "Sign up here.")
    client.force_login(communications_editor)
    assert client.get(reverse("wagtailsearchpromotions:index")).status_code == 200
    response = client.post(
        reverse("wagtailsearchpromotions:add"),
        {
            "query_string": "fellowship",
            "editors_picks-TOTAL_FORMS": "1",
            "editors_picks-INITIAL_FORMS": "0",
            "editors_picks-MIN_NUM_FORMS": "0",
            "editors_picks-MAX_NUM_FORMS": "1000",
            "editors_picks-0-page": str(page.pk),
            "editors_picks-0-external_link_url": "",
            "editors_picks-0-external_link_text": "",
            "editors_picks-0-description": "Join the register.",
            "editors_picks-0-ORDER": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    client.logout()
    assert titles(search(client, "fellowship"))[0] == "Register of interest"


def test_communications_editors_see_the_search_terms_report(
    client, home_page, communications_editor
):
    for query in ("thrombectomy", "thrombectomy", "esmint"):
        search(client, query)
    client.force_login(communications_editor)
    admin_home = client.get("/admin/").content.decode()
    assert reverse("search_terms_report") in admin_home
    assert reverse("wagtailsearchpromotions:search_terms") not in admin_home
    html = client.get(reverse("search_terms_report")).content.decode()
    assert html.index("thrombectomy") < html.index("esmint")  # most searched first


def test_members_without_admin_rights_cannot_see_search_terms(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("member", password="pw-member-1"))
    response = client.get(reverse("search_terms_report"))
    assert response.status_code in (302, 403)
    assert "thrombectomy" not in response.content.decode()


# --- search counts: bounded ---


def test_search_counts_make_one_row_per_normalised_term_per_day(client, home_page):
    import datetime as dt

    import time_machine
    from wagtail.contrib.search_promotions.models import QueryDailyHits

    with time_machine.travel(dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC), tick=False):
        for query in ("Stroke", "stroke", "  STROKE  "):
            search(client, query)
    with time_machine.travel(dt.datetime(2026, 12, 2, 12, tzinfo=dt.UTC), tick=False):
        search(client, "Stroke")
    assert list(Query.objects.values_list("query_string", flat=True)) == ["stroke"]
    days = QueryDailyHits.objects.order_by("date").values_list("date", "hits")
    assert list(days) == [(dt.date(2026, 12, 1), 3), (dt.date(2026, 12, 2), 1)]


def test_searching_leaves_no_key_in_the_cache(client, home_page, settings):
    from django.core.cache import cache

    settings.PAGE_CACHE_ENABLED = False
    search(client, "warm up")  # menus, settings and site paths are cached once
    keys_before = set(cache._cache)  # locmem's own store: every key it holds
    for number in range(5):
        search(client, f"distinct term {number}")
    assert set(cache._cache) == keys_before


def test_old_search_counts_are_purged_and_promoted_terms_kept(client, home_page):
    import datetime as dt

    from django.utils import timezone
    from wagtail.contrib.search_promotions.models import QueryDailyHits

    from search.tasks import purge_old_search_counts

    today = timezone.now().date()
    old, recent, promoted = (Query.get(term) for term in ("old", "recent", "promoted"))
    QueryDailyHits.objects.create(query=old, date=today - dt.timedelta(days=31), hits=5)
    QueryDailyHits.objects.create(query=recent, date=today - dt.timedelta(days=31), hits=5)
    QueryDailyHits.objects.create(query=recent, date=today - dt.timedelta(days=29), hits=2)
    QueryDailyHits.objects.create(query=promoted, date=today - dt.timedelta(days=31), hits=1)
    SearchPromotion.objects.create(query=promoted, page=home_page, sort_order=0)

    purge_old_search_counts()

    assert set(Query.objects.values_list("query_string", flat=True)) == {"recent", "promoted"}
    assert list(QueryDailyHits.objects.values_list("query__query_string", "hits")) == [
        ("recent", 2)
    ]


def test_the_worker_purges_search_counts_regularly():
    from outbox.worker import PERIODIC

    jobs = {name: seconds for seconds, name, _ in PERIODIC}
    assert jobs["search.tasks.purge_old_search_counts"] <= 24 * 60 * 60


def test_search_page_on_the_demo_site_stays_within_ten_queries(client, demo_site, settings):
    """The demo has members-only pages and a private collection: their privacy settings are
    read from the cache, not the database, on every search."""
    settings.PAGE_CACHE_ENABLED = False
    settings.SEARCH_HITS_FLUSH_SECONDS = 3600
    url = "/search/?query=thrombectomy"
    client.get(url)
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert len(queries) <= 10, [q["sql"][:80] for q in queries.captured_queries]


def test_search_counts_are_written_in_batches_not_on_every_request(client, demo_site, settings):
    from wagtail.contrib.search_promotions.models import Query

    from search.middleware import flush_hits

    settings.SEARCH_HITS_FLUSH_SECONDS = 3600
    flush_hits()
    for _ in range(3):
        client.get("/search/?query=esmint")
    assert Query.objects.filter(query_string="esmint").count() == 0  # still in memory
    flush_hits()
    assert Query.get("esmint").hits == 3
