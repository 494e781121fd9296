"""Opportunity alerts: an email about one training opportunity, sent by a register manager to
the registrants who agreed to be told about training, and the record of each one.

An alert starts as a draft (the opportunity and the filters). "Send" moves it to "sending"
with a conditional update, so a second click finds it already sent, and in the same
transaction freezes its recipients (one AlertRecipient per entry, unique per alert) and queues
one email per recipient in the outbox. The outbox delivers each email once, retrying while
the mail server is down; what was sent and what failed is counted from its rows.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from registry.choices import INTENTION_CHOICES, REGION_CHOICES, ROLE_CHOICES

REFERENCE_PREFIX = "alerts.alert:"


class Alert(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft: not sent"
        SENDING = "sending", "Sent to the outbox"

    opportunity = models.ForeignKey(
        "focusgroups.FocusGroupOpportunity",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The opportunity the email is about.",
    )
    opportunity_title = models.CharField(
        max_length=160, help_text="The opportunity's title, kept if it is removed from the page."
    )
    register = models.ForeignKey(
        "registry.InterestRegisterPage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Only people on this register. Empty: every register.",
    )
    region = models.CharField(
        max_length=30,
        choices=REGION_CHOICES,
        blank=True,
        help_text="Only people in this region. Empty: every region.",
    )
    role = models.CharField(
        max_length=20,
        choices=ROLE_CHOICES,
        blank=True,
        help_text="Only people in this role. Empty: every role.",
    )
    training_intention = models.CharField(
        max_length=30,
        choices=INTENTION_CHOICES,
        blank=True,
        help_text="Only people with this training plan. Empty: every plan.",
    )
    filters = models.CharField(
        max_length=500, blank=True, help_text="The filters in words, as the manager chose them."
    )
    subject = models.CharField(max_length=200, help_text="The email's subject line.")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    created_by = models.CharField(
        "prepared by", max_length=150, help_text="The account that prepared the alert."
    )
    created_at = models.DateTimeField("prepared", default=timezone.now)
    sent_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_by = models.CharField(
        max_length=150, blank=True, help_text="The account that sent it, kept if it is deleted."
    )
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    recipient_count = models.PositiveIntegerField(
        "recipients", default=0, help_text="How many people it was sent to, fixed when sent."
    )
    sent_count = models.PositiveIntegerField(
        "delivered", default=0, help_text="Emails the mail server accepted, last counted."
    )
    failed_count = models.PositiveIntegerField(
        "failed", default=0, help_text="Emails given up on after every retry, last counted."
    )

    class Meta:
        verbose_name = "opportunity alert"
        verbose_name_plural = "opportunity alerts"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.opportunity_title} ({self.get_status_display()})"

    @property
    def reference_prefix(self):
        return f"{REFERENCE_PREFIX}{self.pk}:"


class AlertRecipient(models.Model):
    """One person an alert was sent to: written when "send" is clicked, never afterwards."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="recipients")
    entry = models.ForeignKey(
        "registry.RegisterEntry", null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["alert", "entry"], name="alerts_one_email_per_entry")
        ]

    def __str__(self):
        return f"Alert {self.alert_id} to entry {self.entry_id}"


class AlertOptOut(models.Model):
    """Someone followed the "stop these emails" link in an alert: their contact consent was
    withdrawn at `created_at`. One per alert and entry, so each link works once."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="opt_outs")
    entry = models.ForeignKey("registry.RegisterEntry", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField("stopped alerts at", default=timezone.now)

    class Meta:
        verbose_name = "alert opt-out"
        constraints = [
            models.UniqueConstraint(fields=["alert", "entry"], name="alerts_one_opt_out_per_link")
        ]

    def __str__(self):
        return f"Entry {self.entry_id} stopped alerts at {self.created_at:%Y-%m-%d %H:%M}"
