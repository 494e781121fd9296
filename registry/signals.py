"""Keep cached pages that show the register's public counts in step with its entries, note on
an entry when one of its emails could not be sent, and make a group's first register its call
to action."""

from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from wagtail.signals import page_published, page_unpublished

from pagecache.signals import invalidate_after_commit
from registry import emails
from registry.models import InterestRegisterPage, RegisterEntry


def on_entry_changed(sender, instance, **kwargs):
    invalidate_after_commit(f"register:{instance.page_id}", "registers")


def on_register_page_changed(sender, instance, **kwargs):
    invalidate_after_commit("registers")


def make_call_to_action(sender, instance, **kwargs):
    """On a register's first publish, make it its focus group's call to action if the group has
    none yet. An editor's choice (any page already chosen) is never replaced."""
    from focusgroups.models import FocusGroupPage

    if instance.first_published_at != instance.last_published_at:
        return  # published before: only the first publish chooses
    group_id = instance.get_parent().pk
    chosen = FocusGroupPage.objects.filter(pk=group_id, call_to_action_page__isnull=True).update(
        call_to_action_page=instance.pk
    )
    if not chosen:
        return
    # The group's latest revision too, so that publishing the group's draft later keeps it.
    group = FocusGroupPage.objects.get(pk=group_id)
    revision = group.latest_revision
    if revision is not None and not revision.content.get("call_to_action_page"):
        revision.content["call_to_action_page"] = instance.pk
        revision.save(update_fields=["content"])
    invalidate_after_commit(f"page:{group_id}")


def note_failure(sender, email, **kwargs):
    """outbox.signals.email_failed: note on the entry that one of its emails could not be sent."""
    if not email.reference.startswith(emails.REFERENCE_PREFIX):
        return
    kind = email.kind.removeprefix("registry.").replace("_", " ")
    note = f"{timezone.now():%d %b %Y %H:%M}: could not send the {kind} email ({email.last_error})"
    entry_id = email.reference.removeprefix(emails.REFERENCE_PREFIX)
    RegisterEntry.objects.filter(pk=entry_id).update(email_problem=note[:300])


def connect():
    from outbox.signals import email_failed

    email_failed.connect(note_failure, dispatch_uid="registry_note_email_failure")

    for signal in (page_published, page_unpublished, post_delete):
        signal.connect(
            on_register_page_changed,
            sender=InterestRegisterPage,
            dispatch_uid=f"registry_page_changed_{id(signal)}",
        )

    page_published.connect(
        make_call_to_action,
        sender=InterestRegisterPage,
        dispatch_uid="registry_make_call_to_action",
    )

    for signal in (post_save, post_delete):
        signal.connect(
            on_entry_changed,
            sender=RegisterEntry,
            dispatch_uid=f"registry_entry_changed_{signal is post_save}",
        )
