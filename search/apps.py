from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Site search"

    def ready(self):
        from search import signals, tasks  # noqa: F401  (tasks: the worker's jobs)

        signals.connect()
