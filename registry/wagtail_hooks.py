"""Everything the register adds to the Wagtail admin: the "Interest register" menu (entries,
who is notified of new entries, and the export log, through wagtail-modeladmin), the dashboard
panel, and keeping register pages out of Wagtail's generic "Forms" area so that personal data
is only ever shown to register managers.

Access: the "Register managers" group (created by a data migration) holds the permissions
to view and delete entries and to view the export log. Who may view entries may also set who
is emailed about new ones (the emails carry entry details). Anyone else, editors included,
sees no register menu and gets 403 from its addresses.
"""

import datetime as dt
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django import forms
from django.contrib.admin import SimpleListFilter
from django.contrib.admin import display as admin_display
from django.db.models import Count, Q
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import capfirst
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.components import Component
from wagtail.models import Page
from wagtail_modeladmin.helpers import PermissionHelper
from wagtail_modeladmin.options import ModelAdmin, ModelAdminGroup, modeladmin_register
from wagtail_modeladmin.views import IndexView, InspectView

from registry.forms import RegisterForm
from registry.models import (
    ExportLog,
    InterestRegisterPage,
    RegisterEntry,
    RegisterNotificationSettings,
)
from registry.spreadsheet import neutralise

VIEW_ENTRIES = "registry.view_registerentry"


class EntryPermissionHelper(PermissionHelper):
    """Entries are read and deleted, never created or edited by staff: what a registrant
    agreed to stays exactly as they sent it."""

    def user_can_list(self, user):
        return user.has_perm(VIEW_ENTRIES)

    def user_can_inspect_obj(self, user, obj):
        return user.has_perm(VIEW_ENTRIES)

    def user_can_create(self, user):
        return False

    def user_can_edit_obj(self, user, obj):
        return False

    def user_can_delete_obj(self, user, obj):
        return user.has_perm(VIEW_ENTRIES) and user.has_perm("registry.delete_registerentry")


class ExportLogPermissionHelper(PermissionHelper):
    def user_can_list(self, user):
        return user.has_perm("registry.view_exportlog")

    def user_can_inspect_obj(self, user, obj):
        return False

    def user_can_create(self, user):
        return False

    def user_can_edit_obj(self, user, obj):
        return False

    def user_can_delete_obj(self, user, obj):
        return False


class NotificationSettingsPermissionHelper(PermissionHelper):
    """Where new entries' details are emailed is register data: only people who may view the
    entries may see or change it (not page editors, whatever page permissions they hold)."""

    def user_can_list(self, user):
        return user.has_perm(VIEW_ENTRIES)

    def user_can_create(self, user):
        return user.has_perm(VIEW_ENTRIES)

    def user_can_inspect_obj(self, user, obj):
        return False

    def user_can_edit_obj(self, user, obj):
        return user.has_perm(VIEW_ENTRIES)

    def user_can_delete_obj(self, user, obj):
        return user.has_perm(VIEW_ENTRIES)


# Times are exported in UK time, to the second, and each heading says so.
EXPORT_TIME_ZONE = ZoneInfo("Europe/London")
UK_TIME = " (UK time)"
CORE_EXPORT = [
    ("created_at", "Registered" + UK_TIME),
    ("page", "Register"),
    ("full_name", "Full name"),
    ("email", "Email"),
    ("gmc_number", "GMC number"),
    ("get_role_display", "Role"),
    ("role_other", "Role (if other)"),
    ("hospital", "Hospital or trust"),
    ("get_region_display", "Region"),
    ("experience", "Experience"),
    ("experience_details", "Experience details"),
    ("get_training_intention_display", "Training intention"),
    ("comments", "Comments"),
    ("consent_privacy_at", "Agreed to privacy notice" + UK_TIME),
    ("consent_contact_at", "Agreed to contact about training" + UK_TIME),
    ("consent_share_at", "Agreed to sharing with partner programme" + UK_TIME),
    ("consent_wording_version", "Consent wording version"),
    ("confirmed_at", "Last confirmed" + UK_TIME),
]
EXTRA_PREFIX = "extra:"


class EntryIndexView(IndexView):
    """The entries list. Its CSV and XLSX downloads hold the filtered list, one column per
    further question, with every text value made safe for spreadsheets; each download is
    written to the export log."""

    def as_spreadsheet(self, queryset, spreadsheet_format):
        queryset = queryset.select_related("page")
        rows = list(queryset)
        questions = export_questions(rows, self.request.GET.get(RegisterFilter.parameter_name))
        self.list_export = [name for name, _ in CORE_EXPORT] + [
            f"{EXTRA_PREFIX}{key}" for key in questions
        ]
        self.export_headings = dict(CORE_EXPORT)
        self.export_headings.update({f"{EXTRA_PREFIX}{k}": v for k, v in questions.items()})
        ExportLog.objects.create(
            user=self.request.user,
            username=self.request.user.get_username(),
            export_format=spreadsheet_format,
            filters=describe_filters(self.request.GET),
            row_count=len(rows),
        )
        return super().as_spreadsheet(rows, spreadsheet_format)

    def get_heading(self, queryset, field):
        return self.export_headings.get(field, field)

    def to_row_dict(self, item):
        row = {}
        for field in self.list_export:
            if field.startswith(EXTRA_PREFIX):
                from registry.models import format_answer

                value = format_answer((item.extra_answers or {}).get(field[len(EXTRA_PREFIX) :]))
            else:
                value = getattr(item, field)
                value = value() if callable(value) else value
                if value is None:
                    value = ""
                elif field == "page":
                    value = value.title
            row[field] = value
        return row

    def preprocess_field_value(self, field, value, export_format):
        if isinstance(value, dt.datetime):
            value = uk_time(value)
            return value if export_format == self.FORMAT_XLSX else value.strftime(TIME_FORMAT)
        value = super().preprocess_field_value(field, value, export_format)
        # In a CSV a leading apostrophe is the only way to say "text"; an XLSX cell is
        # typed as text instead (write_xlsx), so nothing is added to what people typed.
        return neutralise(value) if export_format == self.FORMAT_CSV else value

    def stream_csv(self, queryset):
        """UTF-8 with a byte-order mark, without which Excel reads the file in the
        computer's legacy code page and "Zoë Ó'Brien-Łukasz" comes out garbled."""
        yield "\ufeff".encode()
        yield from super().stream_csv(queryset)

    def write_csv_response(self, queryset):
        response = super().write_csv_response(queryset)
        response["Content-Type"] = "text/csv; charset=utf-8"
        return response

    def write_xlsx(self, queryset, output):
        """One sheet named "Register entries": a bold, frozen heading row, columns wide
        enough to read, times as real dates, and every text value a text cell, so a value
        that looks like a formula is shown exactly as typed and never calculated."""
        headings = [self.get_heading(queryset, field) for field in self.list_export]
        rows = [
            [
                self.preprocess_field_value(field, value, self.FORMAT_XLSX)
                for field, value in self.to_row_dict(item).items()
            ]
            for item in queryset
        ]
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=SHEET_TITLE)
        for index, width in enumerate(column_widths(headings, rows), start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        heading_cells = []
        for heading in headings:
            cell = WriteOnlyCell(sheet, heading)
            cell.font = BOLD
            heading_cells.append(cell)
        sheet.append(heading_cells)
        for row in rows:
            sheet.append([xlsx_cell(sheet, value) for value in row])
        workbook.save(output)


SHEET_TITLE = "Register entries"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
XLSX_TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
MIN_WIDTH, MAX_WIDTH = 10, 60
BOLD = Font(bold=True)
WRAPPED = Alignment(wrap_text=True, vertical="top")


def uk_time(value):
    """An aware datetime as the UK clock showed it, naive (as spreadsheets want), whole seconds."""
    if timezone.is_aware(value):
        value = timezone.localtime(value, EXPORT_TIME_ZONE).replace(tzinfo=None)
    return value.replace(microsecond=0)


def xlsx_cell(sheet, value):

    cell = WriteOnlyCell(sheet, value)
    if isinstance(value, str):
        # openpyxl takes a string starting with "=" for a formula; this one is text. The
        # quote prefix keeps it text if someone edits the cell in Excel, with no apostrophe
        # in the value.
        cell.data_type = "s"
        if neutralise(value) != value:
            cell.quotePrefix = True
        if len(value) > MAX_WIDTH - 2 or "\n" in value:
            cell.alignment = WRAPPED
    elif isinstance(value, dt.datetime):
        cell.number_format = XLSX_TIME_FORMAT
    return cell


def column_widths(headings, rows):
    """A width for each column: its longest line of text, within readable bounds."""
    widths = []
    for index, heading in enumerate(headings):
        longest = len(heading)
        for row in rows:
            value = row[index]
            if isinstance(value, dt.datetime):
                longest = max(longest, len(XLSX_TIME_FORMAT))
            elif value not in (None, ""):
                longest = max(longest, *(len(line) for line in str(value).splitlines() or [""]))
        widths.append(min(max(longest + 2, MIN_WIDTH), MAX_WIDTH))
    return widths


def export_questions(rows, register_id=None):
    """{clean name: heading} of the further questions to export: those of the register the
    list is filtered to (even with no rows), else those of the registers in `rows`, then any
    answer to a question since removed. Another register's questions never appear."""
    pages = {entry.page_id: entry.page for entry in rows}
    if register_id and register_id.isdigit():
        pages = {page.pk: page for page in InterestRegisterPage.objects.filter(pk=int(register_id))}
    questions = {}
    for page_id in sorted(pages):
        for key, label in pages[page_id].extra_questions():
            questions.setdefault(key, label)
    for entry in rows:
        for key in entry.extra_answers or {}:
            questions.setdefault(key, key)
    return questions


IGNORED_PARAMS = {"export", "o", "ot", "p"}


def describe_filters(querydict):
    """The filters and search behind an export in words, e.g. 'Region: Wales; Search: barts',
    followed by the exact query string so that the same list can be opened again."""
    from django.core.exceptions import FieldDoesNotExist

    params = [(k, v) for k, values in querydict.lists() for v in values if k not in IGNORED_PARAMS]
    if not params:
        return "All entries (no filter or search)"
    words = []
    for key, value in params:
        if key == "q":
            words.append(f"Search: {value}")
            continue
        if key == "register":
            title = InterestRegisterPage.objects.filter(pk=value if value.isdigit() else None)
            words.append(f"Register: {title.values_list('title', flat=True).first() or value}")
            continue
        name, _, lookup = key.partition("__")
        try:
            field = RegisterEntry._meta.get_field(name)
        except FieldDoesNotExist:
            words.append(f"{key}={value}")
            continue
        label = str(field.verbose_name).capitalize()
        shown = dict(field.choices or []).get(value, value)
        prefix = {"gte": " from", "lt": " before"}.get(lookup, "")
        words.append(f"{label}{prefix}: {shown}")
    return "; ".join(words) + f" ({urlencode(params)})"


class EntryInspectView(InspectView):
    """One entry, its fields labelled as the registrant read them on the form (the register's
    own wording included), the rest as sentences: "Full name", not "full name"."""

    def get_field_label(self, field_name, field=None):
        label = self.form_labels().get(field_name)
        if label:
            return label.removesuffix(" (optional)")
        return capfirst(super().get_field_label(field_name, field))

    def form_labels(self):
        if not hasattr(self, "_form_labels"):
            form = RegisterForm(page=self.instance.page)
            self._form_labels = {name: str(field.label) for name, field in form.fields.items()}
            self._form_labels.update(page="Register", role_other="Role (if other)")
        return self._form_labels

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["extra_answers"] = self.instance.extra_answer_rows()
        return context


class RegisterFilter(SimpleListFilter):
    """Filter by register page (Django's related-field filter needs django.contrib.admin)."""

    title = "register"
    parameter_name = "register"

    def lookups(self, request, model_admin):
        return [
            (str(pk), title)
            for pk, title in InterestRegisterPage.objects.values_list("pk", "title")
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(page_id=int(value))
        return queryset


def forbidden(request):
    """A real 403 page. (Wagtail turns a raised PermissionDenied into a redirect to the
    dashboard; people without the permission should get a plain refusal instead.)"""
    return TemplateResponse(request, "registry/admin/forbidden.html", status=403)


class GuardedModelAdmin(ModelAdmin):
    """Checks permission before any view runs: without it, every address answers 403."""

    def allowed(self, request):
        return self.permission_helper.user_can_list(request.user)

    def index_view(self, request):
        return super().index_view(request) if self.allowed(request) else forbidden(request)

    def inspect_view(self, request, instance_pk):
        if not self.allowed(request):
            return forbidden(request)
        return super().inspect_view(request, instance_pk)

    def delete_view(self, request, instance_pk):
        if not self.allowed(request):
            return forbidden(request)
        return super().delete_view(request, instance_pk)

    def history_view(self, request, instance_pk):
        if not self.allowed(request):
            return forbidden(request)
        return super().history_view(request, instance_pk)

    # Entries and the export log are never created or edited by staff.
    staff_may_edit = False

    def create_view(self, request):
        if not (self.staff_may_edit and self.allowed(request)):
            return forbidden(request)
        return super().create_view(request)

    def edit_view(self, request, instance_pk):
        if not (self.staff_may_edit and self.allowed(request)):
            return forbidden(request)
        return super().edit_view(request, instance_pk)


class RegisterEntryAdmin(GuardedModelAdmin):
    model = RegisterEntry
    menu_label = "Entries"
    menu_icon = "list-ul"
    permission_helper_class = EntryPermissionHelper
    index_view_class = EntryIndexView
    inspect_view_class = EntryInspectView
    inspect_view_enabled = True
    inspect_template_name = "registry/admin/inspect_entry.html"
    list_display = (
        "full_name",
        "register",
        "hospital",
        "region",
        "role",
        "training_intention",
        "created_at",
    )
    list_filter = (RegisterFilter, "region", "role", "training_intention", "created_at")
    search_fields = ("full_name", "email", "gmc_number", "hospital")
    list_export = [name for name, _ in CORE_EXPORT]
    export_filename = "register-entries"
    list_per_page = 50
    inspect_view_fields = [
        "page",
        *RegisterForm.CORE_FIELDS,
        "consent_privacy_at",
        "consent_contact_at",
        "consent_share_at",
        "consent_wording_version",
        "created_at",
        "updated_at",
        "confirmed_at",
        "reconfirmation_sent_at",
        "email_problem",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("page")

    @admin_display(description="Register", ordering="page__title")
    def register(self, obj):
        return obj.page.title


class ExportLogAdmin(GuardedModelAdmin):
    model = ExportLog
    menu_label = "Export log"
    menu_icon = "history"
    permission_helper_class = ExportLogPermissionHelper
    list_display = ("exported_at", "username", "export_format", "row_count", "filters")
    list_filter = ("exported_at", "export_format")
    search_fields = ("username", "filters")


class NotificationSettingsForm(WagtailAdminModelForm):
    """The register is chosen once, when its settings are added (from the registers that have
    none yet); after that only the addresses change."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        page = self.fields["page"]
        if self.instance.pk:
            page.disabled = True
            page.queryset = InterestRegisterPage.objects.filter(pk=self.instance.page_id)
        else:
            page.queryset = InterestRegisterPage.objects.filter(notification_settings__isnull=True)


class NotificationSettingsAdmin(GuardedModelAdmin):
    model = RegisterNotificationSettings
    menu_label = "Notifications"
    menu_icon = "mail"
    permission_helper_class = NotificationSettingsPermissionHelper
    staff_may_edit = True
    list_display = ("page", "staff_notification_addresses")
    edit_handler = ObjectList(
        [
            FieldPanel("page", widget=forms.Select),
            FieldPanel("staff_notification_addresses"),
        ],
        base_form_class=NotificationSettingsForm,
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("page")


@modeladmin_register
class InterestRegisterGroup(ModelAdminGroup):
    menu_label = "Interest register"
    menu_icon = "group"
    menu_order = 250
    items = (RegisterEntryAdmin, NotificationSettingsAdmin, ExportLogAdmin)


@hooks.register("filter_form_submissions_for_user")
def keep_registers_out_of_the_forms_area(user, editable_forms):
    """Register pages are form pages, but their answers are register entries, shown only in
    the register area to register managers, never in Wagtail's generic Forms listing."""
    return editable_forms.not_type(InterestRegisterPage)


class RegisterSummaryPanel(Component):
    name = "interest_register"
    template_name = "registry/admin/dashboard_panel.html"
    order = 90

    def __init__(self, request):
        self.request = request

    def get_context_data(self, parent_context):
        entries = RegisterEntry.objects.all()
        since = timezone.now() - dt.timedelta(days=30)
        return {
            "total": entries.count(),
            "recent": entries.filter(created_at__gte=since).count(),
            "email_problems": entries.exclude(email_problem="").count(),
            "registers": register_counts(since),
            "by_region": counts(entries, "region", RegisterEntry.region.field.choices),
            "by_intention": counts(
                entries, "training_intention", RegisterEntry.training_intention.field.choices
            ),
        }


def register_counts(since):
    """[{title, url, total, recent, email_problems}] for every register, entries or not, in
    one query: register managers see each register's numbers separately."""
    index = reverse("registry_registerentry_modeladmin_index")
    rows = (
        InterestRegisterPage.objects.order_by("title", "pk")
        .annotate(
            total=Count("entries"),
            recent=Count("entries", filter=Q(entries__created_at__gte=since)),
            email_problems=Count("entries", filter=Q(entries__email_problem__gt="")),
        )
        .values_list("pk", "title", "total", "recent", "email_problems")
    )
    return [
        {
            "title": title,
            "url": f"{index}?{urlencode({RegisterFilter.parameter_name: pk})}",
            "total": total,
            "recent": recent,
            "email_problems": email_problems,
        }
        for pk, title, total, recent, email_problems in rows
    ]


def counts(entries, column, choices):
    """Exact counts for register managers (the public picture hides small numbers)."""
    found = dict(entries.order_by().values_list(column).annotate(n=Count("pk")))
    return [(label, found.get(key, 0)) for key, label in choices]


@hooks.register("insert_global_admin_css")
def register_admin_css():
    """Register screens' own styles (plain CSS, no inline style attributes)."""
    return format_html('<link rel="stylesheet" href="{}">', static("registry/admin.css"))


@hooks.register("construct_homepage_panels")
def add_register_panel(request, panels):
    if request.user.has_perm(VIEW_ENTRIES):
        panels.append(RegisterSummaryPanel(request))


def refuse_to_delete_entries(request, pages):
    """An answer that stops the deletion of ``pages`` if any of them, or any page below them,
    is a register holding entries: deleting the page would delete people's entries with it.
    None when nothing would be lost."""
    registers = InterestRegisterPage.objects.none()
    for page in pages:
        registers |= InterestRegisterPage.objects.descendant_of(page, inclusive=True)
    held = RegisterEntry.objects.filter(page__in=registers)
    count = held.count()
    if not count:
        return None
    names = list(held.values_list("page__title", flat=True).distinct())
    titles = ", ".join(f"“{title}”" for title in names)
    registers_hold = "the register" if len(names) == 1 else "the registers"
    registers_hold += f" {titles} {'holds' if len(names) == 1 else 'hold'} {count}"
    messages.error(
        request,
        f"Not deleted: {registers_hold} {'entry' if count == 1 else 'entries'}, which would be "
        "deleted with the page. To close a register, unpublish it or set its closing date "
        "instead. To delete it, first "
        "download the entries under Interest register → Register entries and delete them "
        "there.",
    )
    return redirect(reverse("wagtailadmin_explore", args=[pages[0].get_parent().pk]))


@hooks.register("before_delete_page")
def keep_register_entries_on_delete(request, page):
    return refuse_to_delete_entries(request, [page])


@hooks.register("before_bulk_action")
def keep_register_entries_on_bulk_delete(request, action_type, objects, action_class_instance):
    if action_type == "delete" and objects and isinstance(objects[0], Page):
        return refuse_to_delete_entries(request, list(objects))
    return None
