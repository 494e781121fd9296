"""Read the text of documents again, for instance after restoring files from a backup.

New uploads and replaced files are read automatically; this command is only for catching up.
"""

from django.core.management.base import BaseCommand
from wagtail.documents import get_document_model


class Command(BaseCommand):
    help = "Read the text inside documents' files again and update the search index."

    def add_arguments(self, parser):
        parser.add_argument(
            "--missing",
            action="store_true",
            help="Only documents that have no text yet (skips those already read).",
        )

    def handle(self, *args, missing=False, **options):
        documents = get_document_model().objects.order_by("pk")
        if missing:
            documents = documents.filter(extracted_text="")
        read = unreadable = 0
        for document in documents.iterator():
            document.refresh_extracted_text()
            document.save(update_fields=["extracted_text"])
            if document.extracted_text:
                read += 1
            else:
                unreadable += 1
        self.stdout.write(
            f"Read the text of {read} document(s); {unreadable} had no readable text."
        )
