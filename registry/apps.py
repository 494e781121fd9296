from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "Interest register"

    def ready(self):
        from registry import jobs, signals  # noqa: F401 - jobs registers with the worker

        signals.connect()
