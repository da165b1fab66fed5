from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from blcheck.core.access import acting_user, editor_required, viewer_required
from blcheck.core.export import csv_streamed
from blcheck.core.htmx import is_partial, render_page_or_partial
from blcheck.monitoring import blocklist_fields, overlap, selectors, services
from blcheck.monitoring.blocklist_forms import BlocklistCreateForm, BlocklistForm
from blcheck.monitoring.filters import TargetFilter
from blcheck.monitoring.forms import (
    BulkTargetForm,
    NotificationPreferenceForm,
    TargetForm,
    translated,
)
from blcheck.monitoring.imports import COLUMNS, export_row
from blcheck.monitoring.models import Blocklist, CheckRun, Target
from blcheck.monitoring.services import notifications


@require_http_methods(["GET", "POST"])
@editor_required
def target_bulk(request: HttpRequest) -> HttpResponse:
    form = BulkTargetForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    if request.method == "POST" and form.is_valid():
        targets = services.target_bulk_create(
            rows=form.cleaned_data["rows"],
            by=acting_user(request),
            default_interval=form.cleaned_data["check_interval_minutes"],
        )
        messages.success(
            request,
            ngettext(
                "%(count)s target added.", "%(count)s targets added.", len(targets)
            )
            % {"count": len(targets)},
        )
        for note in form.notes():
            messages.warning(request, note)
        overlapping = overlap.overlap_summary(overlap.target_overlaps(targets=targets))
        if overlapping:
            messages.warning(request, overlapping)
        return redirect("monitoring:target-list")
    status = 422 if form.is_bound else 200
    return render(request, "monitoring/target_bulk.html", {"form": form}, status=status)


@require_GET
@viewer_required
def group_progress(request: HttpRequest, group: UUID) -> HttpResponse:
    progress = selectors.run_group_progress(group)
    if not progress["runs"]:
        raise Http404
    percent = 100 * progress["done"] // progress["total"] if progress["total"] else 0
    # The live region speaks at each quarter of the lookups, then once done; a
    # poll sends it again only when that changed (the page says what it said).
    said = str(25 * (percent // 25)) if progress["active"] else "done"
    partial = is_partial(request)
    outcome = {}
    if not progress["active"]:
        outcome = {
            **selectors.run_group_outcome(group),
            **selectors.run_group_members(group),
        }
    return render_page_or_partial(
        request,
        "monitoring/group_progress.html",
        "monitoring/partials/group_progress.html",
        {
            "group": group,
            "progress": progress,
            "percent": percent,
            "said": said,
            "partial": partial,
            "announce": partial and request.GET.get("said") != said,
            **outcome,
        },
    )


@require_http_methods(["GET", "POST"])
@editor_required
def target_create(request: HttpRequest) -> HttpResponse:
    form = TargetForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        target = services.target_create(
            by=acting_user(request), **form.service_kwargs()
        )
        for warning in form.cleaned_data["value"].warnings:
            messages.warning(request, translated(warning))
        for text in overlap.overlap_messages(overlap.target_overlaps(targets=[target])):
            messages.warning(request, text)
        messages.success(
            request, _("%(value)s is now monitored.") % {"value": target.value}
        )
        return redirect("reports:target-detail", pk=target.pk)
    status = 422 if form.is_bound else 200
    return render(request, "monitoring/target_form.html", {"form": form}, status=status)


@require_POST
@editor_required
def target_check_now(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(Target, pk=pk)
    if target.archived_at is not None:
        messages.error(
            request,
            _("%(value)s is archived: restore it to check it.")
            % {"value": target.value},
        )
        return redirect("reports:target-detail", pk=target.pk)
    services.target_request_check(target=target, by=acting_user(request))
    messages.info(request, _("Check queued for %(value)s.") % {"value": target.value})
    return redirect("reports:target-detail", pk=target.pk)


@require_GET
@viewer_required
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(CheckRun.objects.select_related("target", "outage"), pk=pk)
    results = selectors.run_results(run) if not run.is_active else None
    # As on a group's page: the live region speaks at each quarter, then once.
    quarter = 25 * (100 * run.done // run.total // 25) if run.total else 0
    said = f"{run.status}:{quarter}" if run.is_active else run.status
    partial = is_partial(request)
    return render_page_or_partial(
        request,
        "monitoring/run_detail.html",
        "monitoring/partials/run_results.html",
        {
            "run": run,
            "target": run.target,
            "results": results,
            # Why lookups failed, each once: the headline says "(timeout)".
            "run_errors": results.errors if results else [],
            "said": said,
            "partial": partial,
            "announce": partial and request.GET.get("said") != said,
        },
    )


@require_GET
@viewer_required
def blocklist_list(request: HttpRequest) -> HttpResponse:
    lists, retired = selectors.blocklist_list()
    return render(
        request, "monitoring/blocklist_list.html", {"lists": lists, "retired": retired}
    )


@require_http_methods(["GET", "POST"])
@editor_required
def blocklist_create(request: HttpRequest) -> HttpResponse:
    form = BlocklistCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        blocklist = services.blocklist_save(blocklist=form.save(commit=False))
        messages.success(request, _("%(zone)s added.") % {"zone": blocklist.zone})
        return redirect("monitoring:blocklist-detail", pk=blocklist.pk)
    status = 422 if form.is_bound else 200
    return render(
        request,
        "monitoring/blocklist_form.html",
        {"form": form, "fieldsets": form.groups()},
        status=status,
    )


@require_GET
@viewer_required
def blocklist_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Every setting of a list, for managers to read (IT staff edit it)."""
    blocklist = get_object_or_404(Blocklist, pk=pk)
    pattern = blocklist.reference_pattern
    return render(
        request,
        "monitoring/blocklist_detail.html",
        {
            "blocklist": blocklist,
            "listed_codes": blocklist_fields.sorted_codes(blocklist.listed_codes),
            "error_codes": blocklist_fields.sorted_codes(blocklist.error_codes),
            "reference_example": (
                blocklist_fields.example_from_pattern(pattern) if pattern else None
            ),
        },
    )


@require_http_methods(["GET", "POST"])
@editor_required
def blocklist_edit(request: HttpRequest, pk: int) -> HttpResponse:
    blocklist = get_object_or_404(Blocklist, pk=pk)
    data = request.POST if request.method == "POST" else None
    form = BlocklistForm(data, instance=blocklist)
    if request.method == "POST" and form.is_valid():
        services.blocklist_save(blocklist=form.save(commit=False))
        messages.success(request, _("%(zone)s saved.") % {"zone": blocklist.zone})
        return redirect("monitoring:blocklist-detail", pk=blocklist.pk)
    status = 422 if form.is_bound else 200
    return render(
        request,
        "monitoring/blocklist_form.html",
        {"form": form, "fieldsets": form.groups(), "blocklist": blocklist},
        status=status,
    )


# Notification settings are one's own, not the monitoring's: managers, who
# change nothing else, subscribe to alerts and the weekly digest here too.
@require_http_methods(["GET", "POST"])
@viewer_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    preference = notifications.notification_preference_for(user=user)
    data = request.POST if request.method == "POST" else None
    form = NotificationPreferenceForm(data, instance=preference)
    if request.method == "POST" and form.is_valid():
        notifications.notification_preference_save(preference=form.save(commit=False))
        messages.success(request, _("Notification settings saved."))
        return redirect("monitoring:notification-settings")
    status = 422 if form.is_bound else 200
    return render(
        request,
        "monitoring/notification_settings.html",
        {
            "form": form,
            "email": user.email,
            "window": settings.NOTIFY_WINDOW_MINUTES,
            "digest_when": notifications.digest_schedule_text(),
        },
        status=status,
    )


@require_POST
@viewer_required
def notification_test(request: HttpRequest) -> HttpResponse:
    """Send a test message to the saved settings and say what became of it."""
    result = notifications.notification_send_test(user=acting_user(request))
    if result.email is None and result.webhook is None:
        messages.warning(
            request, _("Nothing to test: turn e-mail on or save a webhook URL first.")
        )
    if result.email is not None:
        if result.is_email_sent:
            messages.success(
                request, _("E-mail: sent to %(email)s.") % {"email": result.email}
            )
        else:
            messages.error(request, _("E-mail: sending failed."))
    if result.webhook is not None:
        delivered = result.webhook.outcome == notifications.Outcome.DELIVERED
        messages.add_message(
            request,
            messages.SUCCESS if delivered else messages.ERROR,
            notifications.delivery_text(result.webhook),
        )
    return redirect("monitoring:notification-settings")


@require_GET
@viewer_required
def target_export(request: HttpRequest) -> HttpResponseBase:
    """The targets the list's filters select (archived ones only when asked
    for), by address, as the CSV the bulk form reads back: value, label, tags,
    interval (monitoring.imports)."""
    filtered = TargetFilter(request.GET, queryset=Target.objects.all())
    targets = filtered.qs.prefetch_related("tags").iterator(chunk_size=500)
    rows = (
        export_row(
            value=t.value,
            label=t.label,
            tags=[tag.name for tag in t.tags.all()],
            interval=t.check_interval_minutes,
        )
        for t in targets
    )
    return csv_streamed(rows, header=COLUMNS, filename="targets.csv")
