"""Focus group pages: the index of groups and each group's own page."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import models
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.text import slugify
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    PageChooserPanel,
    TabbedInterface,
)
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.documents import get_document_model_string
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from focusgroups.blocks import FocusGroupStreamBlock
from focusgroups.calendar import opportunity_ics
from focusgroups.forms import FocusGroupPageForm
from focusgroups.previews import DevicePreviewSizes
from pagecache import tags

UK_TIME_ZONE = ZoneInfo("Europe/London")

# Time zones an editor can enter a deadline in. Keys are IANA names, which know summer time.
DEADLINE_TIME_ZONES = [
    ("Europe/London", "UK time (GMT in winter, BST in summer)"),
    ("Europe/Paris", "Central European time (CET in winter, CEST in summer)"),
    ("Europe/Athens", "Eastern European time (EET in winter, EEST in summer)"),
    ("UTC", "UTC"),
    ("America/New_York", "US Eastern time (EST/EDT)"),
    ("America/Chicago", "US Central time (CST/CDT)"),
    ("America/Los_Angeles", "US Pacific time (PST/PDT)"),
]

RICH_TEXT_FEATURES = ["bold", "italic", "link", "document-link", "ol", "ul"]


class FocusGroupIndexPage(DevicePreviewSizes, Page):
    """Lists the society's focus groups. There is one, at /focus-groups/."""

    parent_page_types = ["home.HomePage"]
    subpage_types = ["focusgroups.FocusGroupPage"]
    max_count = 1

    introduction = RichTextField(
        blank=True,
        features=["bold", "italic", "link"],
        help_text="A short paragraph above the list: what focus groups are and how they work.",
    )

    content_panels = Page.content_panels + [FieldPanel("introduction")]

    search_fields = Page.search_fields + [index.SearchField("introduction")]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["focus_groups"] = (
            FocusGroupPage.objects.child_of(self).live().public().order_by("path")
        )
        tags.add(f"children:{self.pk}")
        return context


class FocusGroupPage(DevicePreviewSizes, RoutablePageMixin, Page):
    """One focus group: its case, aims, progress, members, papers and opportunities."""

    parent_page_types = ["focusgroups.FocusGroupIndexPage"]
    subpage_types = ["home.StandardPage", "registry.InterestRegisterPage"]
    base_form_class = FocusGroupPageForm

    summary = models.TextField(
        max_length=400,
        help_text=(
            "One or two sentences saying what this group is for. Shown in lists of focus "
            "groups on the home page and the focus groups page."
        ),
    )
    introduction = RichTextField(
        features=RICH_TEXT_FEATURES,
        help_text=(
            "The clinical need, in plain words and with the key figures: why this group exists."
        ),
    )
    participants = RichTextField(
        blank=True,
        features=RICH_TEXT_FEATURES,
        help_text="Who takes part: the kinds of clinicians and organisations in the group.",
    )
    aim = RichTextField(
        blank=True, features=RICH_TEXT_FEATURES, help_text="What the group wants to achieve."
    )
    remit = RichTextField(
        blank=True,
        features=RICH_TEXT_FEATURES,
        help_text="What the group has been asked to do, and with whom.",
    )
    ongoing_work = RichTextField(
        blank=True,
        features=RICH_TEXT_FEATURES,
        help_text=(
            "Work still in progress, shown after the dated milestones under 'Progress'. "
            "Leave empty if there is none."
        ),
    )
    body = StreamField(
        FocusGroupStreamBlock(),
        blank=True,
        help_text="Optional extra sections, shown after the group's papers.",
    )
    call_to_action_heading = models.CharField(
        max_length=120,
        blank=True,
        default="Register your interest",
        help_text="Heading of the box that invites visitors to join the interest register.",
    )
    call_to_action_text = models.TextField(
        max_length=600,
        blank=True,
        help_text="One or two sentences under that heading saying who should register and why.",
    )
    call_to_action_page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=("The interest register page the button leads to. Leave empty to hide the box."),
    )
    call_to_action_label = models.CharField(
        max_length=60,
        blank=True,
        default="Register your interest",
        help_text="The words on the button.",
    )

    content_panels = Page.content_panels + [
        FieldPanel("summary"),
        FieldPanel("introduction"),
        FieldPanel("participants"),
        FieldPanel("aim"),
        FieldPanel("remit"),
        MultiFieldPanel(
            [
                InlinePanel(
                    "milestones",
                    label="Milestone",
                    heading="Dated milestones",
                    help_text="Shown oldest first, whatever order they are entered in.",
                ),
                FieldPanel("ongoing_work"),
            ],
            heading="Progress",
        ),
        FieldPanel("body"),
        MultiFieldPanel(
            [
                FieldPanel("call_to_action_heading"),
                FieldPanel("call_to_action_text"),
                # Offers register pages only. Wagtail's chooser opens at the chosen page's
                # parent (this group, once its first register is published and chosen
                # automatically: registry/signals.py), else where registers are.
                PageChooserPanel("call_to_action_page", page_type="registry.InterestRegisterPage"),
                FieldPanel("call_to_action_label"),
            ],
            heading="Call to action",
        ),
    ]
    member_panels = [
        InlinePanel(
            "members",
            label="Member",
            heading="Members",
            help_text="Drag to change the order in which members are listed.",
        ),
    ]
    paper_panels = [
        InlinePanel(
            "papers",
            label="Paper",
            heading="Papers",
            help_text="Each version of a paper is its own entry, for example 'As presented to "
            "Council' and 'Published version'.",
        ),
    ]
    opportunity_panels = [
        InlinePanel(
            "opportunities",
            label="Opportunity",
            heading="Training opportunities",
            help_text="Fellowships, courses and posts. Each closes by itself after its deadline.",
        ),
    ]

    edit_handler = TabbedInterface(
        [
            ObjectList(content_panels, heading="Content"),
            ObjectList(member_panels, heading="Members"),
            ObjectList(paper_panels, heading="Papers"),
            ObjectList(opportunity_panels, heading="Opportunities"),
            ObjectList(Page.promote_panels, heading="Promote"),
            ObjectList(Page.settings_panels, heading="Settings"),
        ]
    )

    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("introduction"),
        index.SearchField("participants"),
        index.SearchField("aim"),
        index.SearchField("remit"),
        index.SearchField("ongoing_work"),
        index.SearchField("body"),
        index.RelatedFields("members", [index.SearchField("name"), index.SearchField("hospital")]),
        index.RelatedFields(
            "papers", [index.SearchField("title"), index.SearchField("description")]
        ),
        index.RelatedFields("opportunities", [index.SearchField("title")]),
    ]

    def get_milestones(self):
        return sorted(self.milestones.all(), key=lambda m: (m.date, m.sort_order or 0))

    def get_papers(self):
        """Papers with the versions of each together (by paper name, in the editor's order);
        each version's `heading` is the title of its paper's current version (or its first)."""
        groups = {}
        for paper in self.papers.all().select_related("document"):
            groups.setdefault(paper.group_key, []).append(paper)
        papers = []
        for versions in groups.values():
            current = next((v for v in versions if v.is_current), versions[0])
            for version in versions:
                version.heading = current.title
            papers += versions
        return papers

    def get_opportunities(self, now=None):
        """Open opportunities first (soonest deadline first), then closed ones (latest first)."""
        now = now or timezone.now()
        opportunities = list(self.opportunities.all())
        open_ = [o for o in opportunities if o.is_open(now)]
        closed = [o for o in opportunities if not o.is_open(now)]
        far_future = dt.datetime.max.replace(tzinfo=dt.UTC)
        open_.sort(key=lambda o: o.deadline_at or far_future)
        closed.sort(key=lambda o: o.deadline_at, reverse=True)
        return open_ + closed

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        now = timezone.now()
        opportunities = self.get_opportunities(now)
        in_preview = getattr(request, "is_preview", False)
        for opportunity in opportunities:
            opportunity.calendar_url = (
                None if in_preview else self.get_calendar_url(opportunity, request, now)
            )
        # The page changes by itself when the next open deadline passes.
        tags.expire_at(
            min(
                (o.deadline_at for o in opportunities if o.is_open(now) and o.deadline_at),
                default=None,
            )
        )
        context.update(
            {
                "call_to_action_url": self.get_call_to_action_url(request),
                "now": now,
                "milestones": self.get_milestones(),
                "members": list(self.members.all()),
                "papers": self.get_papers(),
                "opportunities": opportunities,
            }
        )
        return context

    def get_call_to_action_url(self, request):
        """Where the call to action's button leads, or None while that page is not live. Kept in
        the cache until that page or this one is published again (no query on most views)."""
        target_id = self.call_to_action_page_id
        if not target_id:
            return None

        def find_url():
            target = Page.objects.live().filter(pk=target_id).first()
            return target.get_url(request) if target else None

        return tags.remember(
            f"focusgroups:cta:{self.pk}:{target_id}",
            [f"page:{target_id}", f"page:{self.pk}"],
            find_url,
            timeout=600,
        )

    def get_calendar_url(self, opportunity, request=None, now=None):
        """The address of the .ics file for an open deadline, or None. Only a saved opportunity
        on a saved page has one: a preview shows unsaved ones, and leaves the link out."""
        if not (self.pk and opportunity.pk and opportunity.deadline_at):
            return None
        if not opportunity.is_open(now):
            return None
        page_url = self.get_url(request)
        if not page_url:
            return None
        return page_url + self.reverse_subpage("opportunity_ics", args=[opportunity.pk])

    @path("opportunities/<int:opportunity_id>/add-to-calendar/", name="opportunity_ics")
    def opportunity_calendar(self, request, opportunity_id):
        opportunity = self.opportunities.filter(pk=opportunity_id).first()
        if opportunity is None or not opportunity.deadline_at or not opportunity.is_open():
            raise Http404("No open deadline to add to a calendar.")
        body = opportunity_ics(opportunity, page_url=self.get_full_url(request), request=request)
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        filename = f"{slugify(opportunity.title)[:60] or 'deadline'}-deadline.ics"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class InOrder(Orderable):
    """An item in one of the page's lists, kept in the order it is listed.

    The editor's form numbers the items (sort_order). Items made in code (the demo loader, a
    migration) come without numbers, and on PostgreSQL rows that tie may come back in any
    order: so an item saved without a number gets the next one, and as the page saves its
    items in list order, the list order is kept."""

    class Meta(Orderable.Meta):
        abstract = True

    def save(self, *args, **kwargs):
        if self.sort_order is None:
            highest = type(self).objects.aggregate(highest=models.Max("sort_order"))["highest"]
            self.sort_order = (highest or 0) + 1
        super().save(*args, **kwargs)


class FocusGroupMilestone(InOrder):
    """A dated step in the group's progress, such as a paper presented to Council."""

    page = ParentalKey(FocusGroupPage, on_delete=models.CASCADE, related_name="milestones")
    date = models.DateField(
        help_text="Any day in the month it happened: only the month and year are shown.",
    )
    title = models.CharField(
        max_length=160, help_text='A short headline, e.g. "Paper presented to BCIS Council".'
    )
    description = models.TextField(
        blank=True, max_length=1000, help_text="Optional. A sentence or two of detail."
    )

    panels = [FieldPanel("date"), FieldPanel("title"), FieldPanel("description")]

    def __str__(self):
        return f"{self.date:%B %Y}: {self.title}"


class FocusGroupMember(InOrder):
    """A person in the group. Only the name is required."""

    page = ParentalKey(FocusGroupPage, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(max_length=120, help_text="Full name as it should appear.")
    hospital = models.CharField(
        max_length=160,
        blank=True,
        help_text="Hospital or NHS trust. Leave empty if not known; nothing is shown then.",
    )
    role = models.CharField(
        max_length=120,
        blank=True,
        help_text='Role in the group, e.g. "Chair". Leave empty if the member has no named role.',
    )

    panels = [FieldRowPanel([FieldPanel("name"), FieldPanel("hospital"), FieldPanel("role")])]

    def __str__(self):
        return self.name


class FocusGroupPaper(InOrder):
    """One version of a paper, with its file, or none yet ("coming soon")."""

    page = ParentalKey(FocusGroupPage, on_delete=models.CASCADE, related_name="papers")
    title = models.CharField(max_length=300, help_text="The paper's full title.")
    paper_name = models.CharField(
        "paper",
        max_length=100,
        blank=True,
        help_text=(
            "A short name that is the same for every version of this paper, e.g. 'Stroke "
            "pathway paper'. Versions with the same name are shown as one paper, even if a "
            "version's title changed. Leave empty if the paper has only one version."
        ),
    )
    is_current = models.BooleanField(
        "current version",
        default=False,
        help_text=(
            "Tick for the version readers should use now; the page marks it 'Current version'. "
            "Tick one version per paper."
        ),
    )
    version_label = models.CharField(
        max_length=80,
        help_text='Which version this is, e.g. "As presented to Council" or "Published version".',
    )
    date = models.DateField(
        null=True,
        blank=True,
        help_text="When this version was presented or published. Only month and year are shown.",
    )
    description = models.TextField(
        blank=True, max_length=1000, help_text="Optional. One or two sentences about the paper."
    )
    document = models.ForeignKey(
        get_document_model_string(),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=(
            "The file to download. Leave empty if this version is not ready yet: the page "
            "then says 'coming soon'."
        ),
    )

    panels = [
        FieldPanel("title"),
        FieldRowPanel([FieldPanel("paper_name"), FieldPanel("is_current")]),
        FieldRowPanel([FieldPanel("version_label"), FieldPanel("date")]),
        FieldPanel("description"),
        FieldPanel("document"),
    ]

    def __str__(self):
        return f"{self.title} ({self.version_label})"

    @property
    def group_key(self):
        """Which paper this version belongs to: its paper name, or itself alone."""
        return self.paper_name.strip().casefold() or f"#{self.pk or id(self)}"


class FocusGroupOpportunity(InOrder):
    """A training opportunity with an application deadline in a stated time zone."""

    page = ParentalKey(FocusGroupPage, on_delete=models.CASCADE, related_name="opportunities")
    title = models.CharField(
        max_length=160, help_text='Name of the opportunity, e.g. "ESMINT Fellowships".'
    )
    summary = models.TextField(
        max_length=1000, help_text="Who it is for and what it offers, in a sentence or two."
    )
    link = models.URLField(
        blank=True, help_text="Web address where people read more and apply. Optional."
    )
    deadline_date = models.DateField(
        null=True,
        blank=True,
        help_text="Last day to apply. Leave empty if applications are open with no deadline.",
    )
    deadline_time = models.TimeField(
        default=dt.time(23, 59),
        help_text="Time of day the deadline falls, in the time zone below (24-hour clock).",
    )
    deadline_time_zone = models.CharField(
        max_length=40,
        choices=DEADLINE_TIME_ZONES,
        default="Europe/London",
        help_text=(
            "The time zone the organiser gives the deadline in, e.g. 'Central European' for "
            "CEST. The page shows it in UK time as well, and closes it automatically."
        ),
    )

    panels = [
        FieldPanel("title"),
        FieldPanel("summary"),
        FieldPanel("link"),
        FieldRowPanel(
            [FieldPanel("deadline_date"), FieldPanel("deadline_time")], heading="Deadline"
        ),
        FieldPanel("deadline_time_zone"),
    ]

    def __str__(self):
        return self.title

    @property
    def deadline_at(self):
        """The deadline as an aware datetime in the organiser's zone, or None."""
        if not self.deadline_date:
            return None
        return dt.datetime.combine(
            self.deadline_date, self.deadline_time, tzinfo=ZoneInfo(self.deadline_time_zone)
        )

    @property
    def deadline_uk(self):
        deadline = self.deadline_at
        return deadline.astimezone(UK_TIME_ZONE) if deadline else None

    @property
    def shows_uk_time_separately(self):
        deadline = self.deadline_at
        return bool(deadline) and deadline.utcoffset() != self.deadline_uk.utcoffset()

    def is_open(self, now=None):
        deadline = self.deadline_at
        if deadline is None:
            return True
        return (now or timezone.now()) <= deadline

    @property
    def deadline_display(self):
        """'27 June 2022, 23:59 CEST': the deadline as the organiser gave it."""
        return format_moment(self.deadline_at)

    @property
    def deadline_uk_display(self):
        """'22:59 BST': the same moment in UK time (with the date if it differs)."""
        deadline, uk = self.deadline_at, self.deadline_uk
        if uk is None:
            return ""
        if uk.date() != deadline.date():
            return format_moment(uk)
        return f"{uk:%H:%M %Z}"

    @property
    def deadline_iso(self):
        deadline = self.deadline_at
        return deadline.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if deadline else ""


def format_moment(value):
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y, %H:%M %Z}"
