"""Which changes make which cached pages stale (the tags are described in tags.py)."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from wagtail.documents import get_document_model
from wagtail.models import Page, PageViewRestriction
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from pagecache.tags import invalidate


def invalidate_after_commit(*tags):
    """Bump now, so this process never serves the old content again, and once more when the
    change is committed, in case another request cached the old content in between."""
    invalidate(*tags)
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
    )


def on_restriction_changed(sender, instance, **kwargs):
    invalidate_after_commit(f"page:{instance.page_id}", "menu", "search")


def on_site_changed(sender, instance, **kwargs):
    invalidate_after_commit("menu", "settings", f"page:{instance.root_page_id}")


def on_document_changed(sender, instance, **kwargs):
    invalidate_after_commit(f"document:{instance.pk}", "search")


def connect():
    page_published.connect(on_page_changed, dispatch_uid="pagecache_published")
    page_unpublished.connect(on_page_changed, dispatch_uid="pagecache_unpublished")
    page_slug_changed.connect(on_page_changed, dispatch_uid="pagecache_slug_changed")
    post_delete.connect(on_page_deleted, sender=Page, dispatch_uid="pagecache_page_deleted")
    post_page_move.connect(on_page_moved, dispatch_uid="pagecache_page_moved")
    for signal in (post_save, post_delete):
        signal.connect(
            on_restriction_changed,
            sender=PageViewRestriction,
            dispatch_uid=f"pagecache_restriction_{signal is post_save}",
        )
        signal.connect(
            on_document_changed,
            sender=get_document_model(),
            dispatch_uid=f"pagecache_document_{signal is post_save}",
        )
    from wagtail.models import Site

    from home.models import SiteSettings

    for signal in (post_save, post_delete):
        signal.connect(
            on_site_changed, sender=Site, dispatch_uid=f"pagecache_site_{signal is post_save}"
        )

    for signal in (post_save, post_delete):
        signal.connect(
            lambda sender, instance, **kwargs: invalidate_after_commit("settings"),
            sender=SiteSettings,
            weak=False,
            dispatch_uid=f"pagecache_settings_{signal is post_save}",
        )


connect()
