"""Make sure the local admin account exists, and say how to sign in.

User name from ADMIN_USERNAME (default "admin"). Password from ADMIN_PASSWORD; if that is not
set and the account is new, a random one is generated and printed once.
"""

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the local superuser if missing (ADMIN_USERNAME / ADMIN_PASSWORD)."

    def handle(self, *args, **options):
        User = get_user_model()
        username = os.environ.get("ADMIN_USERNAME", "").strip() or "admin"
        password = os.environ.get("ADMIN_PASSWORD", "")
        user = User.objects.filter(username=username).first()
        if user is None:
            generated = not password
            password = password or secrets.token_urlsafe(12)
            User.objects.create_superuser(username=username, email="", password=password)
            self.stdout.write(self.style.SUCCESS(f"Created the admin account '{username}'."))
            if generated:
                self.stdout.write(f"  Its generated password is: {password}")
                self.stdout.write("  (Set ADMIN_PASSWORD to choose your own.)")
            return
        if password and not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
            self.stdout.write(f"Set the password of '{username}' from ADMIN_PASSWORD.")
            return
        self.stdout.write(
            f"The admin account '{username}' already exists; its password is unchanged. "
            "Run with ADMIN_PASSWORD=... to set a new one."
        )
