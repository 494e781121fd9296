"""Make sure the demo member account exists, and say how to sign in with it.

An ordinary member (not staff, no admin access) for trying the members-only page. User name
from DEMO_MEMBER_USERNAME (default "member"); password from DEMO_MEMBER_PASSWORD, or a random
one generated and printed once when the account is new.
"""

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the demo member account if missing (DEMO_MEMBER_USERNAME / _PASSWORD)."

    def handle(self, *args, **options):
        User = get_user_model()
        username = os.environ.get("DEMO_MEMBER_USERNAME", "").strip() or "member"
        password = os.environ.get("DEMO_MEMBER_PASSWORD", "")
        user = User.objects.filter(username=username).first()
        if user is None:
            generated = not password
            password = password or secrets.token_urlsafe(12)
            User.objects.create_user(
                username=username,
                email=f"{username}@example.org",
                password=password,
                first_name="Demo",
                last_name="Member",
            )
            self.stdout.write(self.style.SUCCESS(f"Created the demo member account '{username}'."))
            if generated:
                self.stdout.write(f"  Its generated password is: {password}")
                self.stdout.write("  (Set DEMO_MEMBER_PASSWORD to choose your own.)")
            self.stdout.write("  Members sign in at /accounts/login/.")
            return
        if password and not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
            self.stdout.write(f"Set the password of '{username}' from DEMO_MEMBER_PASSWORD.")
            return
        self.stdout.write(
            f"The demo member account '{username}' already exists; its password is unchanged. "
            "Run with DEMO_MEMBER_PASSWORD=... to set a new one."
        )
