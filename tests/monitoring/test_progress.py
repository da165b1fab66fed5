"""Progress that moves and a result you can read (issue 15, point 5).

A run's `done` advances while its lookups are recorded, chunk by chunk, one
UPDATE a chunk; a finished group says what it found, target by target, and
never "checking"; a finished /28 folds its clean addresses; the pages' live
regions speak only when what they say changed; their queries do not grow
with the runs or the lookups.
"""

import re
import time
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from blcheck.monitoring import services
from blcheck.monitoring.models import Blocklist, CheckRun, Target
from tests.factories import (
    BlocklistFactory,
    CheckRunFactory,
    LookupFactory,
    TargetFactory,
)
from tests.support.html import parse

DASH = "\N{EN DASH}"  # between the first and last address of a span

# --- done moves during a run ------------------------------------------------------


@pytest.fixture
def fast_and_slow(settings):
    """Two lists that answer at once and one that answers in 0.3 s; a step
    holds all 48 pairs of a /28, recorded 16 pairs a chunk."""
    settings.CHECK_STEP = 500
    settings.PROGRESS_EVERY = 16
    Blocklist.objects.update(is_enabled=False)
    for zone in ("good.dnsbl.test", "second.dnsbl.test", "slow.dnsbl.test"):
        Blocklist.objects.create(zone=zone, name=zone)
    return TargetFactory(value="192.0.2.0/28", kind=Target.Kind.RANGE)


@pytest.mark.worker
@pytest.mark.dns
@pytest.mark.django_db(transaction=True)
def test_done_moves_while_the_run_is_asked(celery_worker, fast_and_slow):
    (run,) = services.run_create(targets=[fast_and_slow], by=None, trigger="manual")
    seen = set()
    deadline = time.monotonic() + 30
    while run.is_active and time.monotonic() < deadline:
        run.refresh_from_db()
        seen.add(run.done)
        time.sleep(0.01)
    assert run.status == "finished" and run.done == run.total == 48
    # The fast lists' chunks are recorded while the slow list is still asked.
    assert {n for n in seen if 0 < n < run.total}, seen


def progress_updates(runs):
    """Check the runs here; how many UPDATEs moved their `done`."""
    with CaptureQueriesContext(connection) as queries:
        services.run_check(run_ids=[r.pk for r in runs], claimant="task-a")
    done = re.compile(r'SET "done" = \("monitoring_checkrun"\."done" \+')
    return sum(1 for q in queries.captured_queries if done.search(q["sql"]))


@pytest.mark.dns
@pytest.mark.django_db
def test_progress_is_one_update_a_chunk_not_one_a_lookup(fast_and_slow):
    run = CheckRun.objects.create(target=fast_and_slow, trigger="manual")
    assert progress_updates([run]) == 3  # 48 lookups, 16 a chunk
    run.refresh_from_db()
    assert (run.status, run.done, run.lookups.count()) == ("finished", 48, 48)


@pytest.mark.dns
@pytest.mark.django_db
def test_small_runs_of_a_step_are_recorded_together(fast_and_slow):
    """Runs no bigger than a chunk (a sweep of single addresses) cost one
    recording a step, as before: chunks only cut the bigger runs."""
    runs = [
        CheckRunFactory(target=TargetFactory(value=f"192.0.2.{n}")) for n in (1, 2, 3)
    ]
    assert progress_updates(runs) == 1  # 9 lookups of three runs, one chunk
    assert [r.done for r in CheckRun.objects.order_by("pk")] == [3, 3, 3]


# --- a finished group -------------------------------------------------------------


@pytest.fixture
def lists(db):
    return [BlocklistFactory(zone=f"prog{n:02d}.dnsbl.test") for n in range(20)]


def finished_run(group, lists, *, value, listed=0, errors=(), status="finished"):
    """A run of `value` over `lists`: `listed` listings, then one failed lookup
    per error token, the rest not listed."""
    target = TargetFactory(value=value)
    run = CheckRunFactory(
        target=target, group=group, status=status, total=len(lists), done=len(lists)
    )
    for n, blocklist in enumerate(lists):
        error = errors[n - listed] if listed <= n < listed + len(errors) else ""
        verdict = "listed" if n < listed else "error" if error else "not_listed"
        LookupFactory(run=run, blocklist=blocklist, verdict=verdict, error=error)
    run.listed_count, run.error_count = listed, len(errors)
    run.save()
    return run


def group_page(client, user, group, **headers):
    client.force_login(user)
    response = client.get(reverse("monitoring:group-progress", args=[group]), **headers)
    assert response.status_code == 200
    return parse(response.content)


def not_checking(page):
    """A finished group's page: no "checking" anywhere, nothing polls."""
    assert "Checking" not in page.find("title").text
    assert "Checking" not in page.find("h1").text
    assert "checking" not in page.text.lower()
    assert "still running" not in page.text
    assert not page.find_all(hx_get=True)


def test_finished_group_shows_what_it_found_target_by_target(client, manager, lists):
    group = uuid.uuid4()
    clean = [finished_run(group, lists, value=f"192.0.2.{n}") for n in (1, 2, 3)]
    errored = finished_run(group, lists, value="192.0.2.20", errors=["timeout"] * 2)
    listed = finished_run(
        group, lists, value="192.0.2.30", listed=2, errors=["refused"]
    )
    failed = CheckRunFactory(
        target=TargetFactory(value="192.0.2.40"),
        group=group,
        status="failed",
        failure="gave up after 5 attempts",
    )
    blind = CheckRunFactory(
        target=TargetFactory(value="192.0.2.50"), group=group, status="blind"
    )
    page = group_page(client, manager, group)
    not_checking(page)
    assert page.find("h1").text.strip() == "Check results"
    rows = page.find("table", class_="group-found").find("tbody").find_all("tr")
    links = [row.find("a")["href"] for row in rows]
    target_url = "reports:target-detail"
    assert links == [
        reverse(target_url, args=[r.target_id]) for r in (listed, errored, failed)
    ]
    assert "Listed: 2 answers." in rows[0].text
    assert "1 of 20 lookups failed (REFUSED)." in rows[0].text
    assert "2 of 20 lookups failed (timeout)." in rows[1].text
    assert "The check failed: gave up after 5 attempts" in rows[2].text
    folded = page.find("details", class_="group-blind")
    assert folded.find("a")["href"] == reverse(target_url, args=[blind.target_id])
    assert "3 targets not listed" in page.find("p", class_="group-clean").text
    for run in clean:
        assert reverse(target_url, args=[run.target_id]) not in str(page)
    outcome = page.find("p", class_="group-outcome").text
    assert "1 target got no answers" in outcome and "1 check failed." in outcome


@pytest.mark.parametrize("state", ["finished", "failed", "blind", "mixture"])
def test_a_finished_group_never_says_checking(client, manager, lists, state):
    group = uuid.uuid4()
    if state in ("finished", "mixture"):
        finished_run(group, lists, value="192.0.2.1")
    if state in ("failed", "mixture"):
        CheckRunFactory(group=group, status="failed", failure="boom")
    if state in ("blind", "mixture"):
        CheckRunFactory(group=group, status="blind")
    not_checking(group_page(client, manager, group))
    # The poll that sees it finish swaps the heading and the title too.
    partial = group_page(client, manager, group, HTTP_HX_REQUEST="true")
    assert partial.find("title").text.startswith("Check results")
    heading = partial.find("h1")
    assert heading["hx-swap-oob"] == "true" and heading.text == "Check results"


def test_a_running_group_polls_and_labels_its_progress_bar(client, manager, lists):
    group = uuid.uuid4()
    finished_run(group, lists, value="192.0.2.1")
    CheckRunFactory(group=group, status="running", total=20, done=5)
    page = group_page(client, manager, group)
    assert page.find("h1").text == "Checking"
    bar = page.find("progress")
    assert (bar["max"], bar["value"]) == ("100", "62")
    label = page.find("label", for_=bar["id"])
    assert label.text == "25 of 40 lookups"
    assert not page.find_all("table", class_="group-found")


# --- live regions: spoken when what they say changed, not every poll ---------------


def test_group_live_region_speaks_at_each_quarter_not_each_poll(client, manager, lists):
    group = uuid.uuid4()
    run = CheckRunFactory(group=group, status="running", total=40, done=5)
    page = group_page(client, manager, group)
    live = page.find(id=f"group-said-{group}")
    assert live["role"] == "status" and live["aria-live"] == "polite"
    section = page.find("section", id=f"group-{group}")
    assert "aria-live" not in section.attrs  # replaced each second: not live
    assert section["hx-vals"] == '{"said": "0"}'  # what it said

    def poll(said):
        url = reverse("monitoring:group-progress", args=[group])
        client.force_login(manager)
        response = client.get(f"{url}?said={said}", HTTP_HX_REQUEST="true")
        spoken = parse(response.content).find_all(hx_swap_oob="innerHTML")
        return spoken[0] if spoken else None

    assert poll("0") is None  # nothing new to say: the live region is left alone
    run.done = 21
    run.save()
    spoken = poll("0")
    assert spoken["id"] == f"group-said-{group}"
    assert "21 of 40 lookups done." in spoken.text
    assert poll("50") is None
    run.status, run.done = "finished", 40
    run.save()
    assert "Done: 0 listed" in poll("75").text


def test_run_live_region_holds_the_headline_and_speaks_once_done(client, manager):
    run = CheckRunFactory(status="running", total=40, done=3)
    client.force_login(manager)
    url = reverse("monitoring:run-detail", args=[run.pk])
    page = parse(client.get(url).content)
    live = page.find(id=f"run-said-{run.pk}")
    assert live["role"] == "status" and live.find("p", class_="run-status")
    section = page.find("section", id=f"run-{run.pk}")
    assert "aria-live" not in section.attrs
    assert section["hx-get"] == url
    assert section["hx-vals"] == '{"said": "running:0"}'
    bar = section.find("progress")
    assert (bar["max"], bar["value"]) == ("100", "7")
    assert section.find("label", for_=bar["id"]).text == "3 of 40 lookups"
    poll = parse(client.get(f"{url}?said=running:0", HTTP_HX_REQUEST="true").content)
    assert not poll.find_all(hx_swap_oob=True)
    run.status, run.done = "finished", 40
    run.save()
    poll = parse(client.get(f"{url}?said=running:0", HTTP_HX_REQUEST="true").content)
    spoken = poll.find(hx_swap_oob="innerHTML")
    assert spoken["id"] == f"run-said-{run.pk}"
    assert "Finished: 0 listed, 40 not listed." in spoken.text


# --- a finished /28 ---------------------------------------------------------------


def range_run(lists, *, listed=(), failed=()):
    """A finished run of 192.0.2.0/28 on `lists`: (address, list index) pairs
    in `listed` say listed, in `failed` time out, the rest not listed."""
    target = TargetFactory(value="192.0.2.0/28", kind=Target.Kind.RANGE)
    run = CheckRunFactory(target=target, status="finished")
    for host in range(16):
        address = f"192.0.2.{host}"
        for n, blocklist in enumerate(lists):
            verdict = (
                "listed"
                if (address, n) in listed
                else "error"
                if (address, n) in failed
                else "not_listed"
            )
            LookupFactory(
                run=run,
                blocklist=blocklist,
                subject=address,
                verdict=verdict,
                error="timeout" if verdict == "error" else "",
                codes=["127.0.0.2"] if verdict == "listed" else [],
            )
    run.done, run.total = 16 * len(lists), 16 * len(lists)
    run.listed_count, run.error_count = len(listed), len(failed)
    run.save()
    return run


def run_page(client, user, run):
    client.force_login(user)
    response = client.get(reverse("monitoring:run-detail", args=[run.pk]))
    assert response.status_code == 200
    return parse(response.content)


def test_clean_range_folds_its_addresses(client, manager, lists):
    page = run_page(client, manager, range_run(lists))
    assert len(page.find_all("tr")) <= 40  # was 321 rows: one per lookup
    folded = page.find("details", class_="verdict-group-clean")
    assert "open" not in folded.attrs  # closed by default, a native control
    assert "16 addresses or domains" in folded.find("summary").text
    (span,) = folded.find("tbody").find_all("tr")
    cells = [td.text.strip() for td in span.find_all("td")]
    assert cells == [f"192.0.2.0 {DASH} 192.0.2.15", "16", "20"]
    assert "Finished: 0 listed, 320 not listed." in page.text


def test_range_shows_listed_and_failed_first_and_folds_the_rest(client, manager, lists):
    run = range_run(
        lists,
        listed={("192.0.2.5", 0), ("192.0.2.5", 3)},
        failed={(f"192.0.2.{h}", 7) for h in range(16)} - {("192.0.2.5", 7)},
    )
    page = run_page(client, manager, run)
    tables = page.find_all("table", class_="results")
    assert "verdict-group-listed" in tables[0].classes
    listed = tables[0].find("tbody").find_all("tr")
    assert [r.find("code").text for r in listed] == ["192.0.2.5", "192.0.2.5"]
    assert "verdict-group-error" in tables[1].classes
    (failed,) = tables[1].find("tbody").find_all("tr")
    assert lists[7].name in failed.text and "15 addresses" in failed.text
    # .5 is listed, the others failed on one list: none is clean.
    assert not page.find_all("details", class_="verdict-group-clean")
    assert "Finished: 2 listed, 303 not listed." in page.text
    assert len(page.find_all("tr")) <= 40


def test_clean_spans_break_at_an_address_that_is_not_clean(client, manager, lists):
    run = range_run(lists, failed={("192.0.2.7", 2)})
    folded = run_page(client, manager, run).find("details")
    spans = [tr.find("td").text.strip() for tr in folded.find("tbody").find_all("tr")]
    assert spans == [f"192.0.2.0 {DASH} 192.0.2.6", f"192.0.2.8 {DASH} 192.0.2.15"]
    assert "15 addresses" in folded.find("summary").text


# --- queries do not grow with runs or lookups -------------------------------------


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_group_page_queries_do_not_grow_with_its_runs(
    client, manager, lists, django_assert_max_num_queries
):
    client.force_login(manager)
    small, large = uuid.uuid4(), uuid.uuid4()
    finished_run(small, lists[:2], value="192.0.2.1", errors=["timeout"])
    for n in range(12):
        finished_run(
            large,
            lists[:2],
            value=f"192.0.2.{n + 10}",
            listed=n % 2,
            errors=["timeout"],
        )
    CheckRunFactory(group=large, status="blind")
    CheckRunFactory(group=large, status="failed")
    url = "monitoring:group-progress"
    few = count_queries(client, reverse(url, args=[small]))
    with django_assert_max_num_queries(few):
        client.get(reverse(url, args=[large]))
    with django_assert_max_num_queries(12):
        client.get(reverse(url, args=[large]))


def test_run_page_queries_do_not_grow_with_its_lookups(
    client, manager, lists, django_assert_max_num_queries
):
    client.force_login(manager)
    one = finished_run(uuid.uuid4(), lists[:1], value="192.0.2.1")
    many = range_run(lists, listed={("192.0.2.1", 1)}, failed={("192.0.2.2", 2)})
    url = "monitoring:run-detail"
    few = count_queries(client, reverse(url, args=[one.pk]))
    with django_assert_max_num_queries(few):
        client.get(reverse(url, args=[many.pk]))
    with django_assert_max_num_queries(12):
        client.get(reverse(url, args=[many.pk]))


def test_finished_group_page_in_japanese(client, manager, lists):
    group = uuid.uuid4()
    finished_run(group, lists, value="192.0.2.1")
    finished_run(group, lists, value="192.0.2.2", listed=1)
    page = group_page(client, manager, group, HTTP_ACCEPT_LANGUAGE="ja")
    assert page.find("h1").text == "チェック結果"
    assert "チェック中" not in page.text
    (row,) = page.find("table", class_="group-found").find("tbody").find_all("tr")
    assert "掲載: 回答 1 件。" in row.text
    clean = (
        "掲載なしの監視対象 1 件: "
        "問い合わせたすべてのリストが「掲載なし」と回答しました。"
    )
    assert clean in page.find("p", class_="group-clean").text
