"""Serving pages with fewer queries than Wagtail's general-purpose route, and the members' area."""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from wagtail.documents import get_document_model
from wagtail.models import CollectionViewRestriction, Page, PageViewRestriction, Site
from wagtail.models.view_restrictions import BaseViewRestriction
from wagtail.views import serve as wagtail_serve

from pagecache import tags


def find_route(request, path):
    """Resolve a published page's own address in two queries (the page and its specific row),
    instead of one or two per level of the tree. Anything else (sub-routes of a routable page,
    drafts, unknown paths) is left to Wagtail's route, which then answers as usual."""
    if hasattr(request, "_wagtail_route_for_request"):
        return
    site = Site.find_for_request(request)
    if site is None:
        return
    root_path = next(
        (root.root_path for root in Site.get_site_root_paths() if root.site_id == site.pk), None
    )
    if root_path is None:
        return
    page = Page.objects.live().filter(url_path=root_path + path).first()
    if page is None:
        return
    try:
        request._wagtail_route_for_request = page.specific.route(request, [])
    except Http404:
        request._wagtail_route_for_request = None


def serve_page(request, path):
    find_route(request, path)
    return wagtail_serve(request, path)


# --- the members' area ----------------------------------------------------------------------

MEMBER_RESTRICTIONS = (BaseViewRestriction.LOGIN, BaseViewRestriction.GROUPS)


def passes(restriction, user, group_ids):
    """Whether a signed-in user passes a view restriction (restriction.groups prefetched).
    Password restrictions are not membership: they never count here."""
    if restriction.restriction_type == BaseViewRestriction.LOGIN:
        return True
    if restriction.restriction_type == BaseViewRestriction.GROUPS:
        return user.is_superuser or any(g.pk in group_ids for g in restriction.groups.all())
    return False


def split_by_access(restrictions, path_of, user, group_ids):
    """(paths the user opens as a member, paths the user may not open) of restricted trees."""
    passed, refused = [], []
    for restriction in restrictions:
        if passes(restriction, user, group_ids):
            if restriction.restriction_type in MEMBER_RESTRICTIONS:
                passed.append(path_of(restriction))
        else:
            refused.append(path_of(restriction))
    return passed, refused


def under_any(paths, field="path"):
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{field}__startswith": path})
    return q


def members_only_pages(request, user, group_ids):
    """Live pages of this site behind a sign-in or group restriction that the user passes (and
    no other restriction above them that they do not), in site order."""
    site = Site.find_for_request(request)
    if site is None:
        return []
    restrictions = PageViewRestriction.objects.select_related("page").prefetch_related("groups")
    passed, refused = split_by_access(restrictions, lambda r: r.page.path, user, group_ids)
    if not passed:
        return []
    root_path = Page.objects.filter(pk=site.root_page_id).values_list("path", flat=True).first()
    return list(
        Page.objects.live()
        .filter(under_any(passed), path__startswith=root_path or "-")
        .exclude(under_any(refused))
        .order_by("path")
        .only("id", "title", "url_path", "path", "depth", "search_description")
    )


def members_only_documents(user, group_ids):
    """Documents in collections behind a sign-in or group restriction the user passes."""
    restrictions = CollectionViewRestriction.objects.select_related("collection").prefetch_related(
        "groups"
    )
    passed, refused = split_by_access(restrictions, lambda r: r.collection.path, user, group_ids)
    if not passed:
        return []
    return list(
        get_document_model()
        .objects.filter(under_any(passed, "collection__path"))
        .exclude(under_any(refused, "collection__path"))
        .order_by("title", "pk")
    )


@never_cache
@login_required
def members_area(request):
    """The pages and papers only members may open, as far as this member may open them. Per
    user, so never stored in the page cache nor by browsers or proxies (never_cache sends
    Cache-Control: private, no-store)."""
    tags.never_cache_this()
    user = request.user
    group_ids = set(user.groups.values_list("pk", flat=True))
    return render(
        request,
        "home/members_area.html",
        {
            "members_pages": members_only_pages(request, user, group_ids),
            "members_documents": members_only_documents(user, group_ids),
        },
    )
