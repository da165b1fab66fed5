"""How much a request may carry, and what the user sees when it carries more.

Every form that takes a file (a bounce's .eml, a bulk CSV) takes at most
settings.MAX_UPLOAD_BYTES. `LimitedUploadHandler` comes first in
FILE_UPLOAD_HANDLERS: it keeps each file in memory up to that limit, so the
handlers after it (the temporary-file one writes to disk) never see a file,
and a request whose Content-Length announces more than MAX_REQUEST_BYTES is
refused before its body is read. `RequestTooLargeMiddleware` turns that
refusal, and Django's own (DATA_UPLOAD_MAX_MEMORY_SIZE), into our page with
status 413 in the user's language.
"""

import io
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import InMemoryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopFutureHandlers
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


class TooLargeUpload(UploadedFile):
    """A file over the limit: its name and size, its content dropped. A form
    refuses it by its size, and the other fields of the post are kept."""

    def __init__(self, name: str, content_type: str, size: int) -> None:
        super().__init__(io.BytesIO(), name, content_type, size)


class LimitedUploadHandler(FileUploadHandler):
    """Each file in memory up to settings.MAX_UPLOAD_BYTES; past that, dropped
    at the chunk that passes the limit (a TooLargeUpload arrives instead)."""

    buffer: io.BytesIO | None = None

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],
        content_length: int,
        boundary: str,
        encoding: str | None = None,
    ) -> None:
        # Content-Length announces the size before any of the body is read.
        if content_length > settings.MAX_REQUEST_BYTES:
            raise RequestDataTooBig(
                f"Content-Length {content_length} > {settings.MAX_REQUEST_BYTES}."
            )

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()
        raise StopFutureHandlers  # the disk-writing handlers never start

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if self.buffer is not None:
            if start + len(raw_data) > settings.MAX_UPLOAD_BYTES:
                self.buffer = None  # drop what was kept; count the rest only
            else:
                self.buffer.write(raw_data)
        # None: the chunk goes no further, to no other handler.

    def file_complete(self, file_size: int) -> UploadedFile:
        name = self.file_name or ""
        if self.buffer is None:
            return TooLargeUpload(name, self.content_type or "", file_size)
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            self.buffer,
            self.field_name,
            name,
            self.content_type,
            file_size,
            self.charset,
            self.content_type_extra,
        )


class RequestTooLargeMiddleware:
    """Reads a POST's form data up front, where a request too large to read can
    be answered: the same page again (as on a GET) with the message, status 413;
    our 413 page when there is no such page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            try:
                request.POST  # noqa: B018 (parsed here, not in CSRF's check)
            except RequestDataTooBig:
                return self.too_large(request)
        return self.get_response(request)

    def too_large(self, request: HttpRequest) -> HttpResponse:
        messages.error(request, _("That was larger than 1 MiB; nothing was kept."))
        # Nothing of the post was read: show the form as a GET would, with
        # the message, so the user can send a smaller file from where they were.
        request.method = request.META["REQUEST_METHOD"] = "GET"
        response = self.get_response(request)
        is_page = response.get("Content-Type", "").startswith("text/html")
        if response.status_code == 200 and is_page and not response.streaming:
            response.status_code = 413
            return response
        return render(request, "413.html", status=413)
