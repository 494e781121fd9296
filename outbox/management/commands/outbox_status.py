"""How the background queue stands: emails by status, the oldest waiting, the last failures."""

from django.core.management.base import BaseCommand
from django.db.models import Count, Min
from django_tasks_db.models import DBTaskResult

from outbox.models import OutgoingEmail


class Command(BaseCommand):
    help = "Show the outgoing emails by status, the oldest one waiting and the latest failures."

    def handle(self, **options):
        counts = dict(
            OutgoingEmail.objects.values_list("status").annotate(n=Count("pk")).order_by()
        )
        labels = dict(OutgoingEmail.Status.choices)
        for status, label in labels.items():
            self.stdout.write(f"{label}: {counts.get(status, 0)}")
        waiting = OutgoingEmail.objects.filter(status=OutgoingEmail.Status.QUEUED).aggregate(
            oldest=Min("created_at")
        )["oldest"]
        if waiting:
            self.stdout.write(f"Oldest email waiting since: {waiting:%d %b %Y %H:%M %Z}")
        ready = DBTaskResult.objects.ready().count()
        self.stdout.write(f"Tasks ready for the worker: {ready}")
        for email in OutgoingEmail.objects.filter(status=OutgoingEmail.Status.FAILED)[:10]:
            self.stdout.write(
                f"FAILED {email.created_at:%d %b %H:%M} {email.kind} "
                f"({email.attempts} attempts): {email.last_error}"
            )
