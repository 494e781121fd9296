"""The optional approval step: focus group leads approve what communications editors submit.

Off for every page until an administrator assigns the workflow to a page; then an editor's
"Submit for moderation" waits for a lead, whom the editor cannot stand in for.
"""

import pytest
from django.contrib.auth.models import Group
from wagtail.models import Page, Workflow, WorkflowPage

from tests.test_focusgroups import editor_post_data

pytestmark = pytest.mark.django_db

WORKFLOW = "Approval by a focus group lead"


def user_in(django_user_model, username, group):
    user = django_user_model.objects.create_user(username, f"{username}@example.org", "pw-12345")
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def editor(django_user_model):
    return user_in(django_user_model, "comms", "Communications editors")


@pytest.fixture
def lead(django_user_model):
    return user_in(django_user_model, "lead", "Focus group leads")


def test_no_page_needs_approval_until_an_administrator_assigns_the_workflow(make_focus_group):
    page = make_focus_group(n=0)
    assert page.get_workflow() is None
    assert not WorkflowPage.objects.filter(page=Page.get_first_root_node()).exists()
    workflow = Workflow.objects.get(name=WORKFLOW)
    assert workflow.active
    (task,) = workflow.tasks.all()
    assert [g.name for g in task.specific.groups.all()] == ["Focus group leads"]


def test_a_submitted_change_waits_for_a_lead_and_the_editor_cannot_approve_it(
    make_focus_group, editor, lead, client
):
    page = make_focus_group(n=0)
    WorkflowPage.objects.create(page=page, workflow=Workflow.objects.get(name=WORKFLOW))

    client.force_login(editor)
    data = editor_post_data(page, summary="A summary waiting for approval.")
    data["action-submit"] = "action-submit"
    assert client.post(f"/admin/pages/{page.pk}/edit/", data).status_code == 302
    page.refresh_from_db()
    state = page.current_workflow_state
    assert state is not None and state.status == "in_progress"
    assert page.live_revision.as_object().summary != "A summary waiting for approval."
    task = state.current_task_state.task.specific
    assert task.get_actions(page, editor) == []

    approve_url = f"/admin/pages/workflow/action/{page.pk}/approve/{state.current_task_state.pk}/"
    assert client.post(approve_url).status_code in (302, 403)
    page.refresh_from_db()
    assert page.current_workflow_state.status == "in_progress"  # the editor's click did nothing

    assert [name for name, *_ in task.get_actions(page, lead)][:1] == ["reject"] or any(
        name == "approve" for name, *_ in task.get_actions(page, lead)
    )
    client.force_login(lead)
    assert client.post(approve_url).status_code == 302
    page.refresh_from_db()
    assert page.live_revision.as_object().summary == "A summary waiting for approval."
    assert page.current_workflow_state is None
