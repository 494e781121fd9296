"""The admin screens for opportunity alerts: the log, preparing an alert from an opportunity,
previewing and sending it, and following its progress.

Only people who may view register entries (the "Register managers" group, superusers) may use
them: an alert reveals who is on the register and writes to them. Everyone else gets 403.
"""

import functools

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from wagtail.admin import messages

from alerts import sending
from alerts.forms import AlertForm
from alerts.models import Alert
from focusgroups.models import FocusGroupOpportunity

PERMISSION = "registry.view_registerentry"


def managers_only(view):
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.has_perm(PERMISSION):
            # A real 403: Wagtail would turn a raised PermissionDenied into a redirect.
            return TemplateResponse(request, "alerts/admin/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def open_opportunities(now=None):
    found = FocusGroupOpportunity.objects.select_related("page").filter(page__live=True)
    return [o for o in found.order_by("page__title", "sort_order") if o.is_open(now)]


@managers_only
def index(request):
    alerts = Paginator(Alert.objects.all(), 50).get_page(request.GET.get("p"))
    rows = [(alert, sending.progress(alert)) for alert in alerts]
    return TemplateResponse(
        request,
        "alerts/admin/index.html",
        {"page_obj": alerts, "rows": rows, "opportunities": open_opportunities()},
    )


@managers_only
@require_http_methods(["GET", "HEAD", "POST"])
def prepare(request, opportunity_id):
    opportunity = get_object_or_404(
        FocusGroupOpportunity.objects.select_related("page"), pk=opportunity_id
    )
    try:
        sending.check_sendable(opportunity)
    except sending.CannotSend as error:
        messages.error(request, str(error))
        return redirect("alerts_admin:index")
    if request.method == "POST":
        form = AlertForm(request.POST)
        if form.is_valid() and "count" not in request.POST:
            data = form.cleaned_data
            alert = Alert.objects.create(
                opportunity=opportunity,
                opportunity_title=opportunity.title,
                register=data["register"],
                region=data["region"],
                role=data["role"],
                training_intention=data["training_intention"],
                filters=form.describe(),
                subject=data["subject"],
                created_by=request.user.get_username(),
            )
            return redirect("alerts_admin:detail", alert.pk)
    else:
        form = AlertForm(initial={"subject": sending.default_subject(opportunity)})
    count = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        count = len(
            sending.one_entry_per_person(
                sending.consenting_entries(
                    data["register"], data["region"], data["role"], data["training_intention"]
                )
            )
        )
    else:
        count = len(sending.one_entry_per_person(sending.consenting_entries()))
    return TemplateResponse(
        request,
        "alerts/admin/prepare.html",
        {"opportunity": opportunity, "form": form, "count": count},
    )


@managers_only
def detail(request, alert_id):
    alert = get_object_or_404(Alert, pk=alert_id)
    context = {"alert": alert, "progress": sending.progress(alert)}
    if alert.status == Alert.Status.DRAFT:
        context["count"] = len(sending.recipients_for(alert))
        if alert.opportunity is not None:
            context["body"] = sending.render_body(
                sending.email_context(
                    alert,
                    alert.opportunity,
                    request,
                    stop_link="(each person's own link to stop these emails)",
                )
            )
        try:
            sending.check_sendable(alert.opportunity)
        except sending.CannotSend as error:
            context["cannot_send"] = str(error)
    return TemplateResponse(request, "alerts/admin/detail.html", context)


@managers_only
@require_POST
def send(request, alert_id):
    alert = get_object_or_404(Alert, pk=alert_id)
    try:
        queued = sending.send(alert, request.user, request, now=timezone.now())
    except sending.CannotSend as error:
        messages.error(request, str(error))
        return redirect("alerts_admin:detail", alert.pk)
    if queued is None:
        messages.warning(request, "This alert was already sent; it has not been sent again.")
    else:
        messages.success(
            request, f"Alert queued for {queued} {'person' if queued == 1 else 'people'}."
        )
    return redirect("alerts_admin:detail", alert.pk)
