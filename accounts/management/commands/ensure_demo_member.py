"""Make sure the demo member account exists, and say how to sign in with it.

An ordinary member (not staff, no admin access) for trying the members-only page. User name
from DEMO_MEMBER_USERNAME (default "member"); password from DEMO_MEMBER_PASSWORD, or a random
one generated and printed once when the account is new.
"""

from django.core.management.base import BaseCommand

from accounts.provisioning import ensure_account


def create_member(User, username, password):
    return User.objects.create_user(
        username=username,
        email=f"{username}@example.org",
        password=password,
        first_name="Demo",
        last_name="Member",
    )


class Command(BaseCommand):
    help = "Create the demo member account if missing (DEMO_MEMBER_USERNAME / _PASSWORD)."

    def handle(self, *args, **options):
        _, created = ensure_account(
            self,
            label="demo member account",
            env_vars=("DEMO_MEMBER_USERNAME", "DEMO_MEMBER_PASSWORD"),
            default_username="member",
            create=create_member,
        )
        if created:
            self.stdout.write("  Members sign in at /accounts/login/.")
