"""Password-reset emails, prepared by the worker rather than in the request.

The reset page queues the same task for every address it is given, with an account or not, so
its answer takes the same time and does the same work either way; the worker looks the address
up and, only if it belongs to an active account, queues the email in the outbox.
"""

from django_tasks import task


@task(backend="background", queue_name="email")
def send_password_reset(email, domain, use_https):
    from accounts.forms import PasswordResetForm

    form = PasswordResetForm(data={"email": email})
    if form.is_valid():
        form.queue_reset_emails(domain=domain, use_https=use_https)
