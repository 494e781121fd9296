"""Keep the interest register within its retention period. Safe to run daily from cron.

An entry lapses REGISTRY_RETENTION_MONTHS after its owner last sent, updated or confirmed
it. REGISTRY_RECONFIRM_NOTICE_DAYS before that, the owner is emailed a link to confirm or
update it (once: a second run sends nothing more). An entry is deleted only when it has
lapsed AND its owner was asked at least the notice period ago, so nobody is deleted without
warning, even if the command has not run for a while.

Running twice at once is harmless: each reminder is claimed with a conditional update in the
transaction that queues its email (the worker sends it), and deleting what is already deleted
does nothing.

    manage.py registry_retention            # send reminders, delete lapsed entries
    manage.py registry_retention --dry-run  # say what would happen, change nothing
"""

import calendar
import datetime as dt
import logging

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from registry import emails
from registry.models import RegisterEntry

logger = logging.getLogger(__name__)


def months_before(moment, months):
    """The same day and time `months` calendar months earlier (clamped to month end)."""
    month_index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(month_index, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


class Command(BaseCommand):
    help = "Email re-confirmation links before entries lapse, and delete lapsed entries."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would be done; change nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        now = timezone.now()
        notice = dt.timedelta(days=settings.REGISTRY_RECONFIRM_NOTICE_DAYS)
        lapse_before = months_before(now, settings.REGISTRY_RETENTION_MONTHS)
        remind_before = lapse_before + notice

        # Not yet asked since the last confirmation, and within the notice period.
        to_remind = RegisterEntry.objects.filter(confirmed_at__lte=remind_before).filter(
            Q(reconfirmation_sent_at__isnull=True) | Q(reconfirmation_sent_at__lt=F("confirmed_at"))
        )
        # Lapsed, and asked at least the notice period ago.
        to_delete = RegisterEntry.objects.filter(
            confirmed_at__lte=lapse_before,
            reconfirmation_sent_at__isnull=False,
            reconfirmation_sent_at__gte=F("confirmed_at"),
            reconfirmation_sent_at__lte=now - notice,
        )

        if dry_run:
            self.stdout.write(
                f"Would email {to_remind.count()} re-confirmation request(s) and delete "
                f"{to_delete.count()} lapsed entr(ies). Nothing was changed."
            )
            return

        deleted, _ = to_delete.delete()
        queued = 0
        for entry in to_remind.select_related("page").iterator():
            delete_after = max(
                now + notice, months_before(entry.confirmed_at, -settings.REGISTRY_RETENTION_MONTHS)
            )
            # The claim and the email in one transaction: both happen, or neither does.
            with transaction.atomic():
                claimed = (
                    RegisterEntry.objects.filter(pk=entry.pk, confirmed_at=entry.confirmed_at)
                    .filter(
                        Q(reconfirmation_sent_at__isnull=True)
                        | Q(reconfirmation_sent_at__lt=F("confirmed_at"))
                    )
                    .update(reconfirmation_sent_at=now)
                )
                if not claimed:
                    continue  # another run got there first, or the owner just confirmed
                emails.queue_reconfirmation_email(entry, emails.manage_url(entry), delete_after)
                queued += 1
        message = (
            f"Deleted {deleted} lapsed entr{'y' if deleted == 1 else 'ies'}; queued {queued} "
            "re-confirmation request(s) for the worker to send."
        )
        logger.info("registry_retention: %s", message)
        self.stdout.write(message)
