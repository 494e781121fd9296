"""Admin: the "Search terms" report, open to the editors who manage promoted search results.

Wagtail's own report is for administrators only; communications editors pick search terms to
promote pages for, so they see the same report under Reports → Search terms.
"""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.auth import permission_denied
from wagtail.admin.menu import MenuItem
from wagtail.contrib.search_promotions.views.reports import SearchTermsReportView

PROMOTION_PERMISSIONS = [
    f"wagtailsearchpromotions.{action}_searchpromotion" for action in ("add", "change", "delete")
]


def can_promote(user):
    return user.is_superuser or any(user.has_perm(perm) for perm in PROMOTION_PERMISSIONS)


class EditorsSearchTermsReportView(SearchTermsReportView):
    """Wagtail's search terms report (most searched first), for anyone who may promote results."""

    index_url_name = "search_terms_report"
    index_results_url_name = "search_terms_report_results"

    def dispatch(self, request, *args, **kwargs):
        if not can_promote(request.user):
            return permission_denied(request)
        # Skip SearchTermsReportView.dispatch, which admits administrators only.
        return super(SearchTermsReportView, self).dispatch(request, *args, **kwargs)


class PromotersMenuItem(MenuItem):
    def is_shown(self, request):
        return can_promote(request.user)


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [
        path(
            "reports/popular-search-terms/",
            EditorsSearchTermsReportView.as_view(),
            name="search_terms_report",
        ),
        path(
            "reports/popular-search-terms/results/",
            EditorsSearchTermsReportView.as_view(results_only=True),
            name="search_terms_report_results",
        ),
    ]


@hooks.register("register_reports_menu_item")
def register_search_terms_menu_item():
    return PromotersMenuItem(
        "Search terms",
        reverse("search_terms_report"),
        name="popular-search-terms",
        icon_name="search",
        order=1300,
    )


@hooks.register("construct_reports_menu")
def hide_administrators_only_search_terms(request, menu_items):
    # The report above replaces Wagtail's own (the same report, for administrators only).
    menu_items[:] = [item for item in menu_items if item.name != "search-terms"]
