"""Emails about register entries, queued in the outbox (outbox/mail.py).

Each email is rendered here and written to the database in the same transaction as the entry
that causes it, so it exists exactly when the entry does; the worker sends it, trying again
while the mail server is down. An email that finally fails is noted on its entry for register
managers to see (`note_failure` in registry/signals.py). Nothing here talks to a mail
server, so a slow or broken one never delays or breaks a registrant's answer.
"""

import logging

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from outbox.mail import one_line, send_later
from ratelimit.limits import count_attempt, hashed
from registry import tokens

logger = logging.getLogger(__name__)

REFERENCE_PREFIX = "registry.registerentry:"


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


def experience_line(page, entry):
    """'Experience: …' for the default wording (as the emails always read), else the register's
    own question and the answer chosen."""
    from registry.choices import DEFAULT_EXPERIENCE_LABEL

    label = one_line(page.experience_label).rstrip(":")
    if label == DEFAULT_EXPERIENCE_LABEL:
        label = "Experience"
    return f"{label}{'' if label.endswith('?') else ':'} {entry.experience}"


def entry_context(entry, link=None):
    page = entry.page
    return {
        "entry": entry,
        "register_title": one_line(page.title),
        "manage_url": link,
        "link_days": settings.REGISTRY_LINK_MAX_AGE_DAYS,
        "answers": entry.extra_answer_rows(),
        "intro": one_line(page.confirmation_intro) if page.confirmation_intro.strip() else "",
        "experience_line": experience_line(page, entry),
        "partner_name": one_line(page.partner_name) if page.ask_to_share else "",
        "society_name": "British Cardiovascular Interventional Society",
    }


def queue(entry, kind, subject, template, context, to):
    """Render one plain-text email about `entry` and queue it in the current transaction."""
    return send_later(
        f"registry.{kind}",
        to,
        subject,
        render_to_string(template, context),
        reference=f"{REFERENCE_PREFIX}{entry.pk}",
    )


def queue_new_entry_emails(entry, request):
    """The registrant's confirmation and the staff notification. Call inside the entry's
    transaction."""
    context = entry_context(entry, manage_url(entry, request))
    queue(
        entry,
        "confirmation",
        f"You are on the {context['register_title']}",
        "registry/emails/confirmation.txt",
        context,
        [entry.email],
    )
    staff = entry.page.get_staff_addresses()
    if staff:
        context["admin_url"] = admin_url(entry)
        queue(
            entry,
            "staff_notification",
            f"New entry: {context['register_title']}",
            "registry/emails/staff_notification.txt",
            context,
            staff,
        )


def queue_already_registered_email(entry, request):
    """The link to change an entry, to an address already on the register: at most
    REGISTRY_REPEAT_EMAILS_PER_ADDRESS an hour, so nobody can flood someone's inbox by posting
    the form with their address. Past that, nothing is sent (the page says the same)."""
    if count_attempt(
        f"registry:repeat-email:{hashed(entry.email)}",
        settings.REGISTRY_REPEAT_EMAILS_PER_ADDRESS,
        settings.REGISTRY_REPEAT_EMAILS_WINDOW,
    ):
        logger.info(
            "Register %s: 'already registered' email not sent: too many this hour", entry.page_id
        )
        return None
    context = entry_context(entry, manage_url(entry, request))
    return queue(
        entry,
        "already_registered",
        f"Your entry on the {context['register_title']}",
        "registry/emails/already_registered.txt",
        context,
        [entry.email],
    )


def queue_reconfirmation_email(entry, link, delete_after):
    context = entry_context(entry, link)
    context["delete_after"] = delete_after
    return queue(
        entry,
        "reconfirm",
        f"Please confirm your entry on the {context['register_title']}",
        "registry/emails/reconfirm.txt",
        context,
        [entry.email],
    )
