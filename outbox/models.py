"""Every email the site sends, kept until it is delivered.

An email is written here in the same database transaction as what caused it (a register entry, a
password reset), and a task on the "background" queue sends it. If the transaction rolls back,
neither the email nor its task exists; if the mail server is down, the task tries again later;
if the worker dies while sending, the email is picked up again once its claim is stale. Each
email is sent at most once successfully: the worker claims it with a conditional update first.
"""

from django.core.mail import make_msgid
from django.db import models
from django.utils import timezone


def new_message_id():
    return make_msgid(domain="focusgroups.bcis.org.uk")


class OutgoingEmail(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Could not be sent"

    kind = models.CharField(
        max_length=60, help_text="What the email is, e.g. 'registry.confirmation'."
    )
    to = models.JSONField(help_text="The recipients' addresses.")
    subject = models.CharField(max_length=300)
    body = models.TextField()
    headers = models.JSONField(default=dict, blank=True)
    message_id = models.CharField(
        max_length=255,
        default=new_message_id,
        unique=True,
        help_text="The same on every attempt, so a mail server can spot a repeat.",
    )
    reference = models.CharField(
        max_length=100,
        blank=True,
        db_index=True,
        help_text="What the email is about, e.g. 'registry.registerentry:12'.",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = "outgoing email"
        verbose_name_plural = "outgoing emails"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.kind} to {len(self.to)} recipient(s): {self.get_status_display()}"
