from django.conf import settings
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.generic import TemplateView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap

from home.views import members_area, serve_page
from search import views as search_views


class RobotsView(TemplateView):
    template_name = "robots.txt"
    content_type = "text/plain; charset=utf-8"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sitemap_url"] = self.request.build_absolute_uri("/sitemap.xml")
        return context


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says; send them to the hashed SVG."""
    return redirect(static("img/favicon.svg"))


# The site's error pages carry the security headers whatever failed (accounts/errors.py).
handler400 = "accounts.errors.bad_request"
handler403 = "accounts.errors.permission_denied"
handler404 = "accounts.errors.page_not_found"
handler500 = "accounts.errors.server_error"

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include("documents.urls")),
    path("search/", search_views.search, name="search"),
    path("sitemap.xml", sitemap, name="sitemap"),
    path("robots.txt", RobotsView.as_view(), name="robots_txt"),
    path("favicon.ico", favicon),
    path("alerts/", include("alerts.urls")),
    path("members/", members_area, name="members_area"),
]

urlpatterns += [path("accounts/", include("accounts.urls"))]

if settings.DEBUG:
    from django.conf.urls.static import static as media_static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    # Images only: documents are always served through Wagtail's view, which checks privacy.
    for folder in ("images", "original_images"):
        urlpatterns += media_static(
            f"{settings.MEDIA_URL}{folder}/", document_root=settings.MEDIA_ROOT / folder
        )

urlpatterns += [
    # Wagtail's own page pattern, served through a faster route lookup (home/views.py).
    re_path(r"^((?:[\w\-]+/)*)$", serve_page, name="serve_page"),
    re_path(r"", include(wagtail_urls)),
]
