"""Navigation, breadcrumbs and small formatting helpers used by every template."""

from django import template
from wagtail.models import Page, Site

register = template.Library()


@register.inclusion_tag("includes/main_menu.html", takes_context=True)
def main_menu(context):
    """Top-level pages marked 'Show in menus', under the current site's home page."""
    request = context.get("request")
    site = Site.find_for_request(request) if request else None
    items = []
    if site is not None:
        items = list(
            Page.objects.child_of(site.root_page)
            .live()
            .public()
            .in_menu()
            .only("id", "title", "url_path", "path", "depth")
        )
    current = context.get("page")
    return {
        "request": request,
        "menu_items": items,
        "site_root": site.root_page if site else None,
        "current_path": current.path if current is not None else "",
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
    return {"ancestors": ancestors, "page": page, "request": request}


@register.filter
def file_description(document):
    """'PDF, 212 KB': a document's type and size, for download links."""
    if document is None:
        return ""
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
