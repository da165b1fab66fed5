"""Listing episodes laid out on a timeline (pure: no Django, no I/O).

The target page draws it as inline SVG: one lane per (list, address), one bar
per episode, positions as fractions of the window so the template only scales.
"""

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Episode:
    """One listing episode: a LISTED change until the next CLEARED one."""

    blocklist: str
    subject: str
    listed_at: datetime | None  # None: it began before any change we read
    cleared_at: datetime | None  # None: still listed
    duration: timedelta | None
    codes: tuple[str, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None


# Timeline geometry, in SVG user units (the viewBox is WIDTH wide).
WIDTH = 1000
CHART_LEFT = 250  # lane labels sit left of it
CHART_WIDTH = 620  # "still listed" labels sit right of it
AXIS_HEIGHT = 30
LANE_HEIGHT = 26
MAX_LANES = 40
TICKS = 6


@dataclass(frozen=True)
class Bar:
    episode: Episode
    start: float  # fraction of the window, 0 to 1
    end: float

    @property
    def x(self) -> float:
        return round(CHART_LEFT + self.start * CHART_WIDTH, 1)

    @property
    def width(self) -> float:
        return max(round((self.end - self.start) * CHART_WIDTH, 1), 2.0)

    @property
    def right(self) -> float:
        return round(self.x + self.width, 1)

    @property
    def is_clipped(self) -> bool:
        """It began before the window."""
        return self.start == 0.0


@dataclass(frozen=True)
class Lane:
    blocklist: str
    subject: str
    index: int
    bars: tuple[Bar, ...]

    @property
    def y(self) -> int:
        return AXIS_HEIGHT + self.index * LANE_HEIGHT

    @property
    def bar_y(self) -> int:
        return self.y + 5

    @property
    def text_y(self) -> int:
        return self.y + 18


@dataclass(frozen=True)
class Tick:
    at: datetime
    x: float


@dataclass(frozen=True)
class Timeline:
    """Where each episode sits on a time axis: pure values, no queries."""

    start: datetime
    end: datetime
    lanes: tuple[Lane, ...]
    hidden_lanes: int  # lanes over MAX_LANES: in the table only
    episodes: tuple[Episode, ...]  # newest first, for the table

    width = WIDTH
    chart_left = CHART_LEFT
    chart_right = CHART_LEFT + CHART_WIDTH

    @property
    def height(self) -> int:
        return AXIS_HEIGHT + len(self.lanes) * LANE_HEIGHT + 6

    @property
    def is_short(self) -> bool:
        """Under three days: ticks show times, not dates."""
        return self.end - self.start < timedelta(days=3)

    @property
    def ticks(self) -> list[Tick]:
        span = self.end - self.start
        return [
            Tick(
                self.start + span * i / (TICKS - 1),
                CHART_LEFT + CHART_WIDTH * i / (TICKS - 1),
            )
            for i in range(TICKS)
        ]


def timeline_start(
    episodes: Sequence[Episode], *, now: datetime, days: int
) -> datetime:
    """The last `days` days, or since the first episode (with a margin) when that
    is shorter; never under a day."""
    window = now - timedelta(days=days)
    first = min((e.listed_at for e in episodes if e.listed_at), default=window)
    start = max(window, first - (now - first) / 20)
    return min(start, now - timedelta(days=1))


def timeline_layout(
    episodes: Sequence[Episode], *, start: datetime, end: datetime
) -> Timeline:
    """One lane per (list, address), one bar per episode, as window fractions."""
    span = (end - start).total_seconds()

    def fraction(at: datetime) -> float:
        return min(max((at - start).total_seconds() / span, 0.0), 1.0)

    def order(e: Episode) -> tuple[str, tuple[int, int, str], datetime]:
        return (e.blocklist, _subject_order(e.subject), e.listed_at or start)

    lanes: dict[tuple[str, str], list[Bar]] = {}
    for e in sorted(episodes, key=order):
        if e.cleared_at is not None and e.cleared_at < start:
            continue
        bar = Bar(e, fraction(e.listed_at or start), fraction(e.cleared_at or end))
        lanes.setdefault((e.blocklist, e.subject), []).append(bar)
    drawn = list(lanes.items())[:MAX_LANES]
    return Timeline(
        start=start,
        end=end,
        lanes=tuple(
            Lane(name, subject, index, tuple(bars))
            for index, ((name, subject), bars) in enumerate(drawn)
        ),
        hidden_lanes=len(lanes) - len(drawn),
        episodes=tuple(
            sorted(episodes, key=lambda e: e.listed_at or start, reverse=True)
        ),
    )


def _subject_order(subject: str) -> tuple[int, int, str]:
    """Addresses in numeric order (192.0.2.9 before 192.0.2.10), then domains."""
    try:
        return (0, int(ipaddress.ip_address(subject)), "")
    except ValueError:
        return (1, 0, subject)
