"""The watched rule's crediting: which stretches of a video a member has really played.

Pure: plain numbers in, a new state out; no clock, no database. The player reports its position
in heartbeats (every ~10 s, and on pause, end, seek and when the page is hidden); between two
heartbeats of the same member the server credits the stretch [previous position, position] only if

- the previous heartbeat said the player was playing (a jump made while paused is a seek),
- the position moved forward, and
- it moved at most MAX_RATE × the server time elapsed, plus a little slack for network jitter
  (min(SLACK_SECONDS, SLACK_SHARE × elapsed), so a flood of heartbeats gains nothing from it).

Every heartbeat, credited or not, becomes the new anchor. So a seek to the end, a forged
position, a replayed or out-of-order request, or two tabs taking turns credit nothing beyond
what the wall clock allows: over any run of heartbeats the credited time is at most
(MAX_RATE + SLACK_SHARE) × the server time they span. Credited stretches are kept as a merged
list of intervals, so watching a stretch twice counts it once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

MAX_RATE = 2.0  # the fastest playback speed credited in full (the player offers up to 2×)
SLACK_SECONDS = 1.0
SLACK_SHARE = 0.25
MAX_INTERVALS = 500  # a longer list is a client making confetti of the video: credit no more

Interval = tuple[float, float]


@dataclass(frozen=True)
class WatchState:
    """A member's watching of one video: credited intervals and the last heartbeat (anchor)."""

    intervals: tuple[Interval, ...] = ()
    position: float | None = None  # the last reported position, in seconds (resume point)
    at: float | None = None  # server time of the last heartbeat, in seconds (any epoch)
    playing: bool = False  # whether the last heartbeat said the player was playing
    credited: float = field(default=0.0, compare=False)  # what the last step added


def valid_position(position) -> bool:
    """Whether a reported position is a finite, non-negative number of seconds."""
    return (isinstance(position, (int, float)) and not isinstance(position, bool)
            and math.isfinite(position) and position >= 0)


def allowance(elapsed: float) -> float:
    """How many seconds of video may have played in `elapsed` seconds of server time."""
    if elapsed <= 0:
        return 0.0
    return MAX_RATE * elapsed + min(SLACK_SECONDS, SLACK_SHARE * elapsed)


def credit(state: WatchState, position: float, playing: bool, now: float,
           duration: float | None = None) -> WatchState:
    """The state after a heartbeat at server time `now` reporting `position` and `playing`."""
    if not valid_position(position):
        raise ValueError("position must be a finite number of seconds, 0 or more")
    if duration is not None:
        position = min(position, duration)
    intervals = state.intervals
    added = 0.0
    if (state.at is not None and state.position is not None and state.playing
            and position > state.position
            and position - state.position <= allowance(now - state.at)):
        merged = merge(intervals, (state.position, position))
        if len(merged) <= MAX_INTERVALS:
            added = total(merged) - total(intervals)
            intervals = merged
    return WatchState(intervals=intervals, position=position, at=now, playing=bool(playing),
                      credited=added)


def merge(intervals: tuple[Interval, ...], new: Interval) -> tuple[Interval, ...]:
    """`intervals` (sorted, disjoint) with `new` added, overlapping or touching ones joined."""
    start, end = new
    result: list[Interval] = []
    for low, high in intervals:
        if high < start or low > end:
            result.append((low, high))
        else:
            start, end = min(start, low), max(end, high)
    result.append((start, end))
    return tuple(sorted(result))


def total(intervals: tuple[Interval, ...]) -> float:
    """Seconds covered by sorted, disjoint intervals."""
    return sum(high - low for low, high in intervals)


def share(intervals: tuple[Interval, ...], duration: float | None) -> float:
    """The watched share of a video of `duration` seconds, 0.0 to 1.0 (0.0 if unknown)."""
    if not duration or duration <= 0:
        return 0.0
    return min(1.0, total(intervals) / duration)
