"""``users.concurrency.Crew``: the import's threads follow the rate x a row's time (Little's law), up to a ceiling.

The threads started here wait on an event the test sets at the end: nothing is timed."""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Iterator

import pytest

from cognito_privx.users.concurrency import HEADROOM, LEAST, QUEUEING, RETIRE, WINDOW, Crew, HandOff
from tests.support.quota_sim import BucketQuota, simulate


@pytest.fixture
def release() -> Iterator[threading.Event]:
    done = threading.Event()
    yield done
    done.set()


def crew(release: threading.Event, rate: list[float], ceiling: int = 512) -> Crew:
    return Crew(release.wait, ceiling=ceiling, rate=lambda: rate[0])


def test_it_starts_small_until_a_row_was_timed(release: threading.Event) -> None:
    c = crew(release, [400.0])
    c.grow()
    assert len(c.threads) == LEAST


@pytest.mark.parametrize(("rate", "row_s"), [(50.0, 0.06), (200.0, 0.15), (400.0, 0.06), (400.0, 0.15)])
def test_rows_in_flight_follow_the_rate_times_the_round_trip(
    release: threading.Event, rate: float, row_s: float
) -> None:
    """Little's law with a headroom: 400/s at 150 ms wants 60 rows in flight (the old fixed 32 capped 400/s at
    150 ms to 213/s)."""
    c = crew(release, [rate])
    c.record(row_s)
    c.grow()
    assert len(c.threads) >= rate * row_s * HEADROOM
    assert len(c.threads) <= max(LEAST, rate * row_s * HEADROOM + 3)


def test_a_timed_row_grows_the_crew_without_the_producer(release: threading.Event) -> None:
    """Every row handed out before any was timed (a file smaller than the hand-off queue): the workers' own
    timings must grow the crew, or 50/s at 150 ms runs on 4 threads (~26/s) to the end."""
    c = crew(release, [100.0])
    c.grow()
    assert len(c.threads) == LEAST
    c.record(0.15)  # a worker timed its row; nobody calls grow() again
    assert len(c.threads) >= 100.0 * 0.15 * HEADROOM


def test_a_closed_crew_starts_no_thread(release: threading.Event) -> None:
    """Once the end-of-work markers are being sent (one per thread), a late timing must not start a thread that
    would wait for rows forever (the import then never ended)."""
    c = crew(release, [50.0])
    c.grow()
    assert c.close() == LEAST
    c.record(0.15)
    c.grow()
    assert len(c.threads) == LEAST


def test_the_crew_grows_with_the_rate_and_never_past_the_ceiling(release: threading.Event) -> None:
    rate = [100.0]
    c = crew(release, rate, ceiling=64)
    c.record(0.1)
    c.grow()
    assert len(c.threads) == 17  # ceil(100 x 0.1 x 1.5) + 2
    rate[0] = 1000.0
    c.grow()
    assert len(c.threads) == 64
    rate[0] = 10.0
    c.grow()
    assert len(c.threads) == 64  # never stopped early
    assert all(t.is_alive() for t in c.threads)


def test_a_slower_round_trip_asks_for_more_up_to_queueing_x_the_fastest(release: threading.Event) -> None:
    c = crew(release, [200.0])
    for _ in range(50):
        c.record(0.06)
    fast = c.wanted()
    for _ in range(200):
        c.record(0.15)
    assert fast < c.wanted() == math.ceil(200 * 0.06 * QUEUEING * HEADROOM) + 2


def test_a_round_trip_that_is_our_own_queue_does_not_grow_the_crew(release: threading.Event) -> None:
    """A server that cannot keep up (the sandbox's moto: one request at a time), or a client short of CPU (moto,
    the proxy and the client on two cores), answers later the more is in flight: a round trip averaged over those
    rows is our own queue, and Little's law read from it asked for more threads, which made rows slower still
    (issue 24: 175-230 threads at 400/s where a pool of 28-67 carried as much). The crew sizes from the fastest
    row: 900 rows at 2.8 x the fastest are read as QUEUEING x the fastest (the old crew: 256, the ceiling)."""
    c = crew(release, [400.0], ceiling=256)
    for _ in range(5):
        c.record(0.14)  # the first rows, few in flight: the server's own time
    for _ in range(900):
        c.record(0.39)  # then every row waits behind the others
    c.grow()
    assert len(c.threads) == math.ceil(400.0 * 0.14 * QUEUEING * HEADROOM) + 2


def test_it_settles_at_the_rate_times_the_fastest_round_trip(release: threading.Event) -> None:
    """400/s at 140-160 ms: at least the 60 rows in flight Little's law asks for (400 x 0.15), at most the
    headroom over the average (the old crew, twice the average: 122; the tuned pool: 67)."""
    c = crew(release, [400.0])
    rng = random.Random(7)
    for _ in range(3000):
        c.record(rng.uniform(0.14, 0.16))
    assert 400 * 0.16 <= c.wanted() <= math.ceil(400 * 0.152 * HEADROOM) + 2


def test_threads_follow_a_ramp_from_50_per_second(release: threading.Event) -> None:
    """Slow start doubles the rate about once per round trip: each doubling adds threads (150 ms a row)."""
    rate = [50.0]
    c = crew(release, rate)
    c.record(0.15)
    counts = []
    while rate[0] <= 400:
        c.grow()
        counts.append(len(c.threads))
        rate[0] *= 2
    assert counts == [LEAST, 25, 47, 92]  # ceil(rate x 0.15 x 1.5) + 2, at least LEAST
    assert counts[-1] >= 400 * 0.15  # the 60 rows in flight 400/s at 150 ms needs


def test_threads_past_what_the_rate_needs_retire_down_to_it(release: threading.Event) -> None:
    """Slow start overshoots the quota about twofold before the first throttle comes back: the threads started
    for that peak leave (between rows, as workers ask) once the peak is out of the recent rows, down to what the
    rate wants; not at the cut itself (CUBIC brings a cut rate back within seconds: threads shed on a cut were
    started again on the way back, up to 731 thread starts in a 10-s run at 400/s)."""
    rate = [900.0]
    c = crew(release, rate)
    c.record(0.14)
    peak = len(c.threads)
    assert peak == math.ceil(900 * 0.14 * HEADROOM) + 2
    rate[0] = 400.0  # the cut
    assert not c.retire()
    for _ in range(2 * WINDOW):  # the rows of the next seconds, at the quota
        c.record(0.14)
    wanted = math.ceil(400 * 0.14 * HEADROOM) + 2
    left = 0
    while c.retire():
        left += 1
    assert (c.live, left) == (wanted, peak - wanted)
    rate[0] = 200.0  # a cut by half: the threads stay for the way back
    assert not c.retire()
    rate[0] = 400.0 * RETIRE  # above the quota again: some start
    c.grow()
    assert c.live > wanted
    assert c.close() == c.live
    rate[0] = 10.0
    for _ in range(2 * WINDOW):
        c.record(0.14)
    assert not c.retire()  # closed: every live thread takes its end-of-work marker


def test_it_never_retires_below_least(release: threading.Event) -> None:
    rate = [400.0]
    c = crew(release, rate)
    c.record(0.15)
    rate[0] = 1.0
    for _ in range(2 * WINDOW):
        c.record(0.15)
    while c.retire():
        pass
    assert c.live == LEAST


@pytest.mark.parametrize("shape", ["small-burst", "large-burst"])
@pytest.mark.parametrize(
    ("quota", "rtt"),
    [(50.0, (0.14, 0.16)), (400.0, (0.05, 0.07)), (400.0, (0.14, 0.16))],
    ids=["50", "400", "400-slow"],
)
def test_rows_in_flight_never_limit_the_rate(shape: str, quota: float, rtt: tuple[float, float]) -> None:
    """On the simulated clock (tests/support/quota_sim.py), the crew the import would run (``--workers`` 256,
    the default), its rows' times including their throttled re-sends and jittered pauses, gets what plenty of
    workers get (twice Little's law + 8, fixed from the start) over the first 5 s: the ramp included, where the
    crew must grow as fast as the rate. (Before: 4 threads until a row was timed: 2 points of the quota lost at
    150 ms.)"""
    burst = max(2.0, quota * 0.05) if shape == "small-burst" else quota
    plenty = simulate(BucketQuota(quota, burst), seconds=6, workers=int(quota * rtt[1] * 2) + 8, rtt=rtt)
    crewed = simulate(BucketQuota(quota, burst), seconds=6, crew=256, rtt=rtt)
    assert crewed.admitted_between(0, 5) >= plenty.admitted_between(0, 5) * 0.995
    assert crewed.crew is not None and len(crewed.crew.threads) <= 256


def test_the_hand_off_delivers_every_item_once_in_order_through_a_small_queue() -> None:
    """The rows' queue wakes its producer only at half full: nothing is lost or repeated, and a lone consumer
    sees the producer's order."""
    todo: HandOff[int] = HandOff(maxsize=4)
    got: list[int] = []

    def consume() -> None:
        while (item := todo.get()) >= 0:
            got.append(item)

    consumer = threading.Thread(target=consume)
    consumer.start()
    for i in range(2000):
        todo.put(i, timeout=5)
    todo.put(-1)
    consumer.join(timeout=10)
    assert got == list(range(2000))


def test_the_hand_off_shared_by_consumers_gives_each_item_to_one() -> None:
    todo: HandOff[int] = HandOff(maxsize=3)
    got: list[int] = []
    lock = threading.Lock()

    def consume() -> None:
        while (item := todo.get()) >= 0:
            with lock:
                got.append(item)

    consumers = [threading.Thread(target=consume) for _ in range(5)]
    for t in consumers:
        t.start()
    for i in range(3000):
        todo.put(i)
    for _ in consumers:
        todo.put(-1)
    for t in consumers:
        t.join(timeout=10)
    assert sorted(got) == list(range(3000))


def test_an_empty_hand_off_answers_empty_as_a_queue_does() -> None:
    import queue

    todo: HandOff[int] = HandOff(maxsize=2)
    with pytest.raises(queue.Empty):
        todo.get(block=False)
    with pytest.raises(queue.Empty):
        todo.get(timeout=0)
    with pytest.raises(ValueError):
        todo.get(timeout=-1)
    todo.put(1)
    assert todo.get(timeout=0) == 1
