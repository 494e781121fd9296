"""Reading documents' text in the worker, and catching up after a worker that stopped.

Saving a document with a new file marks it "waiting to be read" and queues `read_document_text`
in the same transaction (documents/models.py). The task reads the file in a limited child
process (documents/reading.py), stores the text and updates the search index for that document.
It names the file it was queued for: if the file has been replaced since, it does nothing, as
the newer file has its own task.
"""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task
from wagtail.documents import get_document_model
from wagtail.search import index

from documents.reading import Outcome, read_file
from outbox.worker import every

logger = logging.getLogger(__name__)


@task(backend="background", queue_name="documents")
def read_document_text(document_pk, file_name):
    Document = get_document_model()
    Status = Document.TextStatus
    document = Document.objects.filter(pk=document_pk).first()
    if document is None:
        return "deleted"
    if document.file.name != file_name:
        return "replaced"
    if document.text_status != Status.PENDING:
        return "already read"
    try:
        with document.open_file() as fileobj:
            outcome = read_file(fileobj, document.file_extension)
    except FileNotFoundError:
        # Gone from storage for good; any other storage error fails the task, and the document,
        # still waiting, is queued again later (requeue_stuck_documents).
        outcome = Outcome(False, reason="the file is missing from storage")
    with transaction.atomic():
        # Only if it is still this file, still waiting: a replacement or another worker that
        # got there first wins.
        updated = Document.objects.filter(
            pk=document_pk, file=file_name, text_status=Status.PENDING
        ).update(
            extracted_text=outcome.text if outcome.read else "",
            text_status=Status.DONE if outcome.read else Status.NOT_READ,
            text_status_reason=outcome.reason,
        )
        if not updated:
            return "replaced"
        index.insert_or_update_object(Document.objects.get(pk=document_pk))
    if not outcome.read:
        logger.warning(
            "Could not read the text of document %r (%s): %s. It is indexed by title only.",
            document.title,
            file_name,
            outcome.reason,
        )
        return "not read"
    return "read"


def queued_task_pks(document_pks):
    """The documents among these that have a read_document_text task waiting to run."""
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(
        task_path=read_document_text.module_path, status="READY"
    ).values_list("args_kwargs", flat=True)
    return {args["args"][0] for args in waiting if args["args"][0] in document_pks}


@every(60)
def requeue_stuck_documents(now=None):
    """Documents waiting to be read for longer than DOCUMENT_TEXT_PENDING_TIMEOUT_SECONDS with
    no task left to read them (their worker stopped mid-way) are queued again.

    Safe to run twice, or on two workers at once: each document is put back with a conditional
    update, so only one of them queues it. Returns how many were queued.
    """
    Document = get_document_model()
    pending = Document.TextStatus.PENDING
    now = now or timezone.now()
    stale_before = now - datetime.timedelta(seconds=settings.DOCUMENT_TEXT_PENDING_TIMEOUT_SECONDS)
    stuck = dict(
        Document.objects.filter(text_status=pending, text_queued_at__lt=stale_before).values_list(
            "pk", "file"
        )
    )
    waiting = queued_task_pks(set(stuck))
    requeued = 0
    for pk, file_name in stuck.items():
        if pk in waiting:
            continue  # still in the queue behind other work, not lost
        with transaction.atomic():
            if Document.objects.filter(
                pk=pk, file=file_name, text_status=pending, text_queued_at__lt=stale_before
            ).update(text_queued_at=now):
                read_document_text.enqueue(pk, file_name)
                requeued += 1
    if requeued:
        logger.warning("Queued %s document(s) to be read again after a worker stopped", requeued)
    return requeued
