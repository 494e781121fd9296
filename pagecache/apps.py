from django.apps import AppConfig


class PageCacheConfig(AppConfig):
    name = "pagecache"
    verbose_name = "Page cache"

    def ready(self):
        from pagecache import backends, signals, tags  # noqa: F401  (signals: invalidation)

        # After a Redis outage, what it kept from before is stale (tags.after_outage).
        if tags.after_outage not in backends.on_recovery:
            backends.on_recovery.append(tags.after_outage)
