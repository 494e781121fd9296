"""The site's document model: Wagtail's own, plus the text read from inside the file."""

import os

from django.db import models, transaction
from django.utils import timezone
from wagtail.documents.models import AbstractDocument, Document
from wagtail.search import index

from documents.extraction import can_read
from documents.tasks import read_document_text


class SearchableDocument(AbstractDocument):
    """A document whose text (PDF, Word .docx, plain text) is read after upload and indexed.

    Saving a new or replaced file never reads it: the document is marked "waiting to be read"
    and a task is queued in the same transaction; the worker reads the file with limits on time
    and memory (documents/tasks.py). A file that cannot be read, or is too big to read safely,
    is marked "not read" with the reason: the upload has gone ahead and the document is found
    by its title only.
    """

    class TextStatus(models.TextChoices):
        PENDING = "pending", "Waiting to be read"
        DONE = "done", "Read"
        NOT_READ = "not_read", "Not read"

    extracted_text = models.TextField(
        blank=True,
        editable=False,
        help_text="Filled in automatically from the file so that site search finds its text.",
    )
    text_status = models.CharField(
        "text for search",
        max_length=10,
        choices=TextStatus.choices,
        default=TextStatus.PENDING,
        editable=False,
        db_index=True,
        help_text=(
            "Whether the words inside the file have been read for site search. New files are "
            "read in the background a minute or so after they are uploaded."
        ),
    )
    text_status_reason = models.CharField(
        "why",
        max_length=300,
        blank=True,
        editable=False,
        help_text=(
            "Why the file's words were not read, or were only partly read. The document can "
            "still be found by its title."
        ),
    )
    text_queued_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the file was last put in the queue to be read.",
    )

    download_name = models.CharField(
        max_length=255,
        blank=True,
        editable=False,
        help_text=(
            "The file name in the download link. It stays the same when the file is replaced "
            "by one of the same type, so links already shared keep working."
        ),
    )

    admin_form_fields = Document.admin_form_fields

    search_fields = AbstractDocument.search_fields + [index.SearchField("extracted_text")]

    class Meta(AbstractDocument.Meta):
        verbose_name = "document"
        verbose_name_plural = "documents"

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # Remember which file the stored text came from, to notice when it is replaced.
        instance._text_source = instance.__dict__.get("file")
        return instance

    @property
    def filename(self):
        """The name in the download URL and Content-Disposition: the first upload's name."""
        return self.download_name or os.path.basename(self.file.name)

    def keep_download_name(self):
        """Keep the public name when a file is replaced by one of the same type; a file of
        another type gets its own name (the old one would name the wrong type)."""
        new_name = os.path.basename(self.file.name)
        old_extension = os.path.splitext(self.download_name)[1].lower()
        if not self.download_name or old_extension != os.path.splitext(new_name)[1].lower():
            self.download_name = new_name

    def file_is_new(self):
        """True when the file is being uploaded, or has been replaced since it was loaded."""
        if self._state.adding or not getattr(self.file, "_committed", True):
            return True
        source = getattr(self, "_text_source", None)
        source_name = getattr(source, "name", source)
        return source_name is not None and source_name != self.file.name

    def forget_text(self):
        """Clear the old file's text and say whether (and when) the new one will be read."""
        self.extracted_text = ""
        if can_read(self.file_extension):
            self.text_status = self.TextStatus.PENDING
            self.text_status_reason = ""
            self.text_queued_at = timezone.now()
        else:
            self.text_status = self.TextStatus.NOT_READ
            self.text_status_reason = (
                "Only PDF, Word (.docx) and plain text files are read; this one is found by its "
                "title."
            )
            self.text_queued_at = None

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        queue = False
        if self.file and (update_fields is None or "file" in update_fields) and self.file_is_new():
            self.forget_text()
            queue = self.text_status == self.TextStatus.PENDING
            # Record the size now, so listings never have to write it back later.
            self.file_size = self.file.size
            self.keep_download_name()
            if update_fields is not None:
                kwargs["update_fields"] = {
                    *update_fields,
                    "download_name",
                    "extracted_text",
                    "text_status",
                    "text_status_reason",
                    "text_queued_at",
                    "file_size",
                }
        with transaction.atomic():
            super().save(*args, **kwargs)
            if queue:
                # In the same transaction: the task exists exactly when the new file is kept.
                read_document_text.enqueue(self.pk, self.file.name)
        self._text_source = self.file.name


class UnpublishedCollection(models.Model):
    """Marks the collection whose documents are not public until a live, public page links
    them (documents/privacy.py). Uploads go there unless an editor picks another collection."""

    collection = models.OneToOneField(
        "wagtailcore.Collection",
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Files in this collection (or one inside it) are held back until published.",
    )

    class Meta:
        verbose_name = "collection for unpublished uploads"

    def __str__(self):
        return str(self.collection)
