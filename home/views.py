"""Serving pages with fewer queries than Wagtail's general-purpose route."""

from django.http import Http404
from wagtail.models import Page, Site
from wagtail.views import serve as wagtail_serve


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
