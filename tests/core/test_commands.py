"""Start-up commands that `make run` and the web container call."""

import ipaddress
import socket

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import override_settings

from blcheck.monitoring.catalog import read_catalog
from blcheck.monitoring.models import Blocklist

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
    Blocklist.objects.filter(zone="bl.spamcop.net").update(is_enabled=False)
    call_command("load_catalog")
    assert Blocklist.objects.count() == count == len(read_catalog())
    assert not Blocklist.objects.get(zone="bl.spamcop.net").is_enabled


def test_catalog_entries_are_well_formed():
    entries = read_catalog()
    assert len({e.zone for e in entries}) == len(entries)
    loopback = ipaddress.ip_network("127.0.0.0/8")
    for entry in entries:
        assert entry.kinds and entry.kinds <= {"ipv4", "ipv6", "domain"}, entry.zone
        for code in [*entry.listed, *entry.errors]:
            assert ipaddress.ip_address(code) in loopback, (entry.zone, code)
        assert not set(entry.listed) & set(entry.errors), entry.zone


def test_check_ports_names_the_taken_port():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(
            CommandError, match=f"127.0.0.1:{port}, which another program"
        ):
            call_command("check_ports", "--web", str(port))


def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
