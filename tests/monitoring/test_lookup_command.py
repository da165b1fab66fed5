"""`manage.py lookup` as DESIGN §4.3 fixes it: flags, JSON keys, error tokens, exits."""

import json

import pytest
from django.core.management import call_command

from blcheck.monitoring.models import CheckRun, Lookup
from tests.factories import BlocklistFactory

pytestmark = [pytest.mark.django_db, pytest.mark.dns]

KEYS = ["target", "zone", "status", "codes", "reason", "error", "health", "elapsed_ms"]


def lookup_with_stderr(capsys, *args):
    """`manage.py lookup ARGS --format json`: exit status, records and stderr."""
    with pytest.raises(SystemExit) as exited:
        call_command("lookup", *args, "--format", "json")
    captured = capsys.readouterr()
    records = [json.loads(line) for line in captured.out.splitlines()]
    return exited.value.code, records, captured.err


def lookup(capsys, *args):
    """The same, for the tests that read only the exit status and records."""
    status, records, _ = lookup_with_stderr(capsys, *args)
    return status, records


def test_listed_address_exits_1_with_the_contract_keys(capsys):
    status, records = lookup(capsys, "192.0.2.66", "--zone", "good.dnsbl.test")
    assert status == 1
    (record,) = records
    assert list(record) == KEYS
    assert record["target"] == "192.0.2.66"
    assert record["zone"] == "good.dnsbl.test"
    assert (record["status"], record["codes"], record["error"]) == (
        "listed",
        ["127.0.0.2"],
        None,
    )
    assert "good.dnsbl.test/lookup?ip=192.0.2.66" in record["reason"]
    assert isinstance(record["elapsed_ms"], float)


def test_clean_address_exits_0_with_nulls(capsys):
    status, records = lookup(capsys, "192.0.2.10", "--zone", "good.dnsbl.test")
    assert status == 0
    assert records[0] | {"elapsed_ms": 0} == {
        "target": "192.0.2.10",
        "zone": "good.dnsbl.test",
        "status": "not_listed",
        "codes": [],
        "reason": None,
        "error": None,
        "health": None,
        "elapsed_ms": 0,
    }


def test_errors_without_listing_exit_3(capsys):
    status, records = lookup(
        capsys, "192.0.2.10", "--zone", "good.dnsbl.test", "--zone", "flaky.dnsbl.test"
    )
    assert status == 3
    assert [r["status"] for r in records] == ["not_listed", "error"]
    assert records[1]["error"] == "servfail"


def test_cidr_yields_one_object_per_address(capsys):
    status, records = lookup(capsys, "192.0.2.64/30", "--zone", "good.dnsbl.test")
    assert [r["target"] for r in records] == [f"192.0.2.{i}" for i in (64, 65, 66, 67)]
    assert status == 1


def test_unhealthy_list_is_list_unhealthy_for_every_target(capsys):
    status, records, err = lookup_with_stderr(
        capsys, "192.0.2.10", "192.0.2.11", "--zone", "everything.dnsbl.test"
    )
    assert status == 3
    assert {(r["status"], r["error"]) for r in records} == {("error", "list_unhealthy")}
    assert "everything.dnsbl.test failed its RFC 5782 probes" in err
    assert "lists_everything" in err


def test_timeout_is_an_error_token(capsys):
    status, records = lookup(
        capsys, "192.0.2.11", "--zone", "flaky.dnsbl.test", "--timeout", "0.3"
    )
    assert (status, records[0]["error"]) == (3, "timeout")


def test_file_targets_with_comments(capsys, tmp_path):
    listing = tmp_path / "targets.txt"
    listing.write_text("# our MX hosts\n192.0.2.66  # mx1\n\n192.0.2.10\n")
    status, records = lookup(
        capsys, "--file", str(listing), "--zone", "good.dnsbl.test"
    )
    assert [r["target"] for r in records] == ["192.0.2.66", "192.0.2.10"]
    assert status == 1


def test_catalog_lists_are_used_without_zone_and_fit_the_target(capsys):
    BlocklistFactory(zone="good.dnsbl.test")
    BlocklistFactory(zone="second.dnsbl.test", has_ipv4=False, has_ipv6=True)
    BlocklistFactory(zone="off.dnsbl.test", is_enabled=False)
    status, records = lookup(capsys, "192.0.2.66")
    assert [r["zone"] for r in records] == ["good.dnsbl.test"]
    assert status == 1


def test_lookup_writes_nothing(capsys):
    lookup(capsys, "192.0.2.64/30", "--zone", "good.dnsbl.test")
    assert not Lookup.objects.exists() and not CheckRun.objects.exists()


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["300.1.1.1"], "'300.1.1.1'"),
        (["10.0.0.0/8"], "'10.0.0.0/8'"),
        (["192.0.2.1", "--nameserver", "[::1]:x"], "'[::1]:x'"),
        (["192.0.2.1", "--timeout", "0"], "--timeout 0"),
        ([], "TARGET"),
    ],
)
def test_bad_usage_exits_2_naming_the_bad_value(args, named):
    from django.core.management import CommandError

    with pytest.raises(CommandError) as caught:
        call_command("lookup", *args)
    assert caught.value.returncode == 2
    assert named in str(caught.value) and "\n" not in str(caught.value)


def test_table_format_lists_each_pair(capsys):
    with pytest.raises(SystemExit):
        call_command("lookup", "192.0.2.66", "--zone", "good.dnsbl.test")
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["TARGET", "ZONE", "STATUS", "DETAIL"]
    assert out[1].split()[:4] == [
        "192.0.2.66",
        "good.dnsbl.test",
        "listed",
        "127.0.0.2",
    ]


def test_retired_zone_warns(capsys):
    BlocklistFactory(zone="dnsbl.ahbl.org", is_retired=True, retired_reason="wildcard")
    _, _, err = lookup_with_stderr(
        capsys, "192.0.2.10", "--zone", "dnsbl.ahbl.org", "--timeout", "0.2"
    )
    assert "dnsbl.ahbl.org is retired: wildcard" in err


def test_cli_on_a_terminal_shows_progress_and_exits_with_the_status(
    dns_server, tmp_path
):
    """The real command line: a fresh data folder (no migrate), stderr on a tty."""
    import os
    import pty
    import subprocess
    import sys

    from django.conf import settings

    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["BLCHECK_DATA_DIR"] = str(tmp_path)
    command = [
        sys.executable,
        "manage.py",
        "lookup",
        "192.0.2.0/24",
        "--zone",
        "good.dnsbl.test",
        "--zone",
        "second.dnsbl.test",
        "--nameserver",
        dns_server.address,
        "--format",
        "json",
    ]
    result = subprocess.run(
        command,
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=follower,
        timeout=120,
    )
    os.close(follower)
    err = os.read(leader, 65536).decode()
    os.close(leader)
    records = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert result.returncode == 1
    assert len(records) == 512
    assert [r["target"] for r in records if r["status"] == "listed"] == ["192.0.2.66"]
    assert "512/512 lookups" in err


def test_a_256_address_range_against_20_lists_returns_in_seconds(capsys):
    from tests.conftest import BULK_ZONES

    zones = [arg for zone in BULK_ZONES for arg in ("--zone", zone)]
    status, records = lookup(capsys, "198.51.100.0/24", *zones)
    assert status == 1
    assert len(records) == 256 * 20
    listed = {(r["target"], r["zone"]) for r in records if r["status"] == "listed"}
    assert listed == {(f"198.51.100.{n}", zone) for n, zone in enumerate(BULK_ZONES)}
    assert not [r for r in records if r["status"] == "error"]
