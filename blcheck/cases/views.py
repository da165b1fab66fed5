import copy

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from blcheck.cases import forms as forms_module
from blcheck.cases import selectors, services, workflow
from blcheck.cases.bounce import BounceReport, parse_bounce
from blcheck.cases.filters import CaseFilter
from blcheck.cases.forms import (
    AssignForm,
    BounceForm,
    BounceOpenForm,
    CloseForm,
    NoteForm,
    OpenCaseForm,
    RequestForm,
)
from blcheck.cases.models import CaseEvent, DelistingCase
from blcheck.cases.timeline import case_timeline_entries
from blcheck.core.access import acting_user, editor_required, viewer_required
from blcheck.core.paging import CURSOR_PARAM, keyset_page
from blcheck.monitoring.models import Blocklist
from blcheck.monitoring.selectors import target_for_address


def _changed_meanwhile() -> str:
    """A lost race, in the reader's language (the service words it in the site's)."""
    return _("This case was changed by someone else. Reload and try again.")


# A request as recorded, and each later change of it (the case page's requests).
REQUEST_KINDS = (CaseEvent.Kind.REQUESTED, CaseEvent.Kind.REQUEST_AMENDED)


@require_GET
@viewer_required
def case_list(request: HttpRequest) -> HttpResponse:
    """The cases the filters select, newest first, a page at a time, with
    how many match: a fixed number of queries however many cases there are."""
    data = request.GET if request.GET else QueryDict("active=true")
    filtered = CaseFilter(data, queryset=selectors.case_list())
    matches = filtered.qs
    page = keyset_page(
        matches,
        time_field="opened_at",
        cursor=request.GET.get(CURSOR_PARAM, ""),
        size=selectors.CASE_PAGE_SIZE,
    )
    context = {
        "filter": filtered,
        "page": page,
        "cases": page.rows,
        # All of them on this one page: counted already.
        "count": len(page.rows)
        if page.is_first and page.next_cursor is None
        else matches.count(),
        "query": filtered.query().urlencode(),
    }
    return render(request, "cases/case_list.html", context)


@require_GET
@editor_required
def target_options(request: HttpRequest) -> HttpResponse:
    """The suggestions for the open-a-case form's target, as a <datalist>."""
    options = selectors.target_options(request.GET.get("target", ""))
    return render(request, "cases/partials/target_options.html", {"options": options})


@require_http_methods(["GET", "POST"])
@editor_required
def case_open(request: HttpRequest) -> HttpResponse:
    form = OpenCaseForm(
        request.POST if request.method == "POST" else None, initial=request.GET.dict()
    )
    if request.method == "POST" and form.is_valid():
        try:
            case, created = services.case_open(
                by=acting_user(request), **form.cleaned_data
            )
        except services.CaseRefused as exc:
            form.add_error(None, str(exc))
        else:
            if not created:
                messages.info(
                    request, _("A case for this address and list is already open.")
                )
            return redirect("cases:case-detail", pk=case.pk)
    status = 422 if form.is_bound else 200
    return render(request, "cases/case_form.html", {"form": form}, status=status)


def _detail(
    request: HttpRequest,
    case: DelistingCase,
    status: int = 200,
    *,
    refusal: str = "",
    unsaved: list[tuple[str, str]] | None = None,
    **forms: object,
) -> HttpResponse:
    """The case page; refusal and unsaved: a post refused, and what it carried."""
    entries = case_timeline_entries(selectors.case_timeline(case))
    request_unavailable = forms_module.request_unavailable(case)
    context = {
        "case": case,
        "events": entries,
        # The requests as recorded, each amendment below the request it changed.
        "requests": [e for e in entries if e.event.kind in REQUEST_KINDS],
        "request_unavailable": request_unavailable,
        "request_form": None if request_unavailable else RequestForm(instance=case),
        "assign_form": AssignForm(initial={"assignee": case.assignee_id}),
        "note_form": NoteForm(),
        "close_form": CloseForm(case=case),
        "refusal": refusal,
        "unsaved": unsaved or [],
        **forms,
    }
    if not workflow.hand_ends(case.status):
        context["close_form"] = None  # nothing left to end it with
    return render(request, "cases/case_detail.html", context, status=status)


@require_GET
@viewer_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(
        DelistingCase.objects.select_related(
            "target", "blocklist", "assignee", "episode"
        ),
        pk=pk,
    )
    return _detail(request, case)


def _unsaved(form: RequestForm, posted: QueryDict) -> list[tuple[str, str]]:
    """What a refused request post carried, field by field, to copy from."""
    methods = dict(DelistingCase.Method.choices)
    shown = []
    for name, field in form.fields.items():
        value = posted.get(name) or ""
        if value.strip():
            label = methods.get(value, value) if name == "method" else value
            shown.append((str(field.label), str(label)))
    return shown


@require_POST
@editor_required
def case_mark_requested(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(DelistingCase.objects.select_related("blocklist"), pk=pk)
    # A copy: validating a ModelForm writes the posted values into its instance,
    # and the page and the service need the case as stored.
    form = RequestForm(request.POST, instance=copy.copy(case))
    reason = forms_module.request_unavailable(case)
    if reason:  # a form the page no longer shows, or never did: nothing saved
        refusal = _("The request was not saved: %(reason)s") % {"reason": reason}
        unsaved = _unsaved(form, request.POST)
        return _detail(request, case, status=422, refusal=refusal, unsaved=unsaved)
    if not form.is_valid():
        return _detail(request, case, status=422, request_form=form)
    try:
        services.case_mark_requested(
            case=case, by=acting_user(request), **form.cleaned_data
        )
    except services.RequestRefused:
        case.refresh_from_db()
        refusal = _("The request was not saved: %(reason)s") % {
            "reason": forms_module.request_unavailable(case)
        }
        unsaved = _unsaved(form, request.POST)
        return _detail(request, case, status=422, refusal=refusal, unsaved=unsaved)
    except services.CaseConflict:  # its own message is in the site's language
        messages.error(request, _changed_meanwhile())
    except services.RequestInFuture:
        messages.error(
            request,
            _("The request date is in the future; enter when the request was made."),
        )
    return redirect("cases:case-detail", pk=case.pk)


@require_POST
@editor_required
def case_assign(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(DelistingCase, pk=pk)
    form = AssignForm(request.POST)
    if form.is_valid():
        services.case_assign(
            case=case, by=acting_user(request), assignee=form.cleaned_data["assignee"]
        )
    return redirect("cases:case-detail", pk=case.pk)


@require_POST
@editor_required
def case_add_note(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(DelistingCase, pk=pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _detail(request, case, status=422, note_form=form)
    services.case_add_note(
        case=case, by=acting_user(request), text=form.cleaned_data["text"]
    )
    return redirect("cases:case-detail", pk=case.pk)


@require_POST
@editor_required
def case_close(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(DelistingCase.objects.select_related("blocklist"), pk=pk)
    form = CloseForm(request.POST, case=case)
    if not form.is_valid():
        if "to" not in form.errors:
            return _detail(request, case, status=422, close_form=form)
        # An end the case cannot take (a forged choice, or the case moved on).
        # The text stays in the menu's form; with no menu left, it is shown.
        text = request.POST.get("text", "").strip()
        ended = not workflow.hand_ends(case.status)
        unsaved = [(_("Why"), text)] if text and ended else []
        return _detail(
            request,
            case,
            status=422,
            refusal=str(form.errors["to"][0]),
            unsaved=unsaved,
            close_form=form,
        )
    try:
        services.case_close_by_hand(
            case=case,
            by=acting_user(request),
            to=form.cleaned_data["to"],
            text=form.cleaned_data["text"],
        )
    except workflow.TransitionError:
        case.refresh_from_db()
        messages.error(request, forms_module.close_refusal(case))
    except services.CaseConflict:  # its own message is in the site's language
        messages.error(request, _changed_meanwhile())
    return redirect("cases:case-detail", pk=case.pk)


def _highlighted(report: BounceReport) -> list[tuple[str, str]]:
    """The report's text cut into (piece, field) chunks; field empty when plain."""
    chunks, position = [], 0
    for start, end, field in sorted(report.spans):
        if start < position:
            continue  # overlapping finds: keep the first
        chunks += [(report.text[position:start], ""), (report.text[start:end], field)]
        position = end
    chunks.append((report.text[position:], ""))
    return [chunk for chunk in chunks if chunk[0]]


@require_http_methods(["GET", "POST"])
@editor_required
def bounce_intake(request: HttpRequest) -> HttpResponse:
    """Paste a bounce: see what it says, then open the case it points at.
    A post too large to read is answered by core.uploads (413, this page)."""
    posted = request.POST if request.method == "POST" else None
    if posted is not None and posted.get("action") == "open":
        return _open_from_bounce(request)
    form = BounceForm(posted, request.FILES if posted is not None else None)
    if posted is None or not form.is_valid():
        status = 422 if form.is_bound else 200
        return render(
            request, "cases/bounce_intake.html", {"form": form}, status=status
        )
    raw = form.cleaned_data["raw"]
    report = parse_bounce(raw)
    bounce_text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    blocklist = Blocklist.objects.filter(zone=report.blocklist or "").first()
    return render(
        request,
        "cases/bounce_intake.html",
        {
            "form": BounceForm(),
            "report": report,
            "fields": report.as_dict(),
            "chunks": _highlighted(report),
            "bounce_text": bounce_text,
            "blocklist": blocklist,
            "target": target_for_address(report.blocked_ip or ""),
        },
    )


def _open_from_bounce(request: HttpRequest) -> HttpResponse:
    form = BounceOpenForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            str(form.errors["lookup_url"][0])
            if "lookup_url" in form.errors
            else _(
                "The bounce did not name a known list and address; "
                "open the case by hand."
            ),
        )
        return redirect("cases:bounce-intake")
    try:
        case, created = services.case_open_from_bounce(
            by=acting_user(request), **form.cleaned_data
        )
    except services.CaseRefused as exc:
        messages.error(request, str(exc))
        return redirect("cases:bounce-intake")
    if not created:
        messages.info(request, _("A case for this address and list is already open."))
    return redirect("cases:case-detail", pk=case.pk)
