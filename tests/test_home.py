"""The home page says what is new across the focus groups; members find their pages."""

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from wagtail.models import Collection, CollectionViewRestriction, PageViewRestriction

from focusgroups.models import (
    FocusGroupMilestone,
    FocusGroupOpportunity,
    FocusGroupPaper,
)
from home.models import HomePage, StandardPage

pytestmark = pytest.mark.django_db

# The ESMINT deadline from the brief: 27 June 2022, 23:59 CEST = 22:59 BST.
BEFORE_ESMINT = dt.datetime(2022, 6, 1, 12, 0, tzinfo=dt.UTC)
ESMINT_DEADLINE_UTC = dt.datetime(2022, 6, 27, 21, 59, tzinfo=dt.UTC)


def home_html(client):
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def section(html, heading_id):
    match = re.search(rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', html, re.S)
    assert match, f"no section labelled {heading_id}"
    return match.group(0)


def republish_with(page, **children):
    page = type(page).objects.get(pk=page.pk)
    for name, items in children.items():
        setattr(page, name, items)
    page.save_revision().publish()
    return page


@pytest.fixture
def two_groups(make_focus_group):
    stroke = make_focus_group(slug="stroke", title="Stroke", n=0)
    valves = make_focus_group(slug="valves", title="Valves", n=0)
    republish_with(
        stroke,
        milestones=[
            FocusGroupMilestone(date=dt.date(2020, 1, 1), title="Oldest step"),
            FocusGroupMilestone(date=dt.date(2023, 3, 1), title="Stroke news"),
        ],
        papers=[
            FocusGroupPaper(title="Old paper", version_label="Draft", date=dt.date(2019, 1, 1)),
            FocusGroupPaper(title="Stroke paper", version_label="Final", date=dt.date(2023, 5, 1)),
        ],
    )
    republish_with(
        valves,
        milestones=[
            FocusGroupMilestone(date=dt.date(2023, 1, 1), title="Valves news"),
            FocusGroupMilestone(date=dt.date(2022, 1, 1), title="Valves earlier"),
            FocusGroupMilestone(date=dt.date(2021, 1, 1), title="Valves start"),
        ],
        papers=[
            FocusGroupPaper(title="Valves paper", version_label="Published", date=None),
            FocusGroupPaper(title="Valves audit", version_label="Draft", date=dt.date(2022, 2, 1)),
            FocusGroupPaper(title="Valves survey", version_label="Final", date=dt.date(2021, 2, 1)),
        ],
        opportunities=[
            FocusGroupOpportunity(
                title="ESMINT Fellowships",
                summary="Training in Europe.",
                deadline_date=dt.date(2022, 6, 27),
                deadline_time=dt.time(23, 59),
                deadline_time_zone="Europe/Paris",
            ),
            FocusGroupOpportunity(
                title="Long past course", summary="Gone.", deadline_date=dt.date(2020, 1, 1)
            ),
            FocusGroupOpportunity(title="Open observership", summary="Any time."),
        ],
    )
    return stroke, valves


# What is new ------------------------------------------------------------------------------


def test_home_shows_the_newest_milestones_across_groups_each_linking_to_its_group(
    client, two_groups
):
    progress = section(home_html(client), "progress-heading")
    titles = re.findall(r'class="timeline__title">([^<]+)<', progress)
    assert titles == ["Stroke news", "Valves news", "Valves earlier", "Valves start"]
    assert "Oldest step" not in progress  # only the newest few
    assert 'href="/focus-groups/stroke/#progress">Stroke</a>' in progress
    assert 'href="/focus-groups/valves/#progress">Valves</a>' in progress


def test_home_shows_the_newest_papers_each_linking_to_its_group(client, two_groups):
    papers = section(home_html(client), "papers-heading")
    titles = re.findall(r'#papers">([^<]+)</a>', papers)
    assert titles == ["Stroke paper", "Valves audit", "Valves survey", "Old paper"]
    assert 'href="/focus-groups/stroke/#papers">Stroke paper</a>' in papers
    assert "May 2023" in papers


def test_home_shows_open_opportunities_with_the_deadline_in_both_time_zones(client, two_groups):
    with time_machine.travel(BEFORE_ESMINT, tick=False):
        opportunities = section(home_html(client), "opportunities-heading")
    assert "ESMINT Fellowships" in opportunities
    assert "27 June 2022, 23:59 CEST" in opportunities
    assert "(22:59 BST, UK time)" in opportunities
    assert "Open observership" in opportunities and "No fixed deadline." in opportunities
    assert "Long past course" not in opportunities
    # Soonest deadline first, and each says which group it is from.
    assert opportunities.index("ESMINT") < opportunities.index("Open observership")
    assert 'href="/focus-groups/valves/#opportunities">Valves</a>' in opportunities
    assert "/focus-groups/valves/opportunities/" in opportunities  # add to calendar


def test_an_opportunity_leaves_the_home_page_when_its_deadline_passes(client, two_groups):
    with time_machine.travel(ESMINT_DEADLINE_UTC + dt.timedelta(minutes=1), tick=False):
        opportunities = section(home_html(client), "opportunities-heading")
    assert "ESMINT Fellowships" not in opportunities
    assert "Open observership" in opportunities


def test_home_says_so_when_no_opportunity_is_open(client, make_focus_group):
    make_focus_group(n=0)
    assert "No training opportunities are open" in home_html(client)


def test_home_shows_nothing_of_a_private_or_draft_group(client, two_groups, home_page):
    stroke, valves = two_groups
    PageViewRestriction.objects.create(page=stroke, restriction_type="login")
    valves.unpublish()
    html = home_html(client)
    for text in ("Stroke news", "Stroke paper", "Valves news", "Open observership"):
        assert text not in html, text


def test_home_still_lists_the_groups_in_brief(client, two_groups):
    groups = section(home_html(client), "groups-heading")
    assert 'href="/focus-groups/stroke/">Stroke</a>' in groups
    assert "Helping deliver thrombectomy for stroke." in groups


def test_home_query_count_is_small_and_fixed_however_many_groups(
    client, make_focus_group, django_assert_max_num_queries
):
    for i in range(8):
        make_focus_group(slug=f"group-{i}", n=5)
    client.get("/")  # warm the per-site caches (menu, settings, site root paths)
    with django_assert_max_num_queries(10):
        html = home_html(client)
    assert html.count('class="timeline__item"') == HomePage.LATEST_COUNT


# The title -------------------------------------------------------------------------------


def test_home_title_does_not_repeat_the_site_name(client, home_page, make_focus_group):
    assert "<title>BCIS focus groups</title>" in home_html(client)
    group = make_focus_group(n=0)
    assert "<title>Stroke Thrombectomy | BCIS focus groups</title>" in (
        client.get(group.url).content.decode()
    )


def test_a_home_page_not_named_after_the_site_keeps_the_site_name_in_its_title(client, home_page):
    home_page.title = "Welcome"
    home_page.save_revision().publish()
    assert "<title>Welcome | BCIS focus groups</title>" in home_html(client)


# The page cache --------------------------------------------------------------------------


@pytest.fixture
def page_cache_on(settings):
    settings.PAGE_CACHE_ENABLED = True


def fetch(client, url):
    response = client.get(url)
    return response.content.decode(), response.get("X-Cache")


@pytest.mark.parametrize("kind", ["milestones", "papers", "opportunities"])
def test_publishing_a_group_with_new_items_clears_the_cached_home_page(
    page_cache_on, client, two_groups, kind
):
    stroke, _ = two_groups
    fetch(client, "/")
    assert fetch(client, "/")[1] == "hit"
    new = {
        "milestones": FocusGroupMilestone(date=dt.date(2030, 1, 1), title="Brand new step"),
        "papers": FocusGroupPaper(
            title="Brand new paper", version_label="v1", date=dt.date(2030, 1, 1)
        ),
        "opportunities": FocusGroupOpportunity(title="Brand new course", summary="New."),
    }[kind]
    page = type(stroke).objects.get(pk=stroke.pk)
    getattr(page, kind).add(new)
    page.save_revision().publish()
    html, state = fetch(client, "/")
    assert state == "miss"
    assert new.title in html


def test_a_newly_published_group_reaches_the_cached_home_page(
    page_cache_on, client, two_groups, make_focus_group
):
    fetch(client, "/")
    assert fetch(client, "/")[1] == "hit"
    make_focus_group(slug="new-group", title="Brand new group", n=1)
    html, state = fetch(client, "/")
    assert state == "miss"
    assert "Brand new group" in html


def test_the_cached_home_page_expires_when_an_open_deadline_passes(
    page_cache_on, client, two_groups
):
    from django.core.cache import cache

    # Two minutes before the deadline: well inside the cache's usual 10 minutes.
    with time_machine.travel(ESMINT_DEADLINE_UTC - dt.timedelta(minutes=2), tick=False):
        cache.clear()  # the fixture's publishing is stamped in today's time, not 2022's
        fetch(client, "/")
        html, state = fetch(client, "/")
        assert state == "hit" and "ESMINT Fellowships" in html
    with time_machine.travel(ESMINT_DEADLINE_UTC + dt.timedelta(minutes=1), tick=False):
        html, state = fetch(client, "/")
    assert state == "miss"
    assert "ESMINT Fellowships" not in html


# The members' area -------------------------------------------------------------------------


@pytest.fixture
def member(db):
    return get_user_model().objects.create_user("member", "member@example.org", "pw-123456789")


@pytest.fixture
def members_content(home_page, make_document):
    """A page for any signed-in member, one for the valves group only, a public one, and papers
    in a members-only collection, a valves-only collection and the public root collection."""
    valves_group = Group.objects.create(name="Valves members")

    def page(slug, title):
        new = StandardPage(title=title, slug=slug, body=[])
        home_page.add_child(instance=new)
        new.save_revision().publish()
        return new

    for_members = page("members-notes", "Notes for members")
    PageViewRestriction.objects.create(page=for_members, restriction_type="login")
    child = StandardPage(title="Minutes for members", slug="minutes", body=[])
    for_members.add_child(instance=child)
    child.save_revision().publish()
    for_valves = page("valves-notes", "Valves group notes")
    restriction = PageViewRestriction.objects.create(page=for_valves, restriction_type="groups")
    restriction.groups.add(valves_group)
    page("public", "Public page")
    shared = page("shared", "Shared password page")
    PageViewRestriction.objects.create(page=shared, restriction_type="password", password="x")

    root = Collection.get_first_root_node()
    members_collection = root.add_child(name="Members only")
    CollectionViewRestriction.objects.create(
        collection=members_collection, restriction_type="login"
    )
    valves_collection = root.add_child(name="Valves only")
    restriction = CollectionViewRestriction.objects.create(
        collection=valves_collection, restriction_type="groups"
    )
    restriction.groups.add(valves_group)
    for title, collection in (
        ("Members draft paper", members_collection),
        ("Valves draft paper", valves_collection),
        ("Public paper", root),
    ):
        document = make_document(title=title)
        document.collection = collection
        document.save()
    return valves_group


def test_anonymous_visitors_see_no_members_link_and_are_asked_to_sign_in(client, members_content):
    assert "Members' area" not in home_html(client)
    response = client.get("/members/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/members/"


def test_a_signed_in_member_sees_the_link_in_the_header(client, members_content, member):
    client.force_login(member)
    header = re.search(r'<header class="site-header">.*?</header>', home_html(client), re.S)
    assert 'href="/members/">Members\' area</a>' in header.group(0)


def test_members_area_lists_the_pages_and_papers_the_member_may_open(
    client, members_content, member
):
    client.force_login(member)
    response = client.get("/members/")
    assert response.status_code == 200
    html = response.content.decode()
    pages = section(html, "members-pages-heading")
    papers = section(html, "members-papers-heading")
    assert 'href="/members-notes/">Notes for members</a>' in pages
    assert 'href="/members-notes/minutes/">Minutes for members</a>' in pages
    for hidden in ("Valves group notes", "Public page", "Shared password page"):
        assert hidden not in pages, hidden
    assert "Members draft paper" in papers and "PDF" in papers
    assert "Valves draft paper" not in papers and "Public paper" not in papers


def test_a_group_member_also_sees_their_groups_pages_and_papers(client, members_content, member):
    member.groups.add(members_content)
    client.force_login(member)
    html = client.get("/members/").content.decode()
    assert "Valves group notes" in section(html, "members-pages-heading")
    assert "Valves draft paper" in section(html, "members-papers-heading")


def test_every_listed_link_opens_for_the_member(client, members_content, member):
    member.groups.add(members_content)
    client.force_login(member)
    html = client.get("/members/").content.decode()
    main = re.search(r"<main.*?</main>", html, re.S).group(0)
    links = re.findall(r'<li class="members-list__item">\s*<a href="([^"]+)"', main)
    assert len(links) == 5
    for link in links:
        assert client.get(link).status_code == 200, link


def test_members_area_is_never_cached(page_cache_on, client, members_content, member):
    client.force_login(member)
    response = client.get("/members/")
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache_control
    assert response.get("X-Cache") is None  # a signed-in user never goes through the cache
    client.logout()
    assert client.get("/members/").status_code == 302
