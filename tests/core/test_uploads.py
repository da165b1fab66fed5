"""Uploads stop at their limit before anything reaches the disk, and a post too
large to read gets our page with status 413, in the user's language."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.urls import reverse

from tests.support.html import parse

pytestmark = pytest.mark.django_db

BOUNDARY = "limit-test-boundary"
MIB = 1024 * 1024


class StreamedPost:
    """A multipart body made as it is read (a file of `size` bytes of one
    repeated chunk, then fields), so no test holds hundreds of MB. Each read
    notes how many bytes the temporary-upload folder holds at that moment."""

    def __init__(self, fields: dict[str, str], file: tuple[str, str, int]) -> None:
        self.parts = list(self._parts(fields, file))
        self.length = sum(len(data) if n < 0 else n for data, n in self.parts)
        self.read_bytes = 0
        self.most_on_disk = 0
        self.watched: Path | None = None
        self._pieces = self._pieces_of()
        self._left = b""

    @staticmethod
    def _parts(
        fields: dict[str, str], file: tuple[str, str, int]
    ) -> Iterator[tuple[bytes, int]]:
        name, filename, size = file
        yield (
            (
                f"--{BOUNDARY}\r\nContent-Disposition: form-data; name={name!r}; "
                f"filename={filename!r}\r\nContent-Type: message/rfc822\r\n\r\n"
            )
            .replace("'", '"')
            .encode(),
            -1,
        )
        yield b"Received: from x\r\n" * 3 + b"x" * 65_482, size  # 64 KiB a chunk
        for key, value in fields.items():
            yield (
                (
                    f'\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name="{key}"'
                    f"\r\n\r\n{value}"
                ).encode(),
                -1,
            )
        yield f"\r\n--{BOUNDARY}--\r\n".encode(), -1

    def _pieces_of(self) -> Iterator[bytes]:
        for data, size in self.parts:
            if size < 0:
                yield data
                continue
            for _ in range(size // len(data)):
                yield data
            yield data[: size % len(data)]

    def read(self, size: int = -1) -> bytes:
        if self.watched is not None:
            on_disk = sum(f.stat().st_size for f in self.watched.iterdir())
            self.most_on_disk = max(self.most_on_disk, on_disk)
        while size < 0 or len(self._left) < size:
            piece = next(self._pieces, None)
            if piece is None:
                break
            self._left += piece
        data, self._left = (
            (self._left, b"") if size < 0 else (self._left[:size], self._left[size:])
        )
        self.read_bytes += len(data)
        return data

    def readline(self, size: int = -1) -> bytes:  # WSGI asks for it; unused here
        return self.read(size)


def post_streamed(client, url: str, body: StreamedPost):
    return client.request(
        REQUEST_METHOD="POST",
        PATH_INFO=url,
        CONTENT_TYPE=f"multipart/form-data; boundary={BOUNDARY}",
        CONTENT_LENGTH=str(body.length),
        **{"wsgi.input": body},
    )


@pytest.fixture
def upload_dir(settings, tmp_path: Path) -> Path:
    """The folder Django writes temporary uploads to, watched by the tests."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    return tmp_path


def test_a_300_mb_eml_is_refused_before_its_body_is_read(client, it_staff, upload_dir):
    client.force_login(it_staff)
    body = StreamedPost({"action": "read"}, ("eml", "big.eml", 300 * MIB))
    body.watched = upload_dir
    response = post_streamed(client, reverse("cases:bounce-intake"), body)
    assert response.status_code == 413
    page = parse(response.content.decode())
    assert page.find("title").text.startswith("Paste a bounce")  # the page again
    assert "larger than 1 MiB; nothing was kept" in page.find(role="status").text
    assert body.read_bytes < MIB and body.most_on_disk == 0
    assert not list(upload_dir.iterdir())


def test_a_csv_over_the_limit_is_dropped_and_the_other_fields_kept(
    client, it_staff, upload_dir
):
    client.force_login(it_staff)
    fields = {"lines": "", "check_interval_minutes": "15"}
    body = StreamedPost(fields, ("csv_file", "targets.csv", 3 * MIB))
    body.watched = upload_dir
    response = post_streamed(client, reverse("monitoring:target-bulk"), body)
    assert response.status_code == 422
    page = parse(response.content.decode())
    assert "The file is larger than 1 MiB." in page.by_id("id_csv_file_errors").text
    assert page.by_id("id_check_interval_minutes")["value"] == "15"
    assert body.read_bytes == body.length  # read through, kept nowhere
    assert body.most_on_disk == 0 and not list(upload_dir.iterdir())


def test_an_over_large_form_post_gets_the_page_again_with_413(client, it_staff):
    client.force_login(it_staff)
    response = client.post(
        reverse("monitoring:target-bulk"),
        {"lines": "192.0.2.1\n" * 500_000, "check_interval_minutes": "60"},
    )
    assert response.status_code == 413
    page = parse(response.content.decode())
    assert page.find("title").text.startswith("Add many targets")
    assert "larger than 1 MiB; nothing was kept" in page.find(role="status").text


def test_an_over_large_post_without_a_page_gets_our_413_page(client, it_staff):
    client.force_login(it_staff)
    response = client.post(
        reverse("monitoring:target-bulk-action"),
        {"q": "x" * (5 * MIB)},
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert response.status_code == 413
    page = parse(response.content.decode())
    assert page.by_id("too-large")
    assert page.find("html")["lang"] == "ja"
    assert "Bad Request" not in page.text
