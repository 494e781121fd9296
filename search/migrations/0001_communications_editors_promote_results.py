"""Communications editors may promote pages for search terms (Settings → Promoted search results)
and so also see the search terms report (search/wagtail_hooks.py)."""

from django.db import migrations

GROUP_NAME = "Communications editors"
CODENAMES = ["add_searchpromotion", "change_searchpromotion", "delete_searchpromotion"]


def permissions(apps):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(
        app_label="wagtailsearchpromotions", model="searchpromotion"
    )
    return [
        Permission.objects.get_or_create(
            content_type=content_type,
            codename=codename,
            defaults={"name": "Can " + codename.replace("_searchpromotion", " search promotion")},
        )[0]
        for codename in CODENAMES
    ]


def grant(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME).first()
    if group is not None:
        group.permissions.add(*permissions(apps))


def revoke(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME).first()
    if group is not None:
        group.permissions.remove(*permissions(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_communications_editors"),
        ("wagtailsearchpromotions", "0008_query_verbose_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
