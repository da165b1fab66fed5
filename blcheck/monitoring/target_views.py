"""The target list and the work on targets: edit, pause, resume, archive,
restore, delete, and one action on a whole filtered selection."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from blcheck.core.access import acting_user, editor_required, viewer_required
from blcheck.monitoring import selection, selectors
from blcheck.monitoring.filters import TargetFilter
from blcheck.monitoring.models import Target
from blcheck.monitoring.services import TagLimitError
from blcheck.monitoring.services import target_actions as actions
from blcheck.monitoring.target_forms import (
    ACTION_CHOICES,
    TargetActionForm,
    TargetEditForm,
)

PAGE_SIZE = 50
SAMPLE_SIZE = 10  # targets named on a confirmation page


def _list_url(params: list[tuple[str, str]]) -> str:
    query = urlencode(params)
    return reverse("monitoring:target-list") + (f"?{query}" if query else "")


@require_GET
@viewer_required
def target_list(request: HttpRequest) -> HttpResponse:
    filtered = TargetFilter(request.GET, queryset=Target.objects.all())
    page = Paginator(filtered.qs.prefetch_related("tags"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "monitoring/target_list.html",
        {
            "filter": filtered,
            "page": page,
            "rows": selection.target_rows(list(page.object_list)),
            "tags": selectors.tag_list(),
            "query": urlencode(filtered.params),
            "action_form": TargetActionForm(),
        },
    )


def _done(action: str, n: int) -> str:
    """What an action did to n targets, in the user's language (each sentence
    written out, so the catalogue finds it)."""
    if action == actions.PAUSE:
        return ngettext(
            "%(count)s target paused: it is no longer checked on schedule.",
            "%(count)s targets paused: they are no longer checked on schedule.",
            n,
        )
    if action == actions.RESUME:
        return ngettext("%(count)s target resumed.", "%(count)s targets resumed.", n)
    if action == actions.TAG:
        return ngettext(
            "Tag %(tag)s added to %(count)s target.",
            "Tag %(tag)s added to %(count)s targets.",
            n,
        )
    if action == actions.UNTAG:
        return ngettext(
            "Tag %(tag)s removed from %(count)s target.",
            "Tag %(tag)s removed from %(count)s targets.",
            n,
        )
    if action == actions.ARCHIVE:
        return ngettext(
            "%(count)s target archived: off the dashboard and the schedule, "
            "its history kept.",
            "%(count)s targets archived: off the dashboard and the schedule, "
            "their history kept.",
            n,
        )
    return ngettext(
        "%(count)s target restored from the archive and checked again.",
        "%(count)s targets restored from the archive and checked again.",
        n,
    )


def _report(
    request: HttpRequest, action: str, outcome: actions.Outcome, tag: str
) -> None:
    """Say what the action did, what was already so, and what was held back."""
    if action != actions.CHECK and outcome.changed:
        text = _done(action, outcome.changed)
        messages.success(request, text % {"count": outcome.changed, "tag": tag})
    if outcome.unchanged:
        messages.info(
            request,
            ngettext(
                "%(count)s target was already so, or cannot take this action.",
                "%(count)s targets were already so, or cannot take this action.",
                outcome.unchanged,
            )
            % {"count": outcome.unchanged},
        )
    if outcome.held:
        messages.warning(
            request,
            ngettext(
                "%(count)s target has an open delisting case and was not archived: "
                "its case still checks it. Close the case first.",
                "%(count)s targets have open delisting cases and were not archived: "
                "their cases still check them. Close the cases first.",
                outcome.held,
            )
            % {"count": outcome.held},
        )


@require_http_methods(["GET", "POST"])
@editor_required
def target_bulk_action(request: HttpRequest) -> HttpResponse:
    """GET: how many targets the action would touch, and a confirmation.
    POST: the same selection, acted on when it still has that many targets."""
    data = request.POST if request.method == "POST" else request.GET
    filtered = TargetFilter(data, queryset=Target.objects.all())
    form = TargetActionForm(data)
    targets = filtered.qs
    count = targets.count()
    back = _list_url(filtered.params)
    if not form.is_valid():
        messages.error(
            request, _("Choose an action (and a tag, to add or remove one).")
        )
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    action, tag = form.cleaned_data["action"], form.cleaned_data["tag_name"]
    confirmed = form.cleaned_data["count"]
    if request.method == "POST" and confirmed == count and count:
        try:
            outcome = actions.target_apply(
                action=action, targets=targets, by=acting_user(request), tag=tag
            )
        except TagLimitError as exc:
            messages.error(request, str(exc))
            return redirect(back)
        if action == actions.CHECK:
            if not outcome.runs:
                messages.warning(
                    request,
                    _(
                        "No target of this selection can be checked: "
                        "they are paused or archived."
                    ),
                )
                return redirect(back)
            return redirect("monitoring:group-progress", group=outcome.runs[0].group)
        _report(request, action, outcome, tag)
        return redirect(back)
    changed = request.method == "POST" and confirmed is not None
    if changed:
        messages.warning(
            request,
            _(
                "The selection has changed since you looked: it now holds "
                "%(count)s targets. Check it and confirm again."
            )
            % {"count": count},
        )
    return render(
        request,
        "monitoring/target_bulk_action.html",
        {
            "filter": filtered,
            "action": action,
            "action_label": dict(ACTION_CHOICES)[action],
            "tag": tag,
            "count": count,
            "sample": list(targets[:SAMPLE_SIZE]),
            "more": max(count - SAMPLE_SIZE, 0),
            "held": actions.target_held(targets, actions.ARCHIVE).count()
            if action == actions.ARCHIVE
            else 0,
            "back": back,
        },
        status=409 if changed else 200,
    )


@require_http_methods(["GET", "POST"])
@editor_required
def target_edit(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(Target.objects.prefetch_related("tags"), pk=pk)
    form = TargetEditForm(
        request.POST if request.method == "POST" else None, instance=target
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.target_update(target=target, **form.service_kwargs())
        except TagLimitError as exc:
            form.add_error("tag_text", str(exc))
        else:
            messages.success(request, _("%(value)s saved.") % {"value": target.value})
            return redirect("reports:target-detail", pk=target.pk)
    one = Target.objects.filter(pk=target.pk)
    return render(
        request,
        "monitoring/target_edit.html",
        {
            "target": target,
            "form": form,
            "has_active_case": actions.target_held(one, actions.ARCHIVE).exists(),
            "may_delete": not actions.target_held(one, actions.DELETE).exists(),
            "interval_default": settings.DEFAULT_CHECK_INTERVAL_MINUTES,
        },
        status=422 if form.is_bound else 200,
    )


@require_POST
@editor_required
def target_act(request: HttpRequest, pk: int) -> HttpResponse:
    """Pause, resume, archive or restore one target."""
    target = get_object_or_404(Target, pk=pk)
    action = request.POST.get("action", "")
    if action not in (actions.PAUSE, actions.RESUME, actions.ARCHIVE, actions.RESTORE):
        messages.error(request, _("Unknown action."))
        return redirect("monitoring:target-edit", pk=target.pk)
    outcome = actions.target_apply(
        action=action,
        targets=Target.objects.filter(pk=target.pk),
        by=acting_user(request),
    )
    if outcome.changed or outcome.held:
        outcome.unchanged = 0  # one target: what it is already says so
        _report(request, action, outcome, "")
    else:
        messages.info(
            request,
            _("Nothing to change: %(value)s is already so.") % {"value": target.value},
        )
    return redirect("reports:target-detail", pk=target.pk)


@require_http_methods(["GET", "POST"])
@editor_required
def target_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a target with no case, after a confirmation naming what goes."""
    target = get_object_or_404(Target, pk=pk)
    one = Target.objects.filter(pk=target.pk)
    if actions.target_held(one, actions.DELETE).exists():
        messages.error(
            request,
            _(
                "%(value)s has delisting cases, so it cannot be deleted: "
                "archive it to keep its history and cases."
            )
            % {"value": target.value},
        )
        return redirect("monitoring:target-edit", pk=target.pk)
    if request.method == "POST" and request.POST.get("confirm") == target.value:
        value = target.value
        actions.target_delete(target=target)
        messages.success(
            request, _("%(value)s and its history deleted.") % {"value": value}
        )
        return redirect("monitoring:target-list")
    if request.method == "POST":
        messages.error(request, _("Type the target exactly as shown to confirm."))
    return render(
        request,
        "monitoring/target_delete.html",
        {
            "target": target,
            "lookups": target.lookups.count(),
            "runs": target.runs.count(),
            "changes": target.listings.filter(change_count__gt=0).count(),
        },
        status=200 if request.method == "GET" else 422,
    )
