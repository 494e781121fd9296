"""Read the text of documents again, for instance after restoring files from a backup.

New uploads and replaced files are read by the worker; this command is only for catching up. It
reads each file here and now, with the same limits as the worker (a child process per file).
"""

from django.core.management.base import BaseCommand
from django.utils import timezone
from wagtail.documents import get_document_model

from documents.extraction import can_read
from documents.tasks import read_document_text


class Command(BaseCommand):
    help = "Read the text inside documents' files again and update the search index."

    def add_arguments(self, parser):
        parser.add_argument(
            "--missing",
            action="store_true",
            help="Only documents that have no text yet (skips those already read).",
        )

    def handle(self, *args, missing=False, **options):
        Document = get_document_model()
        documents = Document.objects.order_by("pk")
        if missing:
            documents = documents.filter(extracted_text="")
        read = unreadable = 0
        for pk, file_name in documents.values_list("pk", "file").iterator():
            if not can_read(file_name.rpartition(".")[2]):
                continue
            Document.objects.filter(pk=pk, file=file_name).update(
                text_status=Document.TextStatus.PENDING,
                text_status_reason="",
                text_queued_at=timezone.now(),
            )
            if read_document_text.call(pk, file_name) == "read":
                read += 1
            else:
                unreadable += 1
        self.stdout.write(
            f"Read the text of {read} document(s); {unreadable} had no readable text."
        )
