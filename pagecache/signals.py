"""Which changes make which cached pages stale (the tags are described in tags.py)."""

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from wagtail.documents import get_document_model
from wagtail.models import Page, PageViewRestriction
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from pagecache.tags import invalidate


def invalidate_after_commit(*tags):
    """Bump now, so this process never serves the old content again, and once more when the
    change is committed, in case another request cached the old content in between."""
    invalidate(*tags, purge=False)
    transaction.on_commit(lambda: invalidate(*tags))


def page_tags(page):
    """A page changed: its own page, listings of its siblings, the menu if it is top level, and
    search results. Descendants carry their ancestors' page tags (breadcrumbs), so they follow."""
    tags = [f"page:{page.pk}", f"type:{page.specific_class._meta.label_lower}", "search"]
    parent_path = page.path[: -page.steplen] if page.depth > 1 else None
    if parent_path:
        parent_id = Page.objects.filter(path=parent_path).values_list("pk", flat=True).first()
        if parent_id:
            tags.append(f"children:{parent_id}")
    if page.depth <= 3:
        tags.append("menu")
    return tags


def on_page_changed(sender, instance, **kwargs):
    invalidate_after_commit(*page_tags(instance))


def on_page_deleted(sender, instance, **kwargs):
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


def on_settings_changed(sender, instance, **kwargs):
    invalidate_after_commit("settings")


def connect():
    from wagtail.models import Site

    from home.models import SiteSettings

    page_published.connect(on_page_changed, dispatch_uid="pagecache_published")
    page_unpublished.connect(on_page_changed, dispatch_uid="pagecache_unpublished")
    page_slug_changed.connect(on_page_changed, dispatch_uid="pagecache_slug_changed")
    post_delete.connect(on_page_deleted, sender=Page, dispatch_uid="pagecache_page_deleted")
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
        (SiteSettings, on_settings_changed),
    ]
    for sender, handler in handlers:
        for signal in (post_save, post_delete):
            signal.connect(
                handler,
                sender=sender,
                dispatch_uid=f"pagecache_{sender.__name__}_{signal is post_save}",
            )


connect()
