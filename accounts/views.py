"""Members sign in, sign out and reset or change their password on the site's own pages.

These are Django's auth views with the site's templates and forms. Brute force is handled by
django-axes (see settings); `locked_out` is the page it shows. Password reset requests are
limited per connection here, and reset emails per address in accounts/forms.py.
"""

import math

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.urls import reverse_lazy
from django.views.generic import TemplateView

from accounts.forms import ChangePasswordForm, PasswordResetForm, SetNewPasswordForm, SignInForm
from accounts.lockout import address_is_locked_out
from ratelimit.addresses import client_address
from ratelimit.limits import count_attempt, hashed


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "registration/login.html"


class SignOutView(auth_views.LogoutView):
    """Sign out on POST (the header's button). A GET gets Django's 405."""


class SignedOutView(TemplateView):
    template_name = "registration/logged_out.html"


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    @property
    def extra_email_context(self):
        return {"site_name": settings.WAGTAIL_SITE_NAME}

    def post(self, request, *args, **kwargs):
        if count_attempt(
            f"accounts:reset-requests:{hashed(client_address(request))}",
            settings.ACCOUNTS_RESET_REQUESTS_PER_CLIENT,
            settings.ACCOUNTS_RESET_WINDOW,
        ):
            minutes = math.ceil(settings.ACCOUNTS_RESET_WINDOW / 60)
            response = render(
                request,
                "registration/password_reset_too_many.html",
                {"minutes": minutes},
                status=429,
            )
            response["Retry-After"] = str(settings.ACCOUNTS_RESET_WINDOW)
            return response
        return super().post(request, *args, **kwargs)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = SetNewPasswordForm
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = ChangePasswordForm
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_change_done.html"


def locked_out(request, original_response=None, credentials=None):
    """django-axes' lockout page: status 429, the same for the front end and the admin."""
    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    # Two lockouts lead here: one username from one address (AXES_FAILURE_LIMIT), or the
    # address itself, whatever the usernames (ACCOUNTS_ADDRESS_FAILURE_LIMIT). Say which.
    whole_address = address_is_locked_out(request)
    if whole_address:
        limit = settings.ACCOUNTS_ADDRESS_FAILURE_LIMIT
    else:
        limit = settings.AXES_FAILURE_LIMIT
    response = render(
        request,
        "registration/locked_out.html",
        {"minutes": minutes, "failure_limit": limit, "whole_address": whole_address},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
