"""Pure: transitions, policy timers and the verification rule."""

from datetime import UTC, datetime, timedelta

import pytest

from blcheck.cases.workflow import (
    ACTIVE,
    ENDED,
    TRANSITIONS,
    Action,
    CharKind,
    NoRequest,
    Policy,
    Status,
    TransitionError,
    VerifyRule,
    ensure_allowed,
    hand_ends,
    is_verified,
    next_check,
    reevaluation_at,
    reference_shape,
    removal_due,
    request_blocked,
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


# --- what can be done now: requests, hand ends, confirmation numbers ----------


@pytest.mark.parametrize("status", list(Status))
def test_a_request_is_open_where_the_table_leads_to_requested(status):
    blocked = request_blocked(BARRACUDA, status)
    can = status is Status.REQUESTED or Status.REQUESTED in TRANSITIONS[status]
    assert (blocked is None) == can
    if status in ENDED:
        assert blocked is NoRequest.ENDED


def test_lists_that_take_no_requests_say_why():
    assert request_blocked(SPAMCOP, Status.AWAITING_REMOVAL) is NoRequest.EXPIRY
    assert request_blocked(UCEPROTECT_L2, Status.OPEN) is NoRequest.OWNER
    assert request_blocked(Policy(delist_method="none"), Status.OPEN) is (
        NoRequest.NONE
    )
    assert request_blocked(BARRACUDA, Status.WATCHING) is NoRequest.WATCHING
    assert request_blocked(BARRACUDA, Status.REMOVAL_VERIFIED) is NoRequest.VERIFIED
    for method in ("form", "self_service", "email", ""):
        assert request_blocked(Policy(delist_method=method), Status.OPEN) is None


@pytest.mark.parametrize("status", list(Status))
def test_hand_ends_are_moves_the_table_allows(status):
    ends = hand_ends(status)
    assert set(ends) <= TRANSITIONS[status]
    assert bool(ends) == (status in ACTIVE)  # an active case can always be ended
    assert (Status.CLOSED in ends) == (
        status in (Status.REMOVAL_VERIFIED, Status.WATCHING)
    )


def test_barracudas_confirmation_numbers_as_a_shape():
    shape = reference_shape("^BBR[0-9-]+$")
    assert shape is not None and shape.example == "BBR1234567-89"
    fixed, run = shape.pieces
    assert fixed.literal == "BBR"
    assert (run.kinds, run.least, run.most) == (
        (CharKind.DIGIT, CharKind.HYPHEN),
        1,
        None,
    )


@pytest.mark.parametrize(
    ("pattern", "example"),
    [
        (r"^[A-Z]{3}\d{6}$", "ABC123456"),
        (r"^T[0-9A-Z]{10}$", "TAB12345678"),
        (r"[0-9-]{8}", "12345-78"),
        (r"^ABC-\d+$", "ABC-1234567"),
        (r"X\-?\d+", "X-1234567"),
    ],
)
def test_common_shapes_get_an_example_that_matches(pattern, example):
    import re

    shape = reference_shape(pattern)
    assert shape is not None and shape.example == example
    assert re.fullmatch(pattern.strip("^$"), example)


@pytest.mark.parametrize(
    "pattern", ["", "^$", "(AB|CD)+", ".*", "[^0-9]+", "[0-9", r"\s+", "^BBR["]
)
def test_other_patterns_have_no_shape(pattern):
    assert reference_shape(pattern) is None
