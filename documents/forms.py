"""The upload and edit form for documents (WAGTAILDOCS_DOCUMENT_FORM_BASE)."""

from wagtail.documents.forms import BaseDocumentForm

from documents.privacy import unpublished_collection

COLLECTION_HELP = (
    "Where the file is kept, and so who can download it. 'Unpublished uploads' (the usual "
    "choice): nobody outside the admin can download or find it until a published page that "
    "anyone can see links to it; unpublishing the page, or taking the file off it, hides it "
    "again. 'Root' or 'Published files': anyone can download it and find it in site search "
    "straight away. A members-only collection: only signed-in members can."
)


class DocumentForm(BaseDocumentForm):
    """Wagtail's form, with new uploads going to "Unpublished uploads" unless an editor picks
    another collection, and plain words on where the file goes and who can see it."""

    def __init__(self, *args, **kwargs):
        chosen = (kwargs.get("initial") or {}).get("collection")
        super().__init__(*args, **kwargs)
        field = self.fields.get("collection")
        if field is None:
            return
        field.help_text = COLLECTION_HELP
        if not self.instance.pk:
            # A new upload: the collection already picked (the Documents listing's filter),
            # or else the not-public one. Sent without one, it goes there too.
            field.required = False
            if chosen is None and self.held_collection is not None:
                self.initial["collection"] = self.held_collection.pk

    @property
    def held_collection(self):
        field = self.fields["collection"]
        held = unpublished_collection()
        return held if field.queryset.filter(pk=held.pk).exists() else None

    def clean_collection(self):
        collection = self.cleaned_data.get("collection")
        if collection is None and not self.instance.pk:
            collection = self.held_collection
            if collection is None:
                self.add_error("collection", "Choose where to keep the file.")
        return collection
