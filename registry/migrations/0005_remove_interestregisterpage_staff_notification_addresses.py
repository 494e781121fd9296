"""The page field whose values 0004 carried over to RegisterNotificationSettings. (A migration
of its own: on PostgreSQL, altering the page table in the transaction that just wrote rows
referring to it can fail with 'pending trigger events'.)"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("registry", "0004_register_notification_settings")]

    operations = [
        migrations.RemoveField(
            model_name="interestregisterpage", name="staff_notification_addresses"
        ),
    ]
