"""Pure: transitions, policy timers and the verification rule."""

from datetime import UTC, datetime, timedelta

import pytest

from blcheck.cases.workflow import (
    ACTIVE,
    TRANSITIONS,
    Action,
    Policy,
    Status,
    TransitionError,
    VerifyRule,
    ensure_allowed,
    is_verified,
    next_check,
    reevaluation_at,
    removal_due,
)

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
BARRACUDA = Policy(delist_method="form", removal_hours=48, reevaluation_days=30)
SPAMCOP = Policy(delist_method="expiry", expiry_hours=24)
UCEPROTECT_L2 = Policy(delist_method="isp")
RULE = VerifyRule(lookups=2, spacing=timedelta(minutes=30))


def test_every_status_has_its_moves_and_ends_are_final():
    assert set(TRANSITIONS) == set(Status)
    assert TRANSITIONS[Status.CLOSED] == TRANSITIONS[Status.ABANDONED] == frozenset()
    assert Status.CLOSED not in ACTIVE and Status.WATCHING in ACTIVE


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (Status.OPEN, Status.REQUESTED),
        (Status.REQUESTED, Status.REMOVAL_VERIFIED),
        (Status.REMOVAL_VERIFIED, Status.WATCHING),
        (Status.WATCHING, Status.CLOSED),
        (Status.WATCHING, Status.RELISTED),
        (Status.RELISTED, Status.REQUESTED),
        (Status.REJECTED, Status.REQUESTED),
    ],
)
def test_the_story_moves_are_allowed(current, target):
    ensure_allowed(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (Status.OPEN, Status.CLOSED),
        (Status.OPEN, Status.WATCHING),
        (Status.CLOSED, Status.OPEN),
        (Status.ABANDONED, Status.REQUESTED),
        (Status.WATCHING, Status.REQUESTED),
    ],
)
def test_skipping_steps_is_refused(current, target):
    with pytest.raises(TransitionError):
        ensure_allowed(current, target)


def test_barracuda_removal_is_due_48_hours_after_the_request():
    assert removal_due(
        BARRACUDA, requested_at=T0, opened_at=T0 - timedelta(hours=2)
    ) == (T0 + timedelta(hours=48))
    assert removal_due(BARRACUDA, requested_at=None, opened_at=T0) is None


def test_barracuda_re_evaluates_30_days_after_removal():
    assert reevaluation_at(BARRACUDA, T0) == T0 + timedelta(days=30)
    assert reevaluation_at(SPAMCOP, T0) is None


def test_spamcop_says_wait_and_until_when():
    assert SPAMCOP.action is Action.WAIT
    assert removal_due(SPAMCOP, requested_at=None, opened_at=T0) == T0 + timedelta(
        hours=24
    )


def test_uceprotect_level_2_needs_the_network_owner():
    assert UCEPROTECT_L2.action is Action.OWNER
    assert BARRACUDA.action is Action.REQUEST


def test_a_single_clean_answer_never_verifies():
    assert not is_verified([T0], RULE)
    assert not is_verified([T0], VerifyRule(lookups=1, spacing=timedelta(0)))


def test_two_clean_answers_too_close_together_do_not_verify():
    assert not is_verified([T0, T0 + timedelta(minutes=10)], RULE)


def test_two_clean_answers_half_an_hour_apart_verify():
    assert is_verified([T0, T0 + timedelta(minutes=30)], RULE)


def test_three_lookups_need_twice_the_spacing():
    rule = VerifyRule(lookups=3, spacing=timedelta(minutes=30))
    assert not is_verified(
        [T0, T0 + timedelta(minutes=30), T0 + timedelta(minutes=40)], rule
    )
    assert is_verified(
        [T0, T0 + timedelta(minutes=30), T0 + timedelta(minutes=60)], rule
    )


def test_next_check_while_verifying_and_while_watching():
    assert next_check(Status.REQUESTED, now=T0, rule=RULE, reevaluate_at=None) == (
        T0 + timedelta(minutes=30)
    )
    later = T0 + timedelta(days=30)
    assert next_check(Status.WATCHING, now=T0, rule=RULE, reevaluate_at=later) == later
    assert next_check(Status.CLOSED, now=T0, rule=RULE, reevaluate_at=None) is None


def test_durations_read_well():
    from blcheck.core.templatetags.blcheck import timesince_delta

    assert timesince_delta(timedelta(hours=19, minutes=31)) == "19 h 31 min"
    assert timesince_delta(timedelta(days=2, hours=3, minutes=5)) == "2 d 3 h"
    assert timesince_delta(timedelta(minutes=45)) == "45 min"
    assert timesince_delta(None) == "—"
