"""Every page shows the site settings (header and footer): saving them clears the "settings"
tag in the page cache."""

from django.db.models.signals import post_delete, post_save

from pagecache.signals import invalidate_after_commit


def on_settings_changed(sender, instance, **kwargs):
    invalidate_after_commit("settings")


def connect():
    from home.models import SiteSettings

    for signal in (post_save, post_delete):
        signal.connect(
            on_settings_changed,
            sender=SiteSettings,
            dispatch_uid=f"home_settings_changed_{signal is post_save}",
        )
