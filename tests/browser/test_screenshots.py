"""capture_screenshots writes one PNG per main page from seed_demo's data."""

import pytest
from django.core.management import CommandError, call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PNG = b"\x89PNG\r\n\x1a\n"


def test_every_main_page_is_captured(settings, tmp_path):
    settings.DEBUG = True
    call_command(
        "seed_demo", "--targets", "8", "--lists", "5", "--days", "30", "--seed", "3"
    )
    call_command("capture_screenshots", "--out", str(tmp_path), "--language", "en")
    written = sorted(path.name for path in (tmp_path / "en").iterdir())
    assert {
        "dashboard.png",
        "target.png",
        "case.png",
        "history-lookups.png",
        "reports.png",
        "report-time-to-delist.png",
        "report-cases-per-person.png",
    } <= set(written)
    assert len(written) == 15
    assert all(
        (tmp_path / "en" / name).read_bytes().startswith(PNG) for name in written
    )


def test_without_demo_data_it_says_what_to_run(settings, tmp_path):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="seed_demo") as caught:
        call_command("capture_screenshots", "--out", str(tmp_path))
    assert caught.value.returncode == 2
