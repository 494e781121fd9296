from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = "Documents"

    def ready(self):
        # Registers the periodic job that re-queues documents whose worker stopped mid-way.
        from documents import signals, tasks  # noqa: F401

        signals.connect()
