"""Billing periods, billing days and instants (SPEC §6.1).

Period ``YYYY-MM`` ends on day ``min(close_day, last day of the month)`` of that month and
starts the day after the previous period's end. A billing day is a calendar day in the
billing time zone; instants are seconds since the epoch.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from reconciler.errors import UserError

CloseDay = int | str  # 1..31 or "last"


def _end_day(year: int, month: int, close_day: CloseDay) -> dt.date:
    last = _cal.monthrange(year, month)[1]
    day = last if close_day == "last" else min(int(close_day), last)
    return dt.date(year, month, day)


def _previous(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def _next(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


@dataclass(frozen=True, order=True)
class Period:
    year: int
    month: int

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def end(self, close_day: CloseDay) -> dt.date:
        return _end_day(self.year, self.month, close_day)

    def start(self, close_day: CloseDay) -> dt.date:
        return _end_day(*_previous(self.year, self.month), close_day) + dt.timedelta(days=1)

    def days(self, close_day: CloseDay) -> int:
        return (self.end(close_day) - self.start(close_day)).days + 1

    def previous(self) -> Period:
        return Period(*_previous(self.year, self.month))

    @classmethod
    def parse(cls, text: str) -> Period:
        match = re.fullmatch(r"([0-9]{4})-([0-9]{2})", text)
        if not match or not 1 <= int(match[2]) <= 12:
            raise UserError(f"--period {text!r}: use YYYY-MM, e.g. 2026-10")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def containing(cls, day: dt.date, close_day: CloseDay) -> Period:
        if day <= _end_day(day.year, day.month, close_day):
            return cls(day.year, day.month)
        return cls(*_next(day.year, day.month))


@dataclass(frozen=True)
class Span:
    """The billing days of a report, inclusive; ``period`` when it is one whole period."""

    start: dt.date
    end: dt.date
    period: str | None = None

    @property
    def days(self) -> int:
        return max(0, (self.end - self.start).days + 1)


class Clock:
    """Converts between instants and billing days in one time zone (memoised: hot path)."""

    def __init__(self, timezone: str) -> None:
        self.zone = ZoneInfo(timezone)
        self.day_of = lru_cache(maxsize=1 << 16)(self._day_of)

    def _day_of(self, instant: int) -> dt.date:
        return dt.datetime.fromtimestamp(instant, self.zone).date()

    def midnight(self, day: dt.date) -> int:
        """The instant a billing day begins (DST-safe: the first moment of that date)."""
        naive = dt.datetime.combine(day, dt.time())
        return int(naive.replace(tzinfo=self.zone).timestamp())

    def today(self) -> dt.date:
        return dt.datetime.now(self.zone).date()
