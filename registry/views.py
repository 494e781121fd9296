"""What the register page does with each request. The routes live on InterestRegisterPage;
these functions hold the logic so that the model stays readable."""

import logging

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import timezone

from pagecache import tags
from ratelimit.addresses import client_address
from ratelimit.limits import count_attempt, hashed
from registry import emails, tokens
from registry.forms import RegisterForm

logger = logging.getLogger(__name__)

ALLOWED = ["GET", "HEAD", "POST"]


def render(page, request, template, extra=None, status=200):
    context = page.get_context(request)
    context.update(extra or {})
    response = TemplateResponse(request, template, context, status=status)
    return response


def private(response):
    """Pages showing someone's entry: never cached, and the link never leaks to another site
    as a referrer. (Not "no-referrer": browsers then send "Origin: null" with the page's own
    forms, which CSRF protection rightly refuses.)"""
    tags.never_cache_this()
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "same-origin"
    return response


def too_many_attempts(request):
    """Count this post against its address: past REGISTRY_RATE_LIMIT posts within the
    REGISTRY_RATE_WINDOW seconds that began with the first, True (answered with a 429)."""
    return count_attempt(
        f"registry:posts:{hashed(client_address(request))}",
        settings.REGISTRY_RATE_LIMIT,
        settings.REGISTRY_RATE_WINDOW,
    )


def rate_limited(page, request):
    response = render(page, request, "registry/too_many_attempts.html", status=429)
    response["Retry-After"] = "60"
    return response


def not_saved(page, request, form):
    """The form again, answers kept, saying plainly that nothing was saved (503)."""
    tags.never_cache_this()
    form.add_error(
        None,
        "We could not save your answers just now, because of a problem on our side. Nothing "
        "was saved. Please send the form again in a minute; your answers are still here.",
    )
    response = render(page, request, page.template, {"form": form, "picture": None}, status=503)
    response["Retry-After"] = "60"
    return response


def closed(page, request, status=200):
    # A cached "closed" page must give way to the form the moment the register opens.
    if page.not_yet_open():
        tags.expire_at(page.opens_at)
    return render(page, request, "registry/closed.html", {"now": timezone.now()}, status=status)


def register(page, request):
    if request.method not in ALLOWED:
        return HttpResponseNotAllowed(["GET", "POST"])
    if request.method == "POST":
        if too_many_attempts(request):
            return rate_limited(page, request)
        if not page.is_open():
            return closed(page, request, status=403)
        form = page.get_form(request.POST, page=page, user=request.user)
        if form.is_bot:
            logger.info("Register %s: honeypot filled in; nothing saved.", page.pk)
            return HttpResponseRedirect(page.get_url(request) + "thank-you/")
        if form.is_valid():
            try:
                save_entry(page, form, request)
            except (DatabaseError, connection.Database.Error, EntryNotSaved):
                logger.exception("Register %s: an entry could not be saved", page.pk)
                # A connection that died is dropped, so the page below can open a new one.
                connection.close_if_unusable_or_obsolete()
                return not_saved(page, request, form)
            return HttpResponseRedirect(page.get_url(request) + "thank-you/")
    else:
        if not page.is_open():
            return closed(page, request)
        form = page.get_form(page=page, user=request.user)
    if page.closes_at:
        tags.expire_at(page.closes_at)
    return render(page, request, page.template, {"form": form, "picture": page.get_picture()})


class EntryNotSaved(Exception):
    """The entry's transaction did not leave a stored entry behind (rolled back)."""


def save_entry(page, form, request):
    """Create the entry with its emails, or on a repeated email change nothing and email the
    owner a link. Raises EntryNotSaved or a DatabaseError if nothing was kept.

    The entry and its emails are written in one transaction. Exiting a transaction that
    something inside marked for rollback rolls back without an error, so the entry is looked up
    again afterwards: the registrant is thanked only for an entry that is really there.
    """
    data = form.cleaned_data
    if page.entries.filter(email=data["email"]).exists():
        return already_registered(page, data["email"], request)
    now = timezone.now()
    try:
        with transaction.atomic():
            entry = page.entries.create(
                email=data["email"],
                consent_privacy_at=now,
                consent_contact_at=now if data.get("consent_contact") else None,
                consent_share_at=now if data.get("consent_share") else None,
                consent_wording_version=page.consent_version(),
                extra_answers=form.extra_answers(),
                created_at=now,
                updated_at=now,
                confirmed_at=now,
                **core_values(data),
            )
            entry.page = page
            emails.queue_new_entry_emails(entry, request)
    except IntegrityError:
        # The same address arrived twice at once: the other request's entry stands.
        return already_registered(page, data["email"], request)
    if not entry_is_stored(page, entry.pk):
        raise EntryNotSaved(f"register {page.pk}: the entry's transaction was rolled back")
    return entry


def already_registered(page, email, request):
    """The address is on the register already: its entry stands, unchanged, and its owner is
    emailed a link to change it. The visitor sees the same page as for a new entry."""
    with transaction.atomic():
        existing = page.entries.filter(email=email).first()
        if existing is None:  # withdrawn in the meantime
            raise EntryNotSaved(f"register {page.pk}: the entry this address had is gone")
        existing.page = page
        emails.queue_already_registered_email(existing, request)
    return None


def entry_is_stored(page, pk):
    """Whether the entry is in the database, asked on a fresh connection if the one that
    wrote it has just died (its commit may still have gone through)."""
    try:
        return page.entries.filter(pk=pk).exists()
    except (DatabaseError, connection.Database.Error):  # the driver's own error can escape
        connection.close()
        return page.entries.filter(pk=pk).exists()


# The entry's own columns: the form's core questions, less the email address, which an update
# may not change.
CORE_COLUMNS = [name for name in RegisterForm.CORE_FIELDS if name != "email"]


def core_values(data):
    return {name: data.get(name, "") for name in CORE_COLUMNS}


def thank_you(page, request):
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    return render(page, request, "registry/thank_you.html")


def entry_for_token(page, token):
    """(entry, None) or (None, problem) where problem names the template reason."""
    try:
        public_id = tokens.read_token(token)
    except tokens.LinkExpired:
        return None, "expired"
    except tokens.LinkInvalid:
        return None, "invalid"
    entry = page.entries.filter(public_id=public_id).first()
    if entry is None:
        return None, "gone"
    entry.page = page
    return entry, None


LINK_STATUS = {"expired": 410, "invalid": 400, "gone": 404}


def link_problem(page, request, problem):
    response = render(
        page, request, "registry/link_problem.html", {"problem": problem}, LINK_STATUS[problem]
    )
    return private(response)


def initial_for(entry):
    initial = {name: getattr(entry, name) for name in CORE_COLUMNS}
    initial.update(
        consent_privacy=True,
        consent_contact=bool(entry.consent_contact_at),
        consent_share=bool(entry.consent_share_at),
    )
    for key, value in (entry.extra_answers or {}).items():
        initial[f"extra_{key}"] = value
    return initial


def open_link(page, request, token):
    """The entry an emailed update or withdraw link names, or the response that refuses it: a
    wrong method, too many attempts, or a link that is broken, expired or already used."""
    if request.method not in ALLOWED:
        return None, HttpResponseNotAllowed(["GET", "POST"])
    if request.method == "POST" and too_many_attempts(request):
        return None, rate_limited(page, request)
    entry, problem = entry_for_token(page, token)
    if problem:
        return None, link_problem(page, request, problem)
    return entry, None


def manage(page, request, token):
    entry, refusal = open_link(page, request, token)
    if refusal:
        return refusal
    form_class = page.get_update_form_class()
    message = ""
    if request.method == "POST" and request.POST.get("action") == "keep":
        now = timezone.now()
        type(entry).objects.filter(pk=entry.pk).update(
            confirmed_at=now, reconfirmation_sent_at=None
        )
        entry.confirmed_at, entry.reconfirmation_sent_at = now, None
        form = form_class(initial=initial_for(entry), page=page)
        message = "Thank you: your entry is confirmed and will be kept."
    elif request.method == "POST":
        form = form_class(request.POST, page=page)
        if form.is_valid():
            update_entry(entry, form)
            form = form_class(initial=initial_for(entry), page=page)
            message = "Your changes are saved."
    else:
        form = form_class(initial=initial_for(entry), page=page)
    context = {"form": form, "entry": entry, "token": token, "message": message}
    return private(render(page, request, "registry/manage.html", context))


def update_entry(entry, form):
    data = form.cleaned_data
    now = timezone.now()
    for name, value in core_values(data).items():
        setattr(entry, name, value)
    entry.consent_privacy_at = now
    if data.get("consent_contact"):
        entry.consent_contact_at = entry.consent_contact_at or now
    else:
        entry.consent_contact_at = None
    if "consent_share" not in form.fields:
        pass  # the register no longer asks: what was agreed before stands as it was
    elif data.get("consent_share"):
        entry.consent_share_at = entry.consent_share_at or now
    else:
        entry.consent_share_at = None
    entry.consent_wording_version = entry.page.consent_version()
    entry.extra_answers = form.extra_answers()
    entry.updated_at = entry.confirmed_at = now
    entry.reconfirmation_sent_at = None
    entry.save()


def withdraw(page, request, token):
    entry, refusal = open_link(page, request, token)
    if refusal:
        return refusal
    if request.method == "POST":
        entry.delete()
        logger.info("Register %s: an entry was withdrawn by its owner and deleted.", page.pk)
        return private(render(page, request, "registry/withdrawn.html"))
    return private(
        render(page, request, "registry/withdraw.html", {"entry": entry, "token": token})
    )


def preview(page, request, mode_name):
    if mode_name == "thank_you":
        return render(page, request, "registry/thank_you.html")
    if mode_name == "closed":
        return closed(page, request)
    form = page.get_form(page=page, user=request.user)
    return render(page, request, page.template, {"form": form, "picture": page.get_picture()})
