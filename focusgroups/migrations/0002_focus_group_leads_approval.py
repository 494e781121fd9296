"""An optional approval step: "Focus group leads" approve what communications editors submit.

Makes the "Focus group leads" group (the same page, image and document permissions as
communications editors, so they can open and publish what they approve) and the workflow
"Approval by a focus group lead", with one task only members of that group can approve.

The workflow is assigned to no page: approval is off until an administrator turns it on for a
page and its subpages (Settings > Workflows > the workflow > Assign to pages). Wagtail's own
"Moderators approval" workflow, which its first migration assigns to the whole site, is taken
off the root for the same reason (it stays available to assign).
"""

from django.db import migrations

GROUP_NAME = "Focus group leads"
WORKFLOW_NAME = "Approval by a focus group lead"
TASK_NAME = "A focus group lead approves"
PAGE_PERMISSIONS = ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"]
COLLECTION_PERMISSIONS = {
    ("wagtailimages", "image"): ["add_image", "change_image", "choose_image"],
    ("wagtaildocs", "document"): ["add_document", "change_document", "choose_document"],
}


def permission(apps, app_label, model, codename):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
    perm, _ = Permission.objects.get_or_create(
        content_type=content_type,
        codename=codename,
        defaults={"name": codename.replace("_", " ").capitalize()},
    )
    return perm


def create(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Page = apps.get_model("wagtailcore", "Page")
    Collection = apps.get_model("wagtailcore", "Collection")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")

    leads, _ = Group.objects.get_or_create(name=GROUP_NAME)
    leads.permissions.add(permission(apps, "wagtailadmin", "admin", "access_admin"))
    root_page = Page.objects.filter(depth=1).order_by("path").first()
    if root_page is not None:
        for codename in PAGE_PERMISSIONS:
            GroupPagePermission.objects.get_or_create(
                group=leads,
                page=root_page,
                permission=permission(apps, "wagtailcore", "page", codename),
            )
        # Approval is a choice made page by page, not a default for the whole site.
        WorkflowPage.objects.filter(page=root_page, workflow__name="Moderators approval").delete()
    root_collection = Collection.objects.filter(depth=1).order_by("path").first()
    if root_collection is not None:
        for (app_label, model), codenames in COLLECTION_PERMISSIONS.items():
            for codename in codenames:
                GroupCollectionPermission.objects.get_or_create(
                    group=leads,
                    collection=root_collection,
                    permission=permission(apps, app_label, model, codename),
                )

    task_type, _ = ContentType.objects.get_or_create(
        app_label="wagtailcore", model="groupapprovaltask"
    )
    task = GroupApprovalTask.objects.filter(name=TASK_NAME).first()
    if task is None:
        task = GroupApprovalTask.objects.create(name=TASK_NAME, content_type=task_type)
    task.groups.add(leads)
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW_NAME, defaults={"active": True})
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})


def remove(apps, schema_editor):
    apps.get_model("wagtailcore", "Workflow").objects.filter(name=WORKFLOW_NAME).delete()
    apps.get_model("wagtailcore", "Task").objects.filter(name=TASK_NAME).delete()
    apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("focusgroups", "0001_initial"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("accounts", "0001_communications_editors"),
    ]

    operations = [migrations.RunPython(create, remove)]
