from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "home"
    verbose_name = "Home and site settings"

    def ready(self):
        # jobs registers the site-wide periodic jobs with the worker loop.
        from home import jobs, signals  # noqa: F401

        signals.connect()
