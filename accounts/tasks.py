"""Password-reset emails, prepared by the worker rather than in the request.

The reset page queues the same task for every address it is given, with an account or not, so
its answer takes the same time and does the same work either way; the worker looks the address
up and, only if it belongs to an active account, queues the email in the outbox.
"""

from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.template.loader import render_to_string
from django_tasks import task

from outbox.mail import send_later


class ResetEmails(auth_forms.PasswordResetForm):
    """Django's own reset logic (finding the accounts, making the links), each email queued in
    the outbox rather than sent."""

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, **kwargs
    ):
        subject = render_to_string(subject_template_name, context)
        body = render_to_string(email_template_name, context)
        send_later("accounts.password_reset", [to_email], subject, body)


@task(backend="background", queue_name="email")
def send_password_reset(email, domain, use_https):
    form = ResetEmails(data={"email": email})
    if form.is_valid():
        form.save(
            domain_override=domain,
            use_https=use_https,
            subject_template_name="registration/password_reset_subject.txt",
            email_template_name="registration/password_reset_email.txt",
            extra_email_context={"site_name": settings.WAGTAIL_SITE_NAME},
        )
