"""Make sure the local admin account exists, and say how to sign in.

User name from ADMIN_USERNAME (default "admin"). Password from ADMIN_PASSWORD; if that is not
set and the account is new, a random one is generated and printed once.
"""

from django.core.management.base import BaseCommand

from accounts.provisioning import ensure_account


class Command(BaseCommand):
    help = "Create the local superuser if missing (ADMIN_USERNAME / ADMIN_PASSWORD)."

    def handle(self, *args, **options):
        ensure_account(
            self,
            label="admin account",
            env_vars=("ADMIN_USERNAME", "ADMIN_PASSWORD"),
            default_username="admin",
            create=lambda User, username, password: User.objects.create_superuser(
                username=username, email="", password=password
            ),
        )
