"""Who is told about new entries moves off the register page into RegisterNotificationSettings,
which only register managers can change. Each register's addresses are carried over; the page
field goes in 0005, and the old value is taken out of the page's saved revisions, so that no
revision shows it and publishing an old revision cannot bring it back."""

import django.db.models.deletion
from django.db import migrations, models

import registry.models

FIELD = "staff_notification_addresses"


def carry_addresses_over(apps, schema_editor):
    InterestRegisterPage = apps.get_model("registry", "InterestRegisterPage")
    Settings = apps.get_model("registry", "RegisterNotificationSettings")
    for page_id, addresses in InterestRegisterPage.objects.exclude(**{FIELD: ""}).values_list(
        "pk", FIELD
    ):
        Settings.objects.update_or_create(page_id=page_id, defaults={FIELD: addresses})

    ContentType = apps.get_model("contenttypes", "ContentType")
    Revision = apps.get_model("wagtailcore", "Revision")
    content_type = ContentType.objects.filter(
        app_label="registry", model="interestregisterpage"
    ).first()
    if content_type is None:
        return
    for revision in Revision.objects.filter(content_type=content_type).iterator():
        if isinstance(revision.content, dict) and FIELD in revision.content:
            del revision.content[FIELD]
            revision.save(update_fields=["content"])


def carry_addresses_back(apps, schema_editor):
    InterestRegisterPage = apps.get_model("registry", "InterestRegisterPage")
    Settings = apps.get_model("registry", "RegisterNotificationSettings")
    for settings in Settings.objects.all():
        InterestRegisterPage.objects.filter(pk=settings.page_id).update(
            **{FIELD: settings.staff_notification_addresses}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0003_protect_entries_from_page_deletion"),
        ("wagtailcore", "0098_apitoken"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.CreateModel(
            name="RegisterNotificationSettings",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "staff_notification_addresses",
                    models.TextField(
                        blank=True,
                        help_text=(
                            "Email addresses told about each new entry, separated by commas or "
                            "one per line. Each email gives the person's name, hospital, "
                            "region, role and training intention, so list only people allowed "
                            "to see register entries. Leave empty to send no notifications."
                        ),
                        max_length=1000,
                        validators=[registry.models.validate_addresses],
                    ),
                ),
                (
                    "page",
                    models.OneToOneField(
                        help_text="The register these notification settings are for.",
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notification_settings",
                        to="registry.interestregisterpage",
                        verbose_name="register",
                    ),
                ),
            ],
            options={
                "verbose_name": "notification settings",
                "verbose_name_plural": "notification settings",
            },
        ),
        migrations.RunPython(carry_addresses_over, carry_addresses_back),
    ]
