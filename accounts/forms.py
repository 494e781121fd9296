"""Sign-in and password-reset forms: the same answer whatever the visitor got wrong."""

import logging

from django.conf import settings
from django.contrib.auth import forms as auth_forms

from accounts.tasks import send_password_reset
from ratelimit.limits import count_attempt, hashed

logger = logging.getLogger(__name__)

SIGN_IN_ERROR = (
    "The username or password is not right. Check both and try again: they are "
    "case-sensitive. If you have forgotten your password, you can reset it."
)


class SignInForm(auth_forms.AuthenticationForm):
    """Django's sign-in form with one error for every failure.

    An unknown username, a wrong password and an inactive account all read the same, so the
    page never confirms that an account exists.
    """

    error_messages = {"invalid_login": SIGN_IN_ERROR, "inactive": SIGN_IN_ERROR}

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        username = self.fields["username"]
        username.widget.attrs.pop("autofocus", None)
        username.widget.attrs["autocomplete"] = "username"
        username.widget.attrs["spellcheck"] = "false"
        username.widget.attrs["autocapitalize"] = "none"


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, but the request only queues a task (accounts/tasks.py).

    The request does the same work for every address, with an account or not: count it
    against the per-address limit and queue one task. The worker finds the account and queues
    the email in the outbox, which sends it and tries again if the mail server is down. At most
    ACCOUNTS_RESET_EMAILS_PER_ADDRESS emails go to one address per ACCOUNTS_RESET_WINDOW, so
    nobody can fill a member's inbox with reset emails.
    """

    def save(self, *args, request=None, use_https=False, **kwargs):
        email = self.cleaned_data["email"].strip().lower()
        if count_attempt(
            f"accounts:reset-email:{hashed(email)}",
            settings.ACCOUNTS_RESET_EMAILS_PER_ADDRESS,
            settings.ACCOUNTS_RESET_WINDOW,
        ):
            # Counted for every address, with an account or not, so this reveals nothing.
            logger.info("Password reset email not sent: too many for one address this hour")
            return
        send_password_reset.enqueue(email, request.get_host(), use_https)


class WeaknessOnTheNewPassword:
    """Django reports a weak password (too short, too common...) on the confirmation field;
    people fix the field the message sits on, so it goes on the new password itself."""

    def validate_password_for_user(self, user, *args, **kwargs):
        super().validate_password_for_user(user, "new_password1")


class SetNewPasswordForm(WeaknessOnTheNewPassword, auth_forms.SetPasswordForm):
    """The form behind the emailed reset link."""


class ChangePasswordForm(WeaknessOnTheNewPassword, auth_forms.PasswordChangeForm):
    """A signed-in member changes their password."""
