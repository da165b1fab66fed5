"""seed_demo as DESIGN §4.5 fixes it."""

from datetime import date

import pytest
from django.core.management import CommandError, call_command

from blcheck.monitoring.models import CheckRun, Listing, ListingChange, Lookup, Target

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _development(settings):
    settings.DEBUG = True  # the test runner turns it off; seed_demo wants it on


def test_seed_fills_targets_runs_lookups_and_episodes(capsys):
    call_command(
        "seed_demo", "--targets", "10", "--lists", "5", "--days", "20", "--seed", "7"
    )
    assert Target.objects.count() == 10
    assert CheckRun.objects.count() == 10 * 20
    assert Lookup.objects.count() == 10 * 5 * 20
    assert Target.objects.filter(value__startswith="198.18.").count() == 10
    assert "demo: 10 targets, 200 runs, 1000 lookups" in capsys.readouterr().out


def test_episodes_agree_with_the_current_state():
    call_command(
        "seed_demo", "--targets", "30", "--lists", "10", "--days", "30", "--seed", "3"
    )
    assert ListingChange.objects.filter(kind="listed").exists()
    for listing in Listing.objects.all():
        kinds = list(
            listing.changes.order_by("at", "pk").values_list("kind", flat=True)
        )
        assert kinds == ["listed", "cleared"] * (len(kinds) // 2) + (
            ["listed"] if len(kinds) % 2 else []
        )
        assert listing.is_listed == (len(kinds) % 2 == 1)
        changes = list(listing.changes.order_by("at", "pk"))
        for start, end in zip(changes[::2], [*changes[1::2], None], strict=False):
            assert start.ended_at == (end.at if end else None)


def test_same_seed_same_history():
    def seeded_history():
        call_command(
            "seed_demo",
            "--targets",
            "5",
            "--lists",
            "5",
            "--days",
            "40",
            "--seed",
            "11",
        )
        return list(
            Lookup.objects.order_by(
                "checked_at", "subject", "blocklist__zone"
            ).values_list("subject", "blocklist__zone", "verdict")
        )

    first = seeded_history()
    Target.objects.all().delete()
    second = seeded_history()
    assert [v for *_, v in first] == [v for *_, v in second]


def test_refuses_without_debug_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force") as caught:
        call_command("seed_demo", "--targets", "1", "--days", "1")
    assert caught.value.returncode == 2
    call_command(
        "seed_demo", "--targets", "1", "--lists", "1", "--days", "1", "--force"
    )
    assert Target.objects.count() == 1


def test_runs_count_their_lookups_and_targets_know_their_last_check():
    call_command(
        "seed_demo", "--targets", "20", "--lists", "10", "--days", "30", "--seed", "5"
    )
    for run in CheckRun.objects.all():
        assert run.listed_count == run.lookups.filter(verdict="listed").count()
        assert run.error_count == run.lookups.filter(verdict="error").count()
    assert not Target.objects.filter(last_checked_at__isnull=True).exists()
    latest = CheckRun.objects.filter(target=Target.objects.first()).first()
    assert latest.created_at == latest.started_at  # newest day first


def test_seed_includes_cases_in_every_kind_of_state():
    from blcheck.cases import workflow
    from blcheck.cases.models import DelistingCase
    from blcheck.cases.timeline import case_timeline_entries

    call_command(
        "seed_demo", "--targets", "40", "--lists", "20", "--days", "60", "--seed", "2"
    )
    statuses = set(DelistingCase.objects.values_list("status", flat=True))
    assert {"closed", "requested", "awaiting_removal", "abandoned"} <= statuses
    for case in DelistingCase.objects.all():
        events = list(case.events.order_by("at", "pk"))
        assert events[0].kind == "opened"
        moves = [(e.from_status, e.to_status) for e in events if e.from_status]
        for before, after in moves:
            workflow.ensure_allowed(before, after)
        assert (moves[-1][1] if moves else "open") == case.status
        barracuda = case.blocklist.zone == "b.barracudacentral.org"
        assert bool(case.reference) <= barracuda
        if case.status == "closed":
            assert events[-1].kind == "closed" and case.time_to_delist is not None
        # Worded from their evidence, as the case services write it.
        for entry in case_timeline_entries(events):
            evidence = entry.event.evidence
            if entry.event.kind in ("checked", "verified", "overdue", "relisted"):
                assert entry.lookup is not None and entry.lookup.query_name
            if entry.event.kind == "requested":
                assert entry.facts and entry.words
            key = {
                "verified": "clean_count",
                "watching": "reevaluate_at",
                "waiting": "removal_due_at",
                "closed": "removed_hours",
                "abandoned": "by_hand",
            }.get(entry.event.kind)
            assert key is None or key in evidence
    assert DelistingCase.objects.filter(opened_at__date__lt=date.today()).exists()


def test_cases_default_to_one_and_a_half_per_target_or_as_asked(capsys):
    from blcheck.cases.models import DelistingCase

    call_command(
        "seed_demo", "--targets", "40", "--lists", "20", "--days", "60", "--seed", "2"
    )
    assert DelistingCase.objects.count() == 60
    Target.objects.all().delete()
    call_command(
        "seed_demo",
        *("--targets", "40", "--lists", "20", "--days", "60", "--cases", "25"),
    )
    assert DelistingCase.objects.count() == 25
    assert capsys.readouterr().out.rstrip().endswith("25 cases")


def test_demo_cases_belong_to_demo_it_staff_who_cannot_log_in():
    from blcheck.cases.models import DelistingCase
    from blcheck.core.access import can_edit

    call_command(
        "seed_demo", "--targets", "40", "--lists", "20", "--days", "60", "--seed", "2"
    )
    owners = {case.assignee for case in DelistingCase.objects.all()}
    staff = {user for user in owners if user is not None}
    assert len(staff) >= 2  # the cases-per-person report has people to compare
    assert all(can_edit(user) and not user.has_usable_password() for user in staff)


def test_lookups_carry_the_evidence_pages_show():
    call_command(
        "seed_demo", "--targets", "20", "--lists", "10", "--days", "30", "--seed", "5"
    )
    listed = Lookup.objects.filter(verdict="listed").first()
    assert listed.codes == ["127.0.0.2"] and listed.reason and listed.rcode == "NOERROR"
    error = Lookup.objects.filter(verdict="error").first()
    assert error.error == "timeout" and error.codes == [] and error.rcode == ""
    assert listed.query_name.endswith(listed.blocklist.zone)
