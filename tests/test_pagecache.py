"""The full-page cache: what is served from it, what never is, and what clears exactly what."""

import datetime as dt
from unittest import mock

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.db import connection
from django.http import HttpResponse, StreamingHttpResponse
from django.middleware.csrf import get_token
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page, PageViewRestriction

from focusgroups.models import FocusGroupOpportunity, FocusGroupPaper
from home.models import SiteSettings, StandardPage
from pagecache import tags
from pagecache.middleware import PageCacheMiddleware, PageCacheServeMiddleware

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PAGE_CACHE_ENABLED = True


def fetch(client, url):
    response = client.get(url)
    return response, response.get("X-Cache")


def republish(page, **changes):
    page = page.specific_class.objects.get(pk=page.pk)
    for name, value in changes.items():
        setattr(page, name, value)
    page.save_revision().publish()
    return page


# --- The storability rules (pagecache/middleware.py), one at a time ------------------------------


class Session(dict):
    modified = False


def a_page(request):
    tags.add("page:5")
    return HttpResponse("<p>A page</p>")


def judge(rf, view=a_page, before=None, method="get", path="/page/", cookies=None):
    """Run the inner middleware on a request every rule allows, less what ``before`` changes."""
    request = getattr(rf, method)(path)
    request.COOKIES.update(cookies or {})
    request.user, request.session = AnonymousUser(), Session()
    if before:
        before(request)
    return request, PageCacheMiddleware(view)(request)


def responding(**headers):
    def view(request):
        response = a_page(request)
        for name, value in headers.items():
            response[name.replace("_", "-")] = value
        return response

    return view


def setting(name, value):
    return lambda request: setattr(request, name, value)


def view_that(action):
    def view(request):
        response = a_page(request)
        return action(request, response) or response

    return view


NOT_SHAREABLE = {
    "signed-in user": {"before": setting("user", mock.Mock(is_authenticated=True))},
    "page password typed": {
        "before": setting("session", Session(passed_page_view_restrictions=[1]))
    },
    "preview": {"before": setting("is_preview", True)},
    "marked personal by the view": {"view": view_that(lambda r, _: tags.never_cache_this())},
    "HEAD": {"method": "head"},
    "status 404": {"view": view_that(lambda r, _: HttpResponse(status=404))},
    "private page, sent to sign in": {
        "view": view_that(lambda r, _: HttpResponse(status=302, headers={"Location": "/"}))
    },
    "streaming": {"view": view_that(lambda r, _: StreamingHttpResponse(iter([b"x"])))},
    "sets a cookie": {"view": view_that(lambda r, response: response.set_cookie("seen", "1"))},
    "CSRF token": {"view": view_that(lambda request, _: get_token(request) and None)},
    "session modified": {
        "view": view_that(lambda request, _: setattr(request.session, "modified", True))
    },
    "Cache-Control private": {"view": responding(Cache_Control="private")},
    "Cache-Control no-store": {"view": responding(Cache_Control="max-age=60, no-store")},
    "Cache-Control no-cache": {"view": responding(Cache_Control="no-cache")},
    "Vary: Cookie and a cookie": {"view": responding(Vary="Cookie"), "cookies": {"consent": "1"}},
    "POST": {"method": "post"},
    "session cookie": {"cookies": {"sessionid": "someone"}},
    "messages cookie": {"cookies": {"messages": "saved"}},
    "unknown query string": {"path": "/page/?utm_source=x"},
    "admin": {"path": "/admin/pages/"},
}


def test_a_response_every_rule_allows_is_shared_with_its_tags(rf, settings):
    settings.PAGE_CACHE_SECONDS, settings.PAGE_CACHE_STALE_SECONDS = 120, 7
    _, response = judge(rf, view=responding(Vary="Cookie"))  # Vary: Cookie, but no cookies
    assert response["Cache-Control"] == "public, max-age=0, s-maxage=120, stale-while-revalidate=7"
    assert {"page:5", "everything"} <= set(response["xkey"].split())


@pytest.mark.parametrize("case", NOT_SHAREABLE.values(), ids=NOT_SHAREABLE.keys())
def test_a_response_any_rule_refuses_is_private_and_no_store(rf, case):
    request, response = judge(rf, **case)
    assert getattr(request, "_pagecache_plan", None) is None
    assert "xkey" not in response and "public" not in response["Cache-Control"]
    assert {"private", "no-store"} <= set(response["Cache-Control"].replace(",", " ").split())


def test_a_cookie_set_after_the_decision_keeps_the_page_private_and_unstored(rf):
    def outer_middleware(request):
        response = PageCacheMiddleware(a_page)(request)
        response.set_cookie("seen", "1")
        return response

    for _ in range(2):
        request = rf.get("/cookie-on-the-way-out/")
        request.user, request.session = AnonymousUser(), Session()
        response = PageCacheServeMiddleware(outer_middleware)(request)
        assert response["X-Cache"] == "miss"  # never stored, so never a hit
        assert response["Cache-Control"] == "private, no-store" and "xkey" not in response


def test_anonymous_visitor_gets_a_miss_then_a_hit_with_the_same_page(client, make_focus_group):
    page = make_focus_group()
    first, first_state = fetch(client, page.url)
    second, second_state = fetch(client, page.url)
    assert (first_state, second_state) == ("miss", "hit")
    assert second.content == first.content


def test_a_hit_costs_no_database_query(client, make_focus_group):
    page = make_focus_group()
    fetch(client, page.url)
    with CaptureQueriesContext(connection) as queries:
        _, state = fetch(client, page.url)
    assert state == "hit"
    assert len(queries) == 0


def test_publishing_a_page_clears_it_at_once(client, make_focus_group):
    page = make_focus_group(summary="Old summary.")
    fetch(client, page.url)
    republish(page, summary="New summary.")
    response, state = fetch(client, page.url)
    assert state == "miss"
    assert "New summary." in response.content.decode()


def test_publishing_a_group_clears_the_listings_that_show_it(client, make_focus_group, index_page):
    page = make_focus_group(summary="Old summary.")
    for url in ("/", index_page.url):
        fetch(client, url)
    republish(page, summary="Fresh summary.")
    for url in ("/", index_page.url):
        response, state = fetch(client, url)
        assert state == "miss", url
        assert "Fresh summary." in response.content.decode()


def test_a_new_group_appears_in_the_index_at_once(client, make_focus_group, index_page):
    make_focus_group()
    fetch(client, index_page.url)
    make_focus_group(slug="cardiac-imaging", title="Cardiac Imaging")
    response, state = fetch(client, index_page.url)
    assert state == "miss" and "Cardiac Imaging" in response.content.decode()


def test_publishing_one_page_leaves_unrelated_pages_cached(client, make_focus_group, home_page):
    about = StandardPage(title="About", slug="about", body=[])
    home_page.add_child(instance=about)
    about.save_revision().publish()
    other = make_focus_group(slug="other", title="Other group")
    page = make_focus_group()
    fetch(client, about.url)
    fetch(client, other.url)
    republish(page, summary="Changed.")
    assert fetch(client, about.url)[1] == "hit"
    assert fetch(client, other.url)[1] == "hit"


def test_renaming_an_ancestor_clears_the_breadcrumbs_below_it(client, make_focus_group, index_page):
    page = make_focus_group()
    fetch(client, page.url)
    republish(index_page, title="Our groups")
    response, state = fetch(client, page.url)
    assert state == "miss" and "Our groups" in response.content.decode()


def test_unpublishing_and_deleting_take_effect_at_once(client, make_focus_group):
    page = make_focus_group()
    fetch(client, page.url)
    Page.objects.get(pk=page.pk).unpublish()
    assert client.get(page.url).status_code == 404

    second = make_focus_group(slug="second")
    fetch(client, second.url)
    Page.objects.get(pk=second.pk).delete()
    assert client.get(second.url).status_code == 404


def test_moving_a_page_clears_its_old_listing_and_its_address(
    client, make_focus_group, home_page, index_page
):
    page = make_focus_group()
    fetch(client, index_page.url)
    fetch(client, page.url)
    elsewhere = StandardPage(title="Archive", slug="archive", body=[])
    home_page.add_child(instance=elsewhere)
    elsewhere.save_revision().publish()
    # Focus groups may only live under the index, so move a general page instead.
    note = StandardPage(title="A note", slug="note", body=[])
    index_page.add_child(instance=note)
    note.save_revision().publish()
    fetch(client, note.url)
    Page.objects.get(pk=note.pk).move(elsewhere, pos="last-child")
    old = client.get("/focus-groups/note/")  # Wagtail leaves a redirect, not the stale page
    assert old.status_code == 301 and old["Location"] == "/archive/note/"
    assert fetch(client, "/archive/note/")[0].status_code == 200


def test_changing_a_document_clears_the_pages_that_show_it(client, make_focus_group, make_document):
    document = make_document(content=b"%PDF-1.4 small")
    page = make_focus_group(n=0)
    page.papers = [FocusGroupPaper(title="Paper", version_label="v1", document=document)]
    page.save_revision().publish()
    first = fetch(client, page.url)[0].content.decode()
    assert "(PDF, 14 bytes)" in first
    document.file.save("paper-v2.pdf", ContentFile(b"%PDF-1.4 " + b"x" * 4096), save=False)
    document.file_size = None
    document.save()
    response, state = fetch(client, page.url)
    assert state == "miss" and "(PDF, 4 KB)" in response.content.decode()


def test_editing_site_settings_clears_every_page(client, make_focus_group, home_page):
    page = make_focus_group()
    fetch(client, page.url)
    fetch(client, "/")
    settings_ = SiteSettings.for_site(home_page.get_site())
    settings_.footer_text = "Registered charity 1234567"
    settings_.save()
    for url in (page.url, "/"):
        response, state = fetch(client, url)
        assert state == "miss" and "Registered charity 1234567" in response.content.decode()


def test_a_page_with_an_open_deadline_expires_when_the_deadline_passes(client, make_focus_group):
    page = make_focus_group(n=0)
    page.opportunities = [
        FocusGroupOpportunity(
            title="Fellowship",
            summary="x",
            deadline_date=dt.date(2030, 6, 1),
            deadline_time=dt.time(12, 0),
            deadline_time_zone="UTC",
        )
    ]
    page.save_revision().publish()
    deadline = dt.datetime(2030, 6, 1, 12, 0, tzinfo=dt.UTC)
    with time_machine.travel(deadline - dt.timedelta(minutes=5), tick=False):
        fetch(client, page.url)
        assert fetch(client, page.url)[1] == "hit"
    with time_machine.travel(deadline + dt.timedelta(minutes=1), tick=False):
        response, state = fetch(client, page.url)
    assert state == "miss"
    assert "status--closed" in response.content.decode()


def test_signed_in_users_are_never_served_or_stored(client, make_focus_group):
    page = make_focus_group()
    user = get_user_model().objects.create_user("member", password="a-long-password-1")
    client.force_login(user)
    response, state = fetch(client, page.url)
    assert state is None
    client.logout()
    assert fetch(client, page.url)[1] == "miss"  # the signed-in render was not stored


def test_private_pages_are_never_stored(client, make_focus_group, home_page):
    private = StandardPage(title="Members only", slug="members", body=[])
    home_page.add_child(instance=private)
    private.save_revision().publish()
    PageViewRestriction.objects.create(page=private, restriction_type="login")
    user = get_user_model().objects.create_user("member", password="a-long-password-1")
    client.force_login(user)
    assert client.get(private.url).status_code == 200
    client.logout()
    response = client.get(private.url)
    assert response.status_code == 302  # sent to sign in, not served a stored copy


def test_making_a_cached_page_private_takes_effect_at_once(client, home_page):
    page = StandardPage(title="Soon private", slug="soon-private", body=[])
    home_page.add_child(instance=page)
    page.save_revision().publish()
    fetch(client, page.url)
    PageViewRestriction.objects.create(page=page, restriction_type="login")
    assert client.get(page.url).status_code == 302


def test_visitors_who_unlocked_a_password_page_bypass_the_cache(client, make_focus_group):
    page = make_focus_group()
    session = client.session
    session["passed_page_view_restrictions"] = [1]
    session.save()
    assert fetch(client, page.url)[1] is None


def test_unknown_query_strings_bypass_the_cache(client, make_focus_group):
    page = make_focus_group()
    assert fetch(client, page.url + "?utm_source=x")[1] is None
    assert fetch(client, page.url + "?utm_source=y")[1] is None


def test_search_results_are_cached_and_cleared_by_any_publish(client, make_focus_group):
    page = make_focus_group()
    fetch(client, "/search/?query=stroke")
    assert fetch(client, "/search/?query=stroke")[1] == "hit"
    republish(page, title="Stroke Thrombectomy Group")
    assert fetch(client, "/search/?query=stroke")[1] == "miss"


def test_admin_and_previews_are_never_cached(admin_client, make_focus_group):
    page = make_focus_group()
    response = admin_client.get(f"/admin/pages/{page.pk}/edit/")
    assert response.status_code == 200 and "X-Cache" not in response


def test_an_unreachable_cache_gives_a_slower_page_not_a_broken_one(client, make_focus_group):
    page = make_focus_group()
    with mock.patch("pagecache.tags.cache") as broken:
        broken.return_value.get.side_effect = ConnectionError("cache down")
        broken.return_value.get_many.side_effect = ConnectionError("cache down")
        response = client.get(page.url)
        republish(page, summary="Published while the cache is down.")
    assert response.status_code == 200
    assert "Stroke Thrombectomy" in response.content.decode()


def test_switching_the_cache_off_serves_every_request_fresh(client, make_focus_group, settings):
    settings.PAGE_CACHE_ENABLED = False
    page = make_focus_group()
    assert fetch(client, page.url)[1] is None
    assert fetch(client, page.url)[1] is None


def test_focus_group_page_query_count_is_small_and_flat(client, make_focus_group, settings):
    settings.PAGE_CACHE_ENABLED = False
    pages = [make_focus_group(slug="one", n=1), make_focus_group(slug="fifty", n=50)]
    counts = []
    for page in pages:
        client.get(page.url)
        client.get(page.url)
        with CaptureQueriesContext(connection) as queries:
            client.get(page.url)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 10


def test_other_page_types_render_in_at_most_ten_queries(
    client, make_focus_group, home_page, index_page, settings
):
    settings.PAGE_CACHE_ENABLED = False
    about = StandardPage(title="About", slug="about", body=[])
    home_page.add_child(instance=about)
    about.save_revision().publish()

    def queries_for(url):
        client.get(url)
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    make_focus_group(slug="g0")
    one = {url: queries_for(url) for url in ("/", index_page.url, about.url, "/search/?query=g")}
    for i in range(1, 50):
        make_focus_group(slug=f"g{i}", n=0)
    fifty = {url: queries_for(url) for url in one}
    assert one == fifty
    assert max(fifty.values()) <= 10, fifty


def test_a_cached_page_carries_the_same_security_headers_as_a_fresh_one(client, make_focus_group):
    page = make_focus_group()
    fresh, _ = fetch(client, page.url)
    cached, state = fetch(client, page.url)
    assert state == "hit"
    for header in (
        "Content-Security-Policy",
        "Permissions-Policy",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Cross-Origin-Opener-Policy",
        "Cross-Origin-Resource-Policy",
    ):
        assert cached.get(header) and cached[header] == fresh[header], header


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/focus-groups/",
        "/focus-groups/stroke-thrombectomy/",
        "/focus-groups/stroke-thrombectomy/register/",
    ],
)
def test_demo_pages_render_within_ten_queries(client, demo_site, settings, url):
    """The demo as `make run` loads it: call to action, register counts, members-only page."""
    settings.PAGE_CACHE_ENABLED = False
    client.get(url)
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert len(queries) <= 10, [q["sql"][:80] for q in queries.captured_queries]


def test_a_hit_is_answered_before_sessions_and_authentication_run(client, make_focus_group):
    """Served from the top of the stack, as cheaply as a static file; nothing below runs."""
    page = make_focus_group()
    fetch(client, page.url)
    with mock.patch(
        "django.contrib.sessions.middleware.SessionMiddleware.process_request"
    ) as session_middleware:
        _, state = fetch(client, page.url)
    assert state == "hit"
    session_middleware.assert_not_called()


def test_visitors_with_a_session_cookie_are_never_served_a_shared_page(client, make_focus_group):
    page = make_focus_group()
    fetch(client, page.url)
    assert fetch(client, page.url)[1] == "hit"
    client.cookies["sessionid"] = "someone-who-may-be-signed-in"
    assert fetch(client, page.url)[1] != "hit"


def test_a_post_is_never_answered_with_a_cached_page(client, make_focus_group):
    page = make_focus_group()
    fetch(client, page.url)
    assert fetch(client, page.url)[1] == "hit"
    assert client.post(page.url).get("X-Cache") != "hit"


def test_a_shareable_page_tells_proxies_so_and_lists_its_tags(client, make_focus_group):
    page = make_focus_group()
    response = client.get(page.url)
    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    assert cache_control.startswith("public, max-age=0, s-maxage=")
    assert "stale-while-revalidate=" in cache_control
    assert {"everything", f"page:{page.pk}"} <= set(response["xkey"].split())


def test_a_page_with_a_form_is_private_and_no_store(client):
    response = client.get("/accounts/login/")
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert "xkey" not in response


def test_clearing_tags_purges_them_in_varnish_after_commit(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    from pagecache import purge as purging

    settings.VARNISH_PURGE_URLS = ["http://127.0.0.1:9/"]
    sent = []
    monkeypatch.setattr(
        purging.requests, "request", lambda method, url, **kw: sent.append((method, kw))
    )
    with django_capture_on_commit_callbacks(execute=True):
        tags.invalidate("page:7", "menu")
        assert sent == []
    assert [(method, kw["headers"]) for method, kw in sent] == [
        ("PURGE", {"xkey-purge": "menu page:7"})
    ]
