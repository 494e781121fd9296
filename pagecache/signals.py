"""Which changes make which cached pages stale (the tags are described in tags.py). Wagtail's
own models are handled here; each app invalidates the tags of its own models with
``invalidate_after_commit`` (home: "settings", registry: "register:<id>", search...)."""

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from wagtail.documents import get_document_model
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from pagecache.tags import invalidate


def invalidate_after_commit(*tags):
    """Bump now, so this process never serves the old content again, and once more when the
    change is committed, in case another request cached the old content in between."""
    invalidate(*tags, send_purge=False)
    transaction.on_commit(lambda: invalidate(*tags))


def page_tags(page):
    """A page changed: its own page, listings of its siblings, the menu if it is top level, and
    search results. Descendants carry their ancestors' page tags (breadcrumbs), so they follow."""
    tags = [f"page:{page.pk}", f"type:{page.specific_class._meta.label_lower}", "search"]
    if page.depth > 1:
        parent = Page.objects.filter(path=page.path[: -page.steplen]).values_list("pk").first()
        tags.append(f"children:{parent[0]}" if parent else None)
    return [*tags, "menu"] if page.depth <= 3 else tags


def on_page_changed(sender, instance, **kwargs):
    invalidate_after_commit(*page_tags(instance))


def on_page_moved(sender, instance, parent_page_before, parent_page_after, **kwargs):
    invalidate_after_commit(
        f"page:{instance.pk}",
        f"children:{parent_page_before.pk}",
        f"children:{parent_page_after.pk}",
        "menu",
        "search",
        "restrictions",  # restricted pages' paths change with a move
    )


def on_restriction_changed(sender, instance, **kwargs):
    invalidate_after_commit(f"page:{instance.page_id}", "menu", "search", "restrictions")


def on_site_changed(sender, instance, **kwargs):
    invalidate_after_commit("menu", "settings", f"page:{instance.root_page_id}")


def on_document_changed(sender, instance, **kwargs):
    invalidate_after_commit(f"document:{instance.pk}", "search")


def on_restriction_groups_changed(sender, **kwargs):
    invalidate_after_commit("restrictions", "search")


def connect():
    page_published.connect(on_page_changed, dispatch_uid="pagecache_published")
    page_unpublished.connect(on_page_changed, dispatch_uid="pagecache_unpublished")
    page_slug_changed.connect(on_page_changed, dispatch_uid="pagecache_slug_changed")
    post_delete.connect(on_page_changed, sender=Page, dispatch_uid="pagecache_page_deleted")
    post_page_move.connect(on_page_moved, dispatch_uid="pagecache_page_moved")
    m2m_changed.connect(
        on_restriction_groups_changed,
        sender=PageViewRestriction.groups.through,
        dispatch_uid="pagecache_restriction_groups",
    )
    handlers = [
        (PageViewRestriction, on_restriction_changed),
        (get_document_model(), on_document_changed),
        (Site, on_site_changed),
    ]
    for sender, handler in handlers:
        for signal in (post_save, post_delete):
            signal.connect(
                handler,
                sender=sender,
                dispatch_uid=f"pagecache_{sender.__name__}_{signal is post_save}",
            )


connect()
