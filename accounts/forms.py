"""Sign-in and password-reset forms: the same answer whatever the visitor got wrong."""

import logging
from functools import partial

from django.conf import settings
from django.contrib.auth import forms as auth_forms

from accounts.emails import send_in_background
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
    """Django's reset form, but the email is rendered and sent after the response.

    The request does the same work for every address (one indexed look-up), so an address with
    an account takes no longer to answer than one without. At most
    ACCOUNTS_RESET_EMAILS_PER_ADDRESS emails go to one address per ACCOUNTS_RESET_WINDOW, so
    nobody can fill a member's inbox with reset emails.
    """

    def save(self, *args, **kwargs):
        self._outgoing = []
        email = self.cleaned_data["email"].strip().lower()
        if count_attempt(
            f"accounts:reset-email:{hashed(email)}",
            settings.ACCOUNTS_RESET_EMAILS_PER_ADDRESS,
            settings.ACCOUNTS_RESET_WINDOW,
        ):
            # Counted for every address, with an account or not, so this reveals nothing.
            logger.info("Password reset email not sent: too many for one address this hour")
            return
        super().save(*args, **kwargs)
        send_in_background(self._outgoing)

    def send_mail(self, *args, **kwargs):
        self._outgoing.append(partial(super().send_mail, *args, **kwargs))
