"""Navigation, breadcrumbs and small formatting helpers used by every template."""

from django import template
from wagtail.models import Page, Site

from pagecache import tags

register = template.Library()


@register.inclusion_tag("includes/main_menu.html", takes_context=True)
def main_menu(context):
    """Top-level pages marked 'Show in menus', under the current site's home page. Kept in the
    cache until a top-level page changes, so it costs no query on most requests."""
    request = context.get("request")
    site = Site.find_for_request(request) if request else None
    menu = {"home": None, "items": []}
    if site is not None:
        menu = tags.remember(f"menu:{site.pk}", ["menu"], lambda: build_menu(site))
    tags.add("settings")  # the header and footer show the site settings on every page
    current = context.get("page")
    return {
        "request": request,
        "home": menu["home"],
        "menu_items": menu["items"],
        "current_path": current.path if current is not None else "",
    }


def build_menu(site):
    root = Page.objects.only("id", "path", "url_path", "depth").get(pk=site.root_page_id)
    items = (
        Page.objects.child_of(root)
        .live()
        .public()
        .in_menu()
        .only("id", "title", "url_path", "path", "depth")
    )
    return {
        "home": {"url": root.get_url(), "path": root.path},
        "items": [{"title": p.title, "url": p.get_url(), "path": p.path} for p in items],
    }


@register.inclusion_tag("includes/breadcrumbs.html", takes_context=True)
def breadcrumbs(context):
    """The trail from the home page down to (not including) the current page."""
    page = context.get("page")
    request = context.get("request")
    if page is None or page.depth <= 2:
        return {"ancestors": [], "request": request}
    ancestors = list(
        page.get_ancestors().filter(depth__gte=2).only("id", "title", "url_path", "path", "depth")
    )
    tags.add(*(f"page:{ancestor.pk}" for ancestor in ancestors))
    return {"ancestors": ancestors, "page": page, "request": request}


@register.filter
def file_description(document):
    """'PDF, 212 KB': a document's type and size, for download links."""
    if document is None:
        return ""
    tags.add(f"document:{document.pk}")
    kind = (document.file_extension or "file").upper()
    size = document.get_file_size()
    if size is None:
        return kind
    return f"{kind}, {human_size(size)}"


def human_size(size):
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{size / (1024 * 1024):.1f} MB"
