"""The site's root page, general content pages and site-wide settings."""

import datetime as dt

from django.db import models
from django.utils import timezone
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from focusgroups.blocks import BodyStreamBlock
from focusgroups.previews import DevicePreviewSizes
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


class HomePage(DevicePreviewSizes, Page):
    """The front page: what is new across the focus groups (milestones, papers, open training
    opportunities) and a short list of the groups."""

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

    # How many of the newest milestones and papers the home page shows.
    LATEST_COUNT = 4

    def get_focus_groups(self):
        from focusgroups.models import FocusGroupPage

        return list(
            FocusGroupPage.objects.live()
            .public()
            .descendant_of(self)
            .order_by("path")
            .only("id", "title", "summary", "url_path", "path", "depth")
        )

    def get_news(self, groups, now, request=None):
        """What is new across the listed groups: the newest milestones and papers, and every
        open training opportunity (soonest deadline first). Three queries however many groups
        there are; each item's `group` is one of `groups`, so links cost nothing more."""
        from focusgroups.models import (
            FocusGroupMilestone,
            FocusGroupOpportunity,
            FocusGroupPaper,
        )

        by_id = {group.pk: group for group in groups}
        milestones = list(
            FocusGroupMilestone.objects.filter(page_id__in=by_id).order_by(
                "-date", "-sort_order", "-pk"
            )[: self.LATEST_COUNT]
        )
        papers = list(
            FocusGroupPaper.objects.filter(page_id__in=by_id).order_by(
                models.F("date").desc(nulls_last=True), "-pk"
            )[: self.LATEST_COUNT]
        )
        # A deadline passes at the earliest at 00:00 in the furthest-east zone: the query keeps
        # yesterday's too, and is_open() decides to the minute.
        opportunities = [
            opportunity
            for opportunity in FocusGroupOpportunity.objects.filter(page_id__in=by_id).filter(
                models.Q(deadline_date__isnull=True)
                | models.Q(deadline_date__gte=now.date() - dt.timedelta(days=1))
            )
            if opportunity.is_open(now)
        ]
        far_future = dt.datetime.max.replace(tzinfo=dt.UTC)
        opportunities.sort(key=lambda o: (o.deadline_at or far_future, o.page_id, o.sort_order))
        for item in (*milestones, *papers, *opportunities):
            item.group = by_id[item.page_id]
        for opportunity in opportunities:
            opportunity.calendar_url = opportunity.group.get_calendar_url(opportunity, request, now)
        return milestones, papers, opportunities

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        now = timezone.now()
        groups = self.get_focus_groups()
        milestones, papers, opportunities = self.get_news(groups, now, request)
        context.update(
            {
                "focus_groups": groups,
                "latest_milestones": milestones,
                "latest_papers": papers,
                "open_opportunities": opportunities,
            }
        )
        # Publishing, moving or hiding any focus group page (its milestones, papers and
        # opportunities are saved with it) makes this page stale; so does the next deadline.
        tags.add(
            "type:focusgroups.focusgrouppage",
            "restrictions",
            *(f"page:{group.pk}" for group in groups),
        )
        tags.expire_at(min((o.deadline_at for o in opportunities if o.deadline_at), default=None))
        return context


class StandardPage(DevicePreviewSizes, Page):
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
