"""parse_bounce (DESIGN §4.4) and the paste-a-bounce page."""

import io
import json
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

from blcheck.cases.models import DelistingCase
from blcheck.monitoring.models import Target
from tests.factories import TargetFactory
from tests.support.bounces import BARRACUDA_REPLY, BOUNCE_FIELDS
from tests.support.html import parse

BARRACUDA_BOUNCE = (
    "From: MAILER-DAEMON@mx.example.org\n"
    "Subject: Undelivered Mail Returned to Sender\n\n"
    "<kijitora@example.jp>: host mx.example.jp[198.51.100.7] said: "
    f"{BARRACUDA_REPLY} (in reply to RCPT TO command)\n"
)


def run(*args, stdin=b""):
    return subprocess.run(
        [sys.executable, "manage.py", "parse_bounce", *args],
        cwd=settings.BASE_DIR,
        input=stdin,
        capture_output=True,
        timeout=60,
    )


def test_json_has_exactly_the_contract_keys():
    result = run("-", "--format", "json", stdin=BARRACUDA_BOUNCE.encode())
    report = json.loads(result.stdout)
    assert result.returncode == 0 and list(report) == list(BOUNCE_FIELDS)
    assert (
        report["category"],
        report["smtp_code"],
        report["blocked_ip"],
        report["blocklist"],
    ) == ("blocklist", 554, "192.0.2.66", "b.barracudacentral.org")
    assert report["lookup_url"] == (
        "http://www.barracudanetworks.com/reputation/?r=1&ip=192.0.2.66"
    )


def test_text_format_and_a_file_path(tmp_path):
    path = tmp_path / "bounce.eml"
    path.write_text(BARRACUDA_BOUNCE)
    result = run(str(path))
    assert result.returncode == 0
    assert b"blocklist: b.barracudacentral.org" in result.stdout


def test_garbage_is_other_and_exits_0():
    result = run("--format", "json", stdin=bytes(range(256)) * 10)
    assert result.returncode == 0
    assert json.loads(result.stdout)["category"] == "other"


def test_more_than_1_mib_is_refused_with_a_message():
    result = run(stdin=b"x" * (1024 * 1024 + 1))
    assert result.returncode == 2 and b"1 MiB" in result.stderr


def test_unreadable_path_exits_2():
    result = run("/nonexistent/bounce.eml")
    assert result.returncode == 2 and b"cannot read" in result.stderr


def intake(client, **data):
    """Paste (text=...) or upload (eml=...) a bounce on the intake page."""
    return client.post(reverse("cases:bounce-intake"), data)


def open_from_intake(client, blocklist, follow=False, **fields):
    """Press "open the case" for 192.0.2.66 on the page that read the bounce."""
    data = {
        "action": "open",
        "blocklist": blocklist.pk,
        "address": "192.0.2.66",
        "bounce_text": BARRACUDA_BOUNCE,
        **fields,
    }
    return client.post(reverse("cases:bounce-intake"), data, follow=follow)


@pytest.mark.django_db
def test_pasting_the_barracuda_bounce_opens_its_case(client, it_staff, barracuda):
    client.force_login(it_staff)
    response = intake(client, text=BARRACUDA_BOUNCE)
    assert response.status_code == 200
    page = parse(response.content)
    assert page.find_all("mark")  # the fields read, marked in the bounce
    assert "b.barracudacentral.org" in page.text
    # 192.0.2.66 is unknown: the button adds it, then opens the case.
    assert page.find_all("button", text="Add the address and open the case")
    response = open_from_intake(
        client,
        barracuda,
        lookup_url="http://www.barracudanetworks.com/reputation/?r=1&ip=192.0.2.66",
    )
    case = DelistingCase.objects.get()
    assert response["Location"] == reverse("cases:case-detail", args=[case.pk])
    assert (case.subject, case.blocklist.zone, case.target.value) == (
        "192.0.2.66",
        "b.barracudacentral.org",
        "192.0.2.66",
    )
    assert case.lookup_url.endswith("ip=192.0.2.66")
    assert "Barracuda Reputation" in case.bounce_text
    assert Target.objects.count() == 1


@pytest.mark.django_db
def test_an_address_inside_a_monitored_range_uses_that_target(
    client, it_staff, barracuda
):
    pool = TargetFactory(value="192.0.2.64/28", kind="range")
    client.force_login(it_staff)
    page = intake(client, text=BARRACUDA_BOUNCE)
    assert "is monitored" in page.content.decode()
    open_from_intake(client, barracuda)
    assert DelistingCase.objects.get().target == pool


@pytest.mark.django_db
def test_an_eml_upload_is_read(client, it_staff, barracuda):
    client.force_login(it_staff)
    upload = io.BytesIO(BARRACUDA_BOUNCE.encode())
    upload.name = "bounce.eml"
    page = intake(client, eml=upload)
    assert "192.0.2.66" in page.content.decode()


@pytest.mark.django_db
def test_oversized_input_is_refused_and_nothing_stored(client, it_staff, barracuda):
    client.force_login(it_staff)
    upload = io.BytesIO(b"x" * (1024 * 1024 + 10))
    upload.name = "big.eml"
    page = intake(client, eml=upload)
    assert page.status_code == 422 and "larger than 1 MiB" in page.content.decode()
    too_long = open_from_intake(
        client, barracuda, follow=True, bounce_text="x" * (1024 * 1024 + 10)
    )
    assert "open the case by hand" in too_long.content.decode()
    assert not DelistingCase.objects.exists() and not Target.objects.exists()


@pytest.mark.django_db
def test_a_forged_open_with_a_bad_address_opens_nothing(client, it_staff, barracuda):
    client.force_login(it_staff)
    open_from_intake(client, barracuda, address="not-an-ip", bounce_text="x")
    assert not DelistingCase.objects.exists()


@pytest.mark.django_db
def test_manager_cannot_use_the_intake(client, manager):
    client.force_login(manager)
    assert intake(client, text="x").status_code == 403
