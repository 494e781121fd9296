"""Opportunity alerts in the admin: a menu item, the screens (alerts/admin_views.py) and, on a
focus group page's "more" menu, one "Send an alert" item per open opportunity. Register
managers only."""

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets import Button

from alerts import admin_views
from focusgroups.models import FocusGroupOpportunity


class ManagersMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(admin_views.PERMISSION)


admin_patterns = [
    path("", admin_views.index, name="index"),
    path("opportunity/<int:opportunity_id>/", admin_views.prepare, name="prepare"),
    path("<int:alert_id>/", admin_views.detail, name="detail"),
    path("<int:alert_id>/send/", admin_views.send, name="send"),
]


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [path("alerts/", include((admin_patterns, "alerts_admin"), namespace="alerts_admin"))]


@hooks.register("register_admin_menu_item")
def register_menu_item():
    return ManagersMenuItem(
        "Opportunity alerts", reverse("alerts_admin:index"), icon_name="mail", order=510
    )


@hooks.register("register_page_header_buttons")
def alert_buttons_for_opportunities(page, user, view_name, next_url=None):
    if not user.has_perm(admin_views.PERMISSION):
        return
    # The live rows: the page shown may be a draft, whose copies can carry other ids.
    for opportunity in FocusGroupOpportunity.objects.filter(page_id=page.pk):
        if opportunity.is_open():
            yield Button(
                f"Send an alert: {opportunity.title}",
                reverse("alerts_admin:prepare", args=[opportunity.pk]),
                icon_name="mail",
                priority=80,
            )
