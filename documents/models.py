"""The site's document model: Wagtail's own, plus the text read from inside the file."""

import logging

from django.db import models
from wagtail.documents.models import AbstractDocument, Document
from wagtail.search import index

from documents.extraction import extract_text

logger = logging.getLogger(__name__)


class SearchableDocument(AbstractDocument):
    """A document whose text (PDF, Word .docx, plain text) is read on upload and indexed.

    The text is read again whenever the file is replaced. A file that cannot be read is logged
    and the upload goes ahead: the document is then found by its title only.
    """

    extracted_text = models.TextField(
        blank=True,
        editable=False,
        help_text="Filled in automatically from the file so that site search finds its text.",
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

    def file_is_new(self):
        """True when the file is being uploaded, or has been replaced since it was loaded."""
        if self._state.adding or not getattr(self.file, "_committed", True):
            return True
        source = getattr(self, "_text_source", None)
        source_name = getattr(source, "name", source)
        return source_name is not None and source_name != self.file.name

    def refresh_extracted_text(self):
        """Read the file's text into `extracted_text`; never raises because of the file."""
        self.extracted_text = ""
        try:
            with self.open_file() as fileobj:
                self.extracted_text = extract_text(fileobj, self.file_extension)
        except Exception as error:  # noqa: BLE001 - any unreadable file must not stop the upload
            logger.warning(
                "Could not read the text of document %r (%s): %s. It is indexed by title only.",
                self.title,
                self.file.name,
                str(error) or type(error).__name__,
            )
        finally:
            if not self.file.closed:
                self.file.seek(0)

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if self.file and (update_fields is None or "file" in update_fields) and self.file_is_new():
            self.refresh_extracted_text()
            # Record the size now, so listings never have to write it back later.
            self.file_size = self.file.size
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "extracted_text", "file_size"}
        super().save(*args, **kwargs)
        self._text_source = self.file.name
