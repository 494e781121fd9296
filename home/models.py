"""The site's root page, general content pages and site-wide settings."""

from django.db import models
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from home.blocks import BodyStreamBlock
from pagecache import tags


@register_setting(icon="site")
class SiteSettings(BaseSiteSetting):
    """Facts about the society shown on every page (header and footer)."""

    society_name = models.CharField(
        max_length=120,
        default="British Cardiovascular Interventional Society",
        help_text="The society's full name, shown in the header and footer of every page.",
    )
    society_short_name = models.CharField(
        max_length=20,
        default="BCIS",
        help_text="The short name or initials, used where space is tight (for example on phones).",
    )
    contact_email = models.EmailField(
        blank=True,
        help_text="The address visitors can write to. Shown in the footer. Leave empty to hide.",
    )
    footer_text = models.CharField(
        max_length=300,
        blank=True,
        help_text="One line shown at the bottom of every page, for example the charity number.",
    )

    panels = [
        MultiFieldPanel(
            [FieldPanel("society_name"), FieldPanel("society_short_name")], heading="Society"
        ),
        MultiFieldPanel([FieldPanel("contact_email"), FieldPanel("footer_text")], heading="Footer"),
    ]

    class Meta:
        verbose_name = "Site settings"

    @classmethod
    def for_site(cls, site):
        """Every page shows these; keep them in the cache until an editor saves them."""
        return tags.remember(
            f"sitesettings:{site.pk if site else 0}",
            ["settings"],
            lambda: super(SiteSettings, cls).for_site(site),
        )


class HomePage(Page):
    """The front page: who the society's focus groups are, and a list of them."""

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["focusgroups.FocusGroupIndexPage", "home.StandardPage"]
    max_count = 1

    introduction = RichTextField(
        features=["bold", "italic", "link"],
        help_text="A short welcome under the page title: what the focus groups are and do.",
    )
    body = StreamField(
        BodyStreamBlock(),
        blank=True,
        help_text="Optional extra sections shown below the list of focus groups.",
    )

    content_panels = Page.content_panels + [FieldPanel("introduction"), FieldPanel("body")]

    search_fields = Page.search_fields + [
        index.SearchField("introduction"),
        index.SearchField("body"),
    ]

    def get_focus_groups(self):
        from focusgroups.models import FocusGroupPage

        return (
            FocusGroupPage.objects.live()
            .public()
            .descendant_of(self)
            .order_by("path")
            .only("id", "title", "summary", "url_path", "path", "depth")
        )

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["focus_groups"] = self.get_focus_groups()
        tags.add("type:focusgroups.focusgrouppage")  # any group's title or summary may change
        return context


class StandardPage(Page):
    """A general page: about, privacy notice, a members-only note and the like."""

    parent_page_types = ["home.HomePage", "home.StandardPage", "focusgroups.FocusGroupPage"]
    subpage_types = ["home.StandardPage"]

    introduction = models.TextField(
        blank=True,
        max_length=600,
        help_text="Optional short summary shown in large text under the title.",
    )
    body = StreamField(BodyStreamBlock(), help_text="The main content of the page.")

    content_panels = Page.content_panels + [FieldPanel("introduction"), FieldPanel("body")]

    search_fields = Page.search_fields + [
        index.SearchField("introduction"),
        index.SearchField("body"),
    ]
