"""Business-hours arithmetic for the SLA clock: pure, no database.

A `Calendar` is a time zone, opening intervals per weekday in local wall-clock time, and holidays (local dates
closed all day), or round the clock. Opening hours are turned into real instants day by day through `zoneinfo`,
so a business minute is always a real minute: the day the clocks go forward an 00:00-24:00 day is 23 hours long,
the day they go back 25, and an interval partly inside the skipped hour is shortened, never doubled.

Definitions the SLA relies on:

- `add_business_minutes(start, m)` is the earliest instant at which `m` open minutes have passed since `start`;
  for `m > 0` it always falls inside opening hours (a target met at 17:00 sharp is due at 17:00, not at 09:00
  the next morning). `m == 0` returns `start` itself.
- `business_minutes_between(a, b)` is the open time in `[a, b]` in whole minutes (0 when `b <= a`).

So `add(add(a, m), n) == add(a, m + n)` and `business_minutes_between(a, add(a, m)) == m`, which is what lets a
paused clock move its due time by the business minutes it stood still.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_MINUTES = 24 * 60
MAX_CLOSED_DAYS = 3 * 366  # a calendar closed this long in a row is a mistake, not a schedule
_MINUTE = timedelta(minutes=1)


class CalendarError(ValueError):
    """A calendar that cannot be counted in: unknown time zone, bad or overlapping intervals, never open."""


Interval = tuple[int, int]  # minutes from local midnight: (540, 1020) is 09:00-17:00


@dataclass(frozen=True)
class Calendar:
    """`weekly` maps a weekday (0 Monday .. 6 Sunday) to its opening intervals; `always_open` ignores both
    the hours and the holidays. An interval ends by midnight (1440): a night shift is two intervals, 22:00-24:00
    and 00:00-06:00 the next day, and the clock runs through midnight without a break."""

    time_zone: str = "UTC"
    weekly: Mapping[int, Sequence[Interval]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    always_open: bool = False

    def __post_init__(self) -> None:
        try:
            zone = ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise CalendarError(f"unknown time zone {self.time_zone!r}") from error
        object.__setattr__(self, "_zone", zone)
        normalised: dict[int, tuple[Interval, ...]] = {}
        for weekday, intervals in self.weekly.items():
            if weekday not in range(7):
                raise CalendarError(f"weekday {weekday} is not 0 (Monday) .. 6 (Sunday)")
            ordered = sorted((int(opens), int(closes)) for opens, closes in intervals)
            for index, (opens, closes) in enumerate(ordered):
                if not 0 <= opens < closes <= DAY_MINUTES:
                    raise CalendarError(f"interval {opens}-{closes} must open before it closes, within one day")
                if index and opens < ordered[index - 1][1]:
                    raise CalendarError(f"intervals overlap on weekday {weekday}")
            if ordered:
                normalised[weekday] = tuple(ordered)
        if not self.always_open and not normalised:
            raise CalendarError("a calendar needs opening hours or to be always open")
        object.__setattr__(self, "weekly", normalised)
        object.__setattr__(self, "holidays", frozenset(self.holidays))

    @property
    def zone(self) -> ZoneInfo:
        zone: ZoneInfo = self._zone  # type: ignore[attr-defined]
        return zone

    # --- Opening hours as real instants ----------------------------------------------------------------------

    def _instant(self, day: date, minute: int) -> datetime:
        day += timedelta(days=minute // DAY_MINUTES)
        minute %= DAY_MINUTES
        local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.zone)
        return local.astimezone(UTC)

    def open_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's opening hours as UTC instants, in order, disjoint; empty on holidays and closed weekdays."""
        if self.always_open:
            return [(self._instant(day, 0), self._instant(day, DAY_MINUTES))]
        if day in self.holidays:
            return []
        result: list[tuple[datetime, datetime]] = []
        for opens, closes in self.weekly.get(day.weekday(), ()):
            start, end = self._instant(day, opens), self._instant(day, closes)
            if result and start < result[-1][1]:
                start = result[-1][1]  # a wall-clock hour the clocks went back through: counted once
            if end > start:
                result.append((start, end))
        return result

    def _local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def _intervals_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Opening intervals that end after `moment`, clipped to start no earlier than it, for ever."""
        day = self._local_date(moment) - timedelta(days=1)  # yesterday's last interval may run until midnight
        closed_days = 0
        while True:
            intervals = self.open_intervals(day)
            closed_days = 0 if intervals else closed_days + 1
            if closed_days > MAX_CLOSED_DAYS:
                raise CalendarError("the calendar stays closed for years: check its holidays")
            for start, end in intervals:
                if end > moment:
                    yield max(start, moment), end
            day += timedelta(days=1)

    # --- The arithmetic -------------------------------------------------------------------------------------------

    def add_business_minutes(self, start: datetime, minutes: int) -> datetime:
        """The instant `minutes` open minutes after `start` (an aware datetime), in UTC."""
        _check_aware(start)
        if minutes < 0:
            raise ValueError("minutes must not be negative")
        start = start.astimezone(UTC)
        if minutes == 0:
            return start
        if self.always_open:
            return start + minutes * _MINUTE
        remaining = minutes * _MINUTE
        for begin, end in self._intervals_from(start):
            if end - begin >= remaining:
                return begin + remaining
            remaining -= end - begin
        raise AssertionError("unreachable: _intervals_from never ends")  # pragma: no cover

    def business_minutes_between(self, a: datetime, b: datetime) -> int:
        """Open minutes in `[a, b]`, rounded down; 0 when `b` is not after `a`."""
        _check_aware(a)
        _check_aware(b)
        a, b = a.astimezone(UTC), b.astimezone(UTC)
        if b <= a:
            return 0
        if self.always_open:
            return (b - a) // _MINUTE
        total = timedelta()
        for begin, end in self._intervals_from(a):
            if begin >= b:
                break
            total += min(end, b) - begin
        return total // _MINUTE

    def is_open(self, moment: datetime) -> bool:
        _check_aware(moment)
        moment = moment.astimezone(UTC)
        if self.always_open:
            return True
        return any(start <= moment < end for start, end in self.open_intervals(self._local_date(moment)))

    def next_open(self, moment: datetime) -> datetime:
        """`moment` if the calendar is open then, else the next opening: when a reminder may go out."""
        _check_aware(moment)
        moment = moment.astimezone(UTC)
        if self.always_open:
            return moment
        begin, _end = next(self._intervals_from(moment))
        return begin


def _check_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("business-hours arithmetic needs aware datetimes")


def weekdays(days: Iterable[int], opens: str, closes: str) -> dict[int, list[Interval]]:
    """`weekdays(range(5), "09:00", "17:00")`: the same interval on several weekdays."""
    interval = (parse_clock(opens), parse_clock(closes))
    return {day: [interval] for day in days}


def parse_clock(text: str) -> int:
    """ "09:30" -> 570; "24:00" -> 1440 (the end of the day). `CalendarError` otherwise."""
    hours, sep, minutes = text.strip().partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2:
        raise CalendarError(f"{text!r} is not a time such as 09:30")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or value > DAY_MINUTES:
        raise CalendarError(f"{text!r} is not a time such as 09:30")
    return value
