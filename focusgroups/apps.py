from django.apps import AppConfig


class FocusGroupsConfig(AppConfig):
    name = "focusgroups"
    verbose_name = "Focus groups"
