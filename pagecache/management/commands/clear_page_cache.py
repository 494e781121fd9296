"""Empty the cache, for example after the cache server was unreachable during a publish."""

from django.core.management.base import BaseCommand

from pagecache.tags import cache


class Command(BaseCommand):
    help = (
        "Empty the cache that holds cached pages, menus and settings (with Redis: the whole "
        "configured Redis database, rate limits included). Safe at any time."
    )

    def handle(self, *args, **options):
        cache().clear()
        self.stdout.write("Cache cleared: pages will be rendered afresh on their next visit.")
