"""Cached search results go stale when an editor changes a promotion or a collection's privacy.

(Pages, page privacy and documents are already covered by pagecache.signals.)
"""

from django.db.models.signals import m2m_changed, post_delete, post_save
from wagtail.contrib.search_promotions.models import SearchPromotion
from wagtail.models import CollectionViewRestriction

from pagecache.signals import invalidate_after_commit


def on_search_change(sender, instance, **kwargs):
    invalidate_after_commit("search", "restrictions")


def on_collection_groups_change(sender, **kwargs):
    invalidate_after_commit("search", "restrictions")


def connect():
    for sender in (SearchPromotion, CollectionViewRestriction):
        for signal in (post_save, post_delete):
            signal.connect(
                on_search_change,
                sender=sender,
                dispatch_uid=f"search_stale_{sender.__name__}_{signal is post_save}",
            )
    m2m_changed.connect(
        on_collection_groups_change,
        sender=CollectionViewRestriction.groups.through,
        dispatch_uid="search_stale_collection_groups",
    )
