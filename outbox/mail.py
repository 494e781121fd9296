"""Queue an email: `send_later(...)` inside the transaction that causes it.

Nothing here talks to a mail server. The email is a row in the database and a task on the
"background" queue, both written in the caller's transaction, so an email exists exactly when
what caused it was kept. The worker sends it (outbox/tasks.py).
"""

from django.db import transaction

from outbox.models import OutgoingEmail


def one_line(text):
    return " ".join(str(text).split())


def send_later(kind, to, subject, body, *, reference="", headers=None):
    """Write the email and enqueue its delivery; returns the OutgoingEmail, or None if `to` is
    empty. Call it inside the transaction whose commit should send it."""
    from outbox.tasks import deliver_email

    to = [address for address in to if address]
    if not to:
        return None
    with transaction.atomic():
        email = OutgoingEmail.objects.create(
            kind=kind,
            to=to,
            subject=one_line(subject)[:300],
            body=body,
            headers=headers or {},
            reference=reference[:100],
        )
        deliver_email.enqueue(email.pk)
    return email
