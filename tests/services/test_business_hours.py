"""Business-hours arithmetic: properties over random calendars (hypothesis), then the edge cases that broke
other systems: missing weekdays, 24/7 at midnight, holidays inside a pause, DST inside the window, reminders
falling in closed hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.services.business_hours import Calendar, CalendarError, parse_clock, weekdays

ZONES = ["UTC", "Europe/Athens", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
ATHENS = ZoneInfo("Europe/Athens")
NEW_YORK = ZoneInfo("America/New_York")
OFFICE = weekdays(range(5), "09:00", "17:00")
RELAXED = settings(deadline=None)  # two shared cores: a slow example is no failure


def day_intervals(points: list[int]) -> list[tuple[int, int]]:
    ordered = sorted(points)
    return [(ordered[i], ordered[i + 1]) for i in range(0, len(ordered) - 1, 2)]


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    zone = draw(st.sampled_from(ZONES))
    weekly = {day: day_intervals(draw(st.lists(st.integers(0, 1440), max_size=6, unique=True))) for day in range(7)}
    if not any(weekly.values()):
        weekly[draw(st.integers(0, 6))] = [(540, 1020)]
    holidays = draw(st.frozensets(st.dates(date(2026, 1, 1), date(2027, 12, 31)), max_size=20))
    return Calendar(time_zone=zone, weekly=weekly, holidays=holidays)


moments = st.datetimes(datetime(2026, 1, 1), datetime(2027, 6, 30), timezones=st.just(UTC))  # noqa: DTZ001
minutes = st.integers(0, 5000)


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)  # type: ignore[misc]


# --- Properties ---------------------------------------------------------------------------------------------------


@RELAXED
@given(calendars(), moments, minutes)
def test_adding_then_measuring_gives_the_minutes_back(calendar: Calendar, start: datetime, count: int) -> None:
    assert calendar.business_minutes_between(start, calendar.add_business_minutes(start, count)) == count


@RELAXED
@given(calendars(), moments, minutes, minutes)
def test_adding_in_two_steps_is_adding_at_once(calendar: Calendar, start: datetime, m: int, n: int) -> None:
    step = calendar.add_business_minutes(start, m)
    assert calendar.add_business_minutes(step, n) == calendar.add_business_minutes(start, m + n)


@RELAXED
@given(calendars(), moments, minutes, st.timedeltas(timedelta(0), timedelta(days=20)))
def test_more_minutes_or_a_later_start_never_give_an_earlier_due_time(
    calendar: Calendar, start: datetime, count: int, delay: timedelta
) -> None:
    due = calendar.add_business_minutes(start, count)
    assert calendar.add_business_minutes(start, count + 1) > due
    assert calendar.add_business_minutes(start + delay, count) >= due


@RELAXED
@given(calendars(), moments, st.integers(1, 5000))
def test_a_due_time_falls_inside_opening_hours(calendar: Calendar, start: datetime, count: int) -> None:
    due = calendar.add_business_minutes(start, count)
    day = due.astimezone(calendar.zone).date()
    intervals = calendar.open_intervals(day) + calendar.open_intervals(day - timedelta(days=1))
    assert any(begin < due <= end for begin, end in intervals)
    assert calendar.is_open(due - timedelta(microseconds=1))


@RELAXED
@given(calendars(), moments, st.timedeltas(timedelta(0), timedelta(days=30)))
def test_measuring_then_adding_never_passes_the_end(calendar: Calendar, start: datetime, span: timedelta) -> None:
    end = start + span
    measured = calendar.business_minutes_between(start, end)
    assert measured <= span // timedelta(minutes=1)
    assert calendar.add_business_minutes(start, measured) <= end


@RELAXED
@given(st.sampled_from(ZONES), moments, minutes, st.timedeltas(timedelta(0), timedelta(days=30)))
def test_round_the_clock_counts_real_minutes(zone: str, start: datetime, count: int, span: timedelta) -> None:
    always = Calendar(time_zone=zone, always_open=True)
    every_day = Calendar(time_zone=zone, weekly={day: [(0, 1440)] for day in range(7)})
    for calendar in (always, every_day):
        assert calendar.add_business_minutes(start, count) == start + timedelta(minutes=count)
        assert calendar.business_minutes_between(start, start + span) == span // timedelta(minutes=1)


@RELAXED
@given(calendars(), moments)
def test_the_next_opening_is_open(calendar: Calendar, moment: datetime) -> None:
    opening = calendar.next_open(moment)
    assert opening >= moment
    assert calendar.is_open(opening)
    assert calendar.business_minutes_between(moment, opening) == 0


# --- Edge cases -----------------------------------------------------------------------------------------------------


def test_a_schedule_without_some_weekdays_skips_them() -> None:
    calendar = Calendar(time_zone="Europe/Athens", weekly=weekdays((0, 2, 4), "09:00", "17:00"))
    monday_4pm = local(ATHENS, 2026, 3, 2, 16)
    assert calendar.add_business_minutes(monday_4pm, 120) == local(ATHENS, 2026, 3, 4, 10)
    assert calendar.business_minutes_between(local(ATHENS, 2026, 3, 3, 0), local(ATHENS, 2026, 3, 4, 0)) == 0
    assert calendar.add_business_minutes(monday_4pm, 60) == local(ATHENS, 2026, 3, 2, 17)  # due at closing time


def test_round_the_clock_runs_through_midnight() -> None:
    always = Calendar(time_zone="Europe/Athens", always_open=True)
    full_days = Calendar(time_zone="Europe/Athens", weekly={day: [(0, 1440)] for day in range(7)})
    night_shift = Calendar(time_zone="Europe/Athens", weekly={0: [(1320, 1440)], 1: [(0, 360)]})
    before_midnight = local(ATHENS, 2026, 6, 1, 23, 30)  # a Monday
    for calendar in (always, full_days, night_shift):
        assert calendar.add_business_minutes(before_midnight, 60) == local(ATHENS, 2026, 6, 2, 0, 30)
        assert calendar.business_minutes_between(before_midnight, local(ATHENS, 2026, 6, 2, 0, 30)) == 60
    assert full_days.add_business_minutes(local(ATHENS, 2026, 6, 1, 23), 60) == local(ATHENS, 2026, 6, 2, 0)
    assert always.business_minutes_between(local(ATHENS, 2026, 6, 2), local(ATHENS, 2026, 6, 2)) == 0


def test_a_holiday_inside_a_pause_is_not_counted() -> None:
    calendar = Calendar(time_zone="Europe/Athens", weekly=OFFICE, holidays=frozenset({date(2026, 4, 13)}))
    paused = local(ATHENS, 2026, 4, 10, 16)  # Friday; Easter Monday the 13th is a holiday
    resumed = local(ATHENS, 2026, 4, 14, 10)
    stood_still = calendar.business_minutes_between(paused, resumed)
    assert stood_still == 120
    due = local(ATHENS, 2026, 4, 10, 16, 30)
    assert calendar.add_business_minutes(due, stood_still) == local(ATHENS, 2026, 4, 14, 10, 30)


def test_dst_changes_inside_the_window() -> None:
    athens = Calendar(time_zone="Europe/Athens", always_open=True)
    saturday_noon = local(ATHENS, 2026, 3, 28, 12)  # clocks go forward at 03:00 on Sunday the 29th
    assert athens.add_business_minutes(saturday_noon, 24 * 60) == local(ATHENS, 2026, 3, 29, 13)
    sunday = Calendar(time_zone="Europe/Athens", weekly={6: [(0, 1440)]})
    assert sunday.business_minutes_between(local(ATHENS, 2026, 3, 29), local(ATHENS, 2026, 3, 30)) == 23 * 60
    assert sunday.business_minutes_between(local(ATHENS, 2026, 10, 25), local(ATHENS, 2026, 10, 26)) == 25 * 60

    new_york = Calendar(time_zone="America/New_York", weekly=OFFICE)
    friday = local(NEW_YORK, 2026, 10, 30, 16)  # clocks go back on Sunday 1 November
    due = new_york.add_business_minutes(friday, 120)
    assert due == local(NEW_YORK, 2026, 11, 2, 10)
    assert due - friday == timedelta(days=2, hours=19)  # an hour more than the wall clock says
    early = Calendar(time_zone="America/New_York", weekly={6: [(90, 180)]})  # 01:30-03:00 on Sundays
    spring = early.open_intervals(date(2026, 3, 8))  # 02:00-03:00 does not exist that day
    assert sum((end - start for start, end in spring), timedelta()) == timedelta(minutes=30)


def test_a_reminder_in_closed_hours_waits_for_the_opening() -> None:
    calendar = Calendar(time_zone="Europe/Athens", weekly=OFFICE)
    start = local(ATHENS, 2026, 5, 8, 16)  # Friday
    target = 8 * 60
    warn_at = calendar.add_business_minutes(start, target * 75 // 100)
    assert warn_at == local(ATHENS, 2026, 5, 11, 14)  # Monday, not Friday night
    assert calendar.is_open(warn_at)
    saturday_night = local(ATHENS, 2026, 5, 9, 23)
    assert not calendar.is_open(saturday_night)
    assert calendar.next_open(saturday_night) == local(ATHENS, 2026, 5, 11, 9)


@pytest.mark.parametrize(
    ("weekly", "zone"),
    [
        ({0: [(600, 540)]}, "UTC"),  # closes before it opens
        ({0: [(1320, 1500)]}, "UTC"),  # across midnight: two intervals instead
        ({0: [(540, 720), (700, 1020)]}, "UTC"),  # overlapping
        ({7: [(540, 1020)]}, "UTC"),  # no such weekday
        ({}, "UTC"),  # never open
        (OFFICE, "Mars/Olympus"),
    ],
)
def test_calendars_that_cannot_be_counted_in_are_refused(weekly: dict[int, list[tuple[int, int]]], zone: str) -> None:
    with pytest.raises(CalendarError):
        Calendar(time_zone=zone, weekly=weekly)


def test_holidays_for_years_are_refused_rather_than_looping() -> None:
    days = frozenset(date(2026, 1, 1) + timedelta(days=n) for n in range(4 * 366))
    calendar = Calendar(weekly=OFFICE, holidays=days)
    with pytest.raises(CalendarError):
        calendar.add_business_minutes(datetime(2026, 1, 1, tzinfo=UTC), 1)


def test_naive_datetimes_and_negative_minutes_are_refused() -> None:
    calendar = Calendar(weekly=OFFICE)
    with pytest.raises(ValueError, match="aware"):
        calendar.add_business_minutes(datetime(2026, 1, 1), 5)  # noqa: DTZ001
    with pytest.raises(ValueError, match="negative"):
        calendar.add_business_minutes(datetime(2026, 1, 1, tzinfo=UTC), -5)


@pytest.mark.parametrize(("text", "minutes"), [("09:30", 570), ("00:00", 0), ("24:00", 1440)])
def test_clock_times_parse(text: str, minutes: int) -> None:
    assert parse_clock(text) == minutes


@pytest.mark.parametrize("text", ["9", "24:30", "10:60", "ab:cd", "10:5"])
def test_bad_clock_times_are_refused(text: str) -> None:
    with pytest.raises(CalendarError):
        parse_clock(text)
