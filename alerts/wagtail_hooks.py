"""Opportunity alerts in the admin: a menu item and the screens (alerts/admin_views.py), for
register managers only."""

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from alerts import admin_views


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
