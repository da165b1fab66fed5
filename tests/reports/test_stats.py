"""The reports' arithmetic: pure, no database."""

from datetime import date, timedelta

import pytest

from blcheck.reports import stats


def test_median_of_an_odd_count_is_the_middle_value():
    values = [timedelta(hours=h) for h in (9, 1, 5)]
    assert stats.median(values) == timedelta(hours=5)


def test_median_of_an_even_count_is_halfway_between_the_middle_two():
    values = [timedelta(hours=h) for h in (10, 1, 2, 40)]
    assert stats.median(values) == timedelta(hours=6)


def test_median_of_nothing_is_none():
    assert stats.median([]) is None


def test_summary_gives_count_median_and_worst():
    summary = stats.summarise([timedelta(days=1), timedelta(days=3), timedelta(0)])
    assert summary == stats.Durations(
        count=3, median=timedelta(days=1), worst=timedelta(days=3)
    )
    assert stats.summarise([]) == stats.Durations(count=0, median=None, worst=None)


def test_hours_are_rounded_to_one_decimal():
    assert stats.hours(timedelta(minutes=90)) == 1.5
    assert stats.hours(timedelta(days=2, minutes=20)) == 48.3
    assert stats.hours(None) is None


def test_age_buckets_cover_all_ages_without_gaps():
    for (_lower, upper), (next_lower, _upper) in zip(
        stats.AGE_BUCKETS, stats.AGE_BUCKETS[1:], strict=False
    ):
        assert upper == next_lower
    assert stats.AGE_BUCKETS[0][0] == timedelta(0)
    assert stats.AGE_BUCKETS[-1][1] is None


def test_last_months_counts_the_current_month_and_those_before_it():
    period = stats.last_months(date(2025, 3, 15), 12)
    assert period.first == date(2024, 4, 1)
    assert period.last == date(2025, 3, 1)
    assert period.end == date(2025, 4, 1)
    assert len(period.months) == 12
    assert period.months[0] == date(2024, 4, 1)
    assert period.months[-1] == date(2025, 3, 1)


def test_last_three_months_across_a_new_year():
    period = stats.last_months(date(2025, 1, 31), 3)
    assert period.months == [date(2024, 11, 1), date(2024, 12, 1), date(2025, 1, 1)]
    assert period.end == date(2025, 2, 1)


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("2025-03", date(2025, 3, 1)),
        (" 2024-12 ", date(2024, 12, 1)),
        ("2025-13", None),
        ("2025-00", None),
        ("2025-3", None),
        ("March", None),
        ("", None),
        ("0000-01", None),
    ],
)
def test_parse_month_reads_only_year_dash_month(text, month):
    assert stats.parse_month(text) == month


def test_months_between_refuses_backwards_and_too_long_periods():
    assert stats.months_between(date(2025, 5, 1), date(2025, 4, 1)) is None
    too_long = stats.months_between(date(2020, 1, 1), date(2023, 1, 1))
    assert too_long is None
    one = stats.months_between(date(2025, 5, 1), date(2025, 5, 1))
    assert one is not None and one.months == [date(2025, 5, 1)]
    longest = stats.months_between(date(2020, 1, 1), date(2022, 12, 1))
    assert longest is not None and len(longest.months) == stats.MAX_MONTHS


def test_column_sums_add_up_each_month_and_give_zeros_without_rows():
    assert stats.column_sums([[1, 2, 3], [4, 5, 6]], 3) == [5, 7, 9]
    assert stats.column_sums([], 2) == [0, 0]


@pytest.mark.parametrize(
    "seconds", [[], [5.0], [1.0, 3.0], [1.0, 2.0, 9.0], [4.0, 1.0, 3.0, 2.0]]
)
def test_summarise_seconds_agrees_with_summarise(seconds):
    as_durations = [timedelta(seconds=value) for value in seconds]
    assert stats.summarise_seconds(seconds) == stats.summarise(as_durations)
