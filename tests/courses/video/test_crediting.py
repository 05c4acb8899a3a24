"""The watched rule's crediting as a pure function: what counts as really played."""

import pytest

from courses.video.crediting import WatchState, allowance, credit, merge, share, total


def play(beats, duration=600.0, state=None):
    """Run (server time, position, playing) heartbeats through `credit`."""
    state = state or WatchState()
    for at, position, playing in beats:
        state = credit(state, position, playing, at, duration)
    return state


def test_playing_straight_through_credits_every_stretch():
    state = play([(0, 0, True), (10, 10, True), (20, 20, True), (25, 25, False)])
    assert state.intervals == ((0, 25),)
    assert total(state.intervals) == 25
    assert state.position == 25 and state.playing is False


def test_a_first_heartbeat_credits_nothing():
    assert play([(0, 300, True)]).intervals == ()


def test_a_forward_seek_is_not_credited():
    """Playing 0-10, then a jump to 500: only what was played counts, then play on from 500."""
    state = play([(0, 0, True), (10, 10, True), (12, 500, True), (22, 510, True)])
    assert state.intervals == ((0, 10), (500, 510))


def test_seeking_to_the_end_credits_nothing():
    state = play([(0, 0, True), (5, 600, True), (6, 600, False)])
    assert total(state.intervals) == 0
    assert share(state.intervals, 600) == 0


def test_a_jump_while_paused_is_not_credited_however_long_the_pause():
    """Paused at 100 for five minutes, then at 400: a seek, though 300 ≤ 2 × 300."""
    state = play([(0, 90, True), (10, 100, False), (310, 400, True), (320, 410, True)])
    assert state.intervals == ((90, 100), (400, 410))


def test_rewatching_a_stretch_counts_it_once():
    state = play([(0, 0, True), (10, 10, True), (20, 20, True),
                  (21, 5, True), (31, 15, True)])  # back to 5 and over 5-15 again
    assert state.intervals == ((0, 20),)


def test_overlapping_stretches_merge():
    assert merge(((0, 10), (20, 30)), (8, 22)) == ((0, 30),)
    assert merge(((0, 10), (20, 30)), (10, 20)) == ((0, 30),)  # touching ends join
    assert merge(((0, 10),), (40, 50)) == ((0, 10), (40, 50))
    assert merge(((40, 50),), (0, 10)) == ((0, 10), (40, 50))


def test_double_speed_is_credited_in_full():
    state = play([(0, 0, True), (10, 20, True), (20, 40, True)])
    assert state.intervals == ((0, 40),)


def test_double_speed_with_a_late_heartbeat_is_within_the_slack():
    state = play([(0.5, 0, True), (10, 20, True)])  # the first beat arrived half a second late
    assert state.intervals == ((0, 20),)


def test_faster_than_double_speed_credits_nothing():
    state = play([(0, 0, True), (10, 30, True)])
    assert state.intervals == ()


def test_forged_positions_cannot_beat_the_wall_clock():
    """A forger sending a beat every second, each 2 s further on, gets at most ~2.25× wall time;
    one claiming 100 s per beat gets nothing at all."""
    beats = [(t, 2.2 * t, True) for t in range(0, 101)]
    state = play(beats, duration=10_000)
    assert total(state.intervals) <= (2 + 0.25) * 100 + 1e-9
    greedy = play([(t, 100.0 * t, True) for t in range(0, 50)], duration=10_000)
    assert total(greedy.intervals) == 0


def test_a_flood_of_heartbeats_gains_nothing_from_the_slack():
    beats = [(t / 1000, t / 1000 * 2.25, True) for t in range(0, 1001)]
    state = play(beats, duration=10_000)
    assert total(state.intervals) <= allowance(1.0) + 1e-6


def test_a_replayed_heartbeat_adds_nothing():
    state = play([(0, 0, True), (10, 10, True), (20, 20, True)])
    replayed = credit(state, 10, True, 25, 600)  # the beat of t=10 sent again
    assert replayed.intervals == state.intervals and replayed.credited == 0
    again = credit(replayed, 20, True, 26, 600)  # 10 s of video in 1 s: refused
    assert again.intervals == state.intervals


def test_out_of_order_heartbeats_credit_no_more_than_in_order():
    in_order = play([(0, 0, True), (10, 10, True), (20, 20, True)])
    swapped = play([(0, 0, True), (10, 20, True), (20, 10, True)])
    assert total(swapped.intervals) <= total(in_order.intervals)


def test_two_tabs_taking_turns_add_no_time():
    beats = []
    for i in range(30):  # tab A at 0.., tab B at 300.., beating alternately
        beats.append((i * 10, i * 10, True))
        beats.append((i * 10 + 5, 300 + i * 10, True))
    state = play(beats, duration=1000)
    assert total(state.intervals) <= 2.25 * 300


def test_positions_are_capped_at_the_duration():
    state = play([(0, 590, True), (10, 700, True)], duration=600)
    assert state.intervals == ((590, 600),) and state.position == 600


@pytest.mark.parametrize("position", [-1, float("nan"), float("inf"), "10", None, True])
def test_bad_positions_are_refused(position):
    with pytest.raises(ValueError):
        credit(WatchState(), position, True, 0, 600)


def test_share():
    assert share(((0, 270),), 300) == 0.9
    assert share(((0, 400),), 300) == 1.0
    assert share(((0, 10),), None) == 0.0
