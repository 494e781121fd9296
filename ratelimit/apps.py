from django.apps import AppConfig


class RatelimitConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ratelimit"
    verbose_name = "Rate limits"

    def ready(self):
        # Registers the purge of finished windows with the worker loop.
        from ratelimit import tasks  # noqa: F401
