"""Keep Wagtail's reference index exact for published pages (documents/privacy.py reads it).

Wagtail re-records a page's links when the page row is saved, which happens before the page's
inline children (its papers) are written; a paper taken off the page would stay recorded until
the next save. Once publishing has finished, the page is recorded again from the database.
"""

from wagtail.models import ReferenceIndex
from wagtail.signals import page_published


def record_published_links(sender, instance, **kwargs):
    page = type(instance).objects.get(pk=instance.pk)
    ReferenceIndex.create_or_update_for_object(page)


def connect():
    page_published.connect(record_published_links, dispatch_uid="documents_record_links")
