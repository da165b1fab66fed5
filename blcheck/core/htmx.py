"""The one place that decides between a full page and an htmx fragment."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def is_partial(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    if htmx is None or not htmx:
        return False
    # Going back to a page htmx did not cache asks for the whole page again.
    return not htmx.history_restore_request


def render_page_or_partial(
    request: HttpRequest,
    page: str,
    partial: str,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    template = partial if is_partial(request) else page
    return render(request, template, context, status=status)
