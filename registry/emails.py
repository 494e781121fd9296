"""Emails about register entries. Each is sent only after the entry's transaction commits,
and a failure is logged and noted on the entry (shown to register managers): the entry itself
is never lost because a mail server is down."""

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from registry import tokens

logger = logging.getLogger(__name__)


def manage_url(entry, request=None):
    """The absolute, signed link to update or withdraw `entry`."""
    page = entry.page
    path = f"{page.get_url(request)}manage/{tokens.make_token(entry)}/"
    if request is not None:
        return request.build_absolute_uri(path)
    return f"{page.get_site().root_url}{path}" if path.startswith("/") else path


def admin_url(entry):
    path = reverse("registry_registerentry_modeladmin_inspect", args=[entry.pk])
    return f"{settings.WAGTAILADMIN_BASE_URL.rstrip('/')}{path}"


def one_line(text):
    return " ".join(str(text).split())


def send(entry_pk, subject, template, context, to):
    """Send one plain-text email; on failure log it and note it on the entry."""
    from registry.models import RegisterEntry

    if not to:
        return False
    try:
        body = render_to_string(template, context)
        EmailMessage(one_line(subject), body, settings.DEFAULT_FROM_EMAIL, to).send()
    except Exception:
        logger.exception("Could not send '%s' email for register entry %s", template, entry_pk)
        note = f"{timezone.now():%d %b %Y %H:%M}: could not send {template.rsplit('/', 1)[-1]}"
        RegisterEntry.objects.filter(pk=entry_pk).update(email_problem=note[:300])
        return False
    return True


def entry_context(entry, link=None):
    page = entry.page
    return {
        "entry": entry,
        "register_title": one_line(page.title),
        "manage_url": link,
        "link_days": settings.REGISTRY_LINK_MAX_AGE_DAYS,
        "answers": entry.extra_answer_rows(),
        "society_name": "British Cardiovascular Interventional Society",
    }


def send_new_entry_emails(entry_pk, link):
    from registry.models import RegisterEntry

    entry = RegisterEntry.objects.select_related("page").filter(pk=entry_pk).first()
    if entry is None:  # withdrawn in the meantime
        return
    context = entry_context(entry, link)
    send(
        entry.pk,
        f"You are on the {context['register_title']}",
        "registry/emails/confirmation.txt",
        context,
        [entry.email],
    )
    staff = entry.page.get_staff_addresses()
    if staff:
        context["admin_url"] = admin_url(entry)
        send(
            entry.pk,
            f"New entry: {context['register_title']}",
            "registry/emails/staff_notification.txt",
            context,
            staff,
        )


def send_already_registered_email(entry_pk, link):
    from registry.models import RegisterEntry

    entry = RegisterEntry.objects.select_related("page").filter(pk=entry_pk).first()
    if entry is None:
        return
    context = entry_context(entry, link)
    send(
        entry.pk,
        f"Your entry on the {context['register_title']}",
        "registry/emails/already_registered.txt",
        context,
        [entry.email],
    )


def send_reconfirmation_email(entry, link, delete_after):
    context = entry_context(entry, link)
    context["delete_after"] = delete_after
    return send(
        entry.pk,
        f"Please confirm your entry on the {context['register_title']}",
        "registry/emails/reconfirm.txt",
        context,
        [entry.email],
    )


def queue_new_entry_emails(entry, request):
    link = manage_url(entry, request)
    transaction.on_commit(lambda: send_new_entry_emails(entry.pk, link))


def queue_already_registered_email(entry, request):
    link = manage_url(entry, request)
    transaction.on_commit(lambda: send_already_registered_email(entry.pk, link))
