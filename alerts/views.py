"""The public side of alerts: the one-click "stop these emails" link.

GET shows one button; POST withdraws the person's consent to be contacted about training (on
every register entry with their address) and records when. Mail clients post to the same
address with the `List-Unsubscribe-Post: List-Unsubscribe=One-Click` header (RFC 8058) and
hold no CSRF token, so the view is exempt from CSRF: the signed token is the authority, and
the only thing a forged request could do is what the token's owner asked for. Neither page is
ever cached.
"""

from django.core import signing
from django.db import IntegrityError, transaction
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from alerts.models import Alert, AlertOptOut
from alerts.sending import read_stop_token
from pagecache import tags
from registry.models import RegisterEntry


def private(response):
    tags.never_cache_this()
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "same-origin"
    return response


def stop_contact(alert, entry, now):
    """Withdraw the contact consent on every entry with the entry's address; False if this
    link was used before (or the consent was already withdrawn)."""
    with transaction.atomic():
        entries = list(
            RegisterEntry.objects.select_for_update().filter(
                email=entry.email, consent_contact_at__isnull=False
            )
        )
        if AlertOptOut.objects.filter(alert=alert, entry=entry).exists():
            return False
        try:
            with transaction.atomic():
                AlertOptOut.objects.create(alert=alert, entry=entry, created_at=now)
        except IntegrityError:
            return False
        for each in entries:
            each.consent_contact_at = None
            each.updated_at = now
            each.save(update_fields=["consent_contact_at", "updated_at"])
        return bool(entries)


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def stop(request, token):
    try:
        alert_pk, public_id = read_stop_token(token)
    except signing.BadSignature as error:
        raise Http404("Not a link this site sent") from error
    alert = Alert.objects.filter(pk=alert_pk).first()
    entry = RegisterEntry.objects.filter(public_id=public_id).first()
    if alert is None or entry is None:
        # A genuine link whose entry has since been deleted: nothing left to stop.
        return private(TemplateResponse(request, "alerts/stopped.html", {"already": True}))
    already = (
        entry.consent_contact_at is None
        or AlertOptOut.objects.filter(alert=alert, entry=entry).exists()
    )
    if request.method == "POST":
        changed = stop_contact(alert, entry, timezone.now())
        return private(TemplateResponse(request, "alerts/stopped.html", {"already": not changed}))
    if already:
        return private(TemplateResponse(request, "alerts/stopped.html", {"already": True}))
    return private(TemplateResponse(request, "alerts/stop.html", {"entry": entry}))
