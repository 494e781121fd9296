"""Keep cached pages that show the register's public counts in step with its entries, and
note on an entry when one of its emails could not be sent."""

from django.db.models.signals import post_delete, post_save
from wagtail.signals import page_published, page_unpublished

from pagecache.signals import invalidate_after_commit


def on_entry_changed(sender, instance, **kwargs):
    invalidate_after_commit(f"register:{instance.page_id}", "registers")


def on_register_page_changed(sender, instance, **kwargs):
    invalidate_after_commit("registers")


def connect():
    from outbox.signals import email_failed
    from registry.emails import note_failure
    from registry.models import InterestRegisterPage, RegisterEntry

    email_failed.connect(note_failure, dispatch_uid="registry_note_email_failure")

    for signal in (page_published, page_unpublished, post_delete):
        signal.connect(
            on_register_page_changed,
            sender=InterestRegisterPage,
            dispatch_uid=f"registry_page_changed_{id(signal)}",
        )

    for signal in (post_save, post_delete):
        signal.connect(
            on_entry_changed,
            sender=RegisterEntry,
            dispatch_uid=f"registry_entry_changed_{signal is post_save}",
        )
