"""Start-up commands that `make run` and the web container call."""

import ipaddress

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import override_settings

from blcheck.lookups.catalog import read_catalog
from blcheck.monitoring.models import Blocklist
from tests.support.ports import taken_port

pytestmark = pytest.mark.django_db


def test_ensure_admin_creates_one_superuser_with_a_random_password(tmp_path, capsys):
    with override_settings(DATA_DIR=tmp_path):
        call_command("ensure_admin")
        first = (tmp_path / "admin-password.txt").read_text()
        call_command("ensure_admin")
    password = first.split("password: ")[1].strip()
    admin = User.objects.get(is_superuser=True)
    assert admin.check_password(password) and len(password) >= 20
    assert (tmp_path / "admin-password.txt").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "admin-password.txt").read_text() == first
    assert password not in capsys.readouterr().out  # only the file holds it
    assert User.objects.filter(is_superuser=True).count() == 1


def test_two_installs_get_different_passwords(tmp_path):
    passwords = []
    for name in ("a", "b"):
        User.objects.filter(is_superuser=True).delete()
        with override_settings(DATA_DIR=tmp_path / name):
            (tmp_path / name).mkdir()
            call_command("ensure_admin")
        passwords.append((tmp_path / name / "admin-password.txt").read_text())
    assert passwords[0] != passwords[1]


def test_load_catalog_is_idempotent_and_keeps_staff_changes():
    call_command("load_catalog")
    count = Blocklist.objects.count()
    Blocklist.objects.filter(zone="bl.spamcop.net").update(is_enabled=False, qps=3)
    call_command("load_catalog")
    assert Blocklist.objects.count() == count == len(read_catalog())
    spamcop = Blocklist.objects.get(zone="bl.spamcop.net")
    assert (spamcop.is_enabled, spamcop.qps) == (False, 3)


def test_load_catalog_retires_a_list_the_catalog_retires():
    Blocklist.objects.create(zone="dnsbl.sorbs.net", name="SORBS", is_enabled=True)
    call_command("load_catalog")
    sorbs = Blocklist.objects.get(zone="dnsbl.sorbs.net")
    assert (sorbs.is_retired, sorbs.is_enabled) == (True, False)
    assert "2024" in sorbs.retired_reason


def test_catalog_has_forty_operating_lists_and_never_enables_a_dead_one():
    entries = read_catalog()
    operating = [e for e in entries if not e.is_retired]
    assert len(operating) >= 40
    assert not any(e.is_enabled for e in entries if e.is_retired)
    assert all(e.fields["retired_reason"] for e in entries if e.is_retired)
    zones = {e.zone for e in entries}
    assert {"ix.dnsbl.manitu.net", "dnsbl.ahbl.org", "dnsbl.sorbs.net"} <= zones


def test_key_based_lists_name_their_key_and_start_disabled():
    for entry in read_catalog():
        has_key = "{key}" in entry.zone
        assert has_key == bool(entry.fields["key_setting"]), entry.zone
        if has_key:
            assert entry.fields["key_setting"] in settings.DNSBL_KEYS, entry.zone
            assert not entry.is_enabled, entry.zone


def test_catalog_entries_are_well_formed():
    entries = read_catalog()
    assert len({e.zone for e in entries}) == len(entries)
    loopback = ipaddress.ip_network("127.0.0.0/8")
    for entry in entries:
        fields = entry.fields
        assert fields["has_ipv4"] or fields["has_ipv6"] or fields["has_domains"], (
            entry.zone
        )
        codes = [*fields["listed_codes"], *fields["error_codes"]]
        for code in codes:
            if fields["is_bitmask"]:
                assert int(code) > 0 and int(code) & (int(code) - 1) == 0, entry.zone
            else:
                assert ipaddress.ip_address(code) in loopback, (entry.zone, code)
        assert not set(fields["listed_codes"]) & set(fields["error_codes"]), entry.zone
        assert fields["access"] in Blocklist.Access.values, entry.zone
        assert fields["delist_method"] in ["", *Blocklist.DelistMethod.values], (
            entry.zone
        )
        for url in (fields["delist_url"], fields["lookup_url"]):
            assert not url or url.startswith(("http://", "https://")), entry.zone


def test_check_ports_names_the_taken_port():
    with (
        taken_port() as port,
        pytest.raises(CommandError, match=f"127.0.0.1:{port}, which another program"),
    ):
        call_command("check_ports", "--web", str(port))


def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
