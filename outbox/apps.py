from django.apps import AppConfig


class OutboxConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "outbox"
    verbose_name = "Outgoing email"

    def ready(self):
        # Registers the outbox's periodic jobs with the worker loop.
        from outbox import tasks  # noqa: F401
