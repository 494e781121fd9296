from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Site search"

    def ready(self):
        from pagecache.wsgi import hit_listeners
        from search import middleware, signals, tasks  # noqa: F401  (tasks: the worker's jobs)

        signals.connect()
        # Searches the page cache answers before Django runs are counted too.
        if middleware.count_cached_hit not in hit_listeners:
            hit_listeners.append(middleware.count_cached_hit)
