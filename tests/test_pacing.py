"""``pacing.TokenBucket`` (a fixed rate) and ``pacing.AdaptiveRate`` (the import's limiter), on a fake clock or a
discrete-event simulation (``tests/support/quota_sim.py``): no test here waits for real.

The bucket takes its clock as a parameter but sleeps with ``time.sleep`` from :mod:`cognito_privx.pacing`; the tests
replace that module's ``time`` (only there) with a fake whose ``sleep`` moves the fake clock, optionally by more
than asked, as a busy machine oversleeps.
"""

from __future__ import annotations

import pytest

from cognito_privx import pacing
from cognito_privx.pacing import AdaptiveRate, TokenBucket
from tests.support.quota_sim import BucketQuota, NoQuota, Sim, WindowQuota, simulate

COGNITO_USER_CREATION_QUOTA = 50  # requests/s (docs/cognito.md, "Quotas and throttling")
# The old fixed ``--rate`` default (the old engine of benchmarks/import_users.py): a little under the quota.
OLD_FIXED_RATE = 48.0


class FakeTime:
    def __init__(self, oversleep: float = 0.0) -> None:
        self.now = 1000.0
        self.oversleep = oversleep
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.sleeps.append(seconds)
        # A real sleep takes a microsecond at least (and rounding may ask for less than the clock can show).
        self.now += max(seconds, 1e-6) + self.oversleep


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(pacing, "time", fake)
    return fake


def acquire_times(bucket: TokenBucket, fake: FakeTime, n: int) -> list[float]:
    times = []
    for _ in range(n):
        bucket.acquire()
        times.append(fake.now)
    return times


def most_in_one_second(times: list[float]) -> int:
    """The most acquisitions in any window ``(t - 1, t]``: how the stand-in, and AWS, count a per-second quota."""
    return max(sum(1 for s in times if t - 1 < s <= t) for t in times)


def test_rate_must_be_positive() -> None:
    for rate in (0, -1):
        with pytest.raises(ValueError, match="rate must be positive"):
            TokenBucket(rate)


def test_a_full_bucket_gives_its_burst_at_once(fake_time: FakeTime) -> None:
    bucket = TokenBucket(10, burst=3, clock=fake_time.monotonic)
    assert acquire_times(bucket, fake_time, 3) == [1000.0] * 3
    assert fake_time.sleeps == []


def test_a_burst_below_one_is_one(fake_time: FakeTime) -> None:
    bucket = TokenBucket(8, burst=0.2, clock=fake_time.monotonic)
    assert bucket.burst == 1.0
    bucket.acquire()
    assert fake_time.sleeps == []
    bucket.acquire()
    assert fake_time.sleeps == [0.125]


def test_an_empty_bucket_waits_exactly_for_the_next_token(fake_time: FakeTime) -> None:
    bucket = TokenBucket(4, clock=fake_time.monotonic)
    times = acquire_times(bucket, fake_time, 5)
    assert times == [1000.0, 1000.25, 1000.5, 1000.75, 1001.0]
    assert fake_time.sleeps == [0.25] * 4


def test_tokens_refill_with_time_up_to_the_burst_only(fake_time: FakeTime) -> None:
    bucket = TokenBucket(8, burst=2, clock=fake_time.monotonic)
    acquire_times(bucket, fake_time, 2)
    fake_time.now += 60  # an idle minute refills two tokens, not 480
    assert acquire_times(bucket, fake_time, 2) == [1060.0, 1060.0]
    assert fake_time.sleeps == []
    bucket.acquire()
    assert fake_time.sleeps == [0.125]


def test_part_of_a_token_shortens_the_wait(fake_time: FakeTime) -> None:
    bucket = TokenBucket(8, clock=fake_time.monotonic)
    bucket.acquire()
    fake_time.now += 0.09375  # three quarters of a token
    bucket.acquire()
    assert fake_time.sleeps == [0.03125]


@pytest.mark.parametrize("oversleep", [0.0, 0.015])
def test_the_import_default_stays_under_cognitos_quota_in_every_second(fake_time: FakeTime, oversleep: float) -> None:
    """A fixed ``TokenBucket(48, burst=2)`` (the old ``--rate`` default, still what a fixed rate gets): at most
    rate + 1 = 49 creations fall in any one second, under the 50/s quota, however long its sleeps overshoot."""
    fake_time.oversleep = oversleep
    bucket = TokenBucket(OLD_FIXED_RATE, burst=2, clock=fake_time.monotonic)
    times = acquire_times(bucket, fake_time, 500)
    assert most_in_one_second(times) <= OLD_FIXED_RATE + 1 < COGNITO_USER_CREATION_QUOTA


def test_a_burst_of_two_keeps_the_rate_despite_oversleeping(fake_time: FakeTime) -> None:
    """Why ``burst=2``: with 1, the time a sleep overshoots is lost for good; with 2, the bucket catches up."""
    fake_time.oversleep = 0.005  # a quarter of the 20 ms between tokens at 48/s
    rates = {}
    for burst in (1, 2):
        bucket = TokenBucket(48, burst=burst, clock=fake_time.monotonic)
        times = acquire_times(bucket, fake_time, 481)
        rates[burst] = 480 / (times[-1] - times[0])
    assert rates[2] == pytest.approx(48, rel=0.01)
    assert rates[1] < 40  # 1 / (1/48 + 0.005) = 38.7


# -- AdaptiveRate on a simulated clock: limiters of several shapes (tests/support/quota_sim.py) ----------------

# AWS publishes the quota, not its burst nor its algorithm (docs/cognito.md, "Quotas and throttling"): the shapes
# it plausibly has. A token bucket with a burst of 1 is left out here: with a round trip's spread of +-5 ms at the
# server, even a client sending exactly at the quota gets ~65 % of it admitted (see the test below).
SHAPES = {
    "bucket, burst 5": lambda q: BucketQuota(q, 5),
    "bucket, a second's burst": lambda q: BucketQuota(q, q),
    "sliding window": lambda q: WindowQuota(q),
}
FAST, SLOW = (0.05, 0.07), (0.14, 0.16)


def share(sim: Sim, quota: float, start: float, end: float) -> float:
    return sim.admitted_between(start, end) / (end - start) / quota


def throttled_share(sim: Sim) -> float:
    return len(sim.throttled) / (len(sim.throttled) + len(sim.admitted))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(("quota", "rtt"), [(50.0, FAST), (200.0, SLOW), (400.0, FAST)])
def test_the_adaptive_rate_takes_95_percent_of_any_quota(shape: str, quota: float, rtt: tuple[float, float]) -> None:
    """Not told the quota: after a 10-s warm-up, >= 95 % of it admitted over 60 simulated seconds, few throttles,
    and ``admitted_rate`` (``summary.final_rate``) reads the quota."""
    sim = simulate(SHAPES[shape](quota), seconds=70, workers=int(quota * rtt[1] * 2) + 8, rtt=rtt)
    assert share(sim, quota, 10, 70) >= 0.95
    assert throttled_share(sim) <= 0.05
    assert sim.limiter.admitted_rate == pytest.approx(quota, rel=0.1)


# The bench's shapes (sandbox/aws_shaped.py): a bucket holding 50 ms of the quota, and one holding a second's worth.
BENCH_SHAPES = {
    "small-burst": lambda q: BucketQuota(q, max(2.0, q * 0.05)),
    "large-burst": lambda q: BucketQuota(q, q),
}
# Seconds from the first request until the quota is reached, and the share of the quota over the first 5 s that a
# run must get. Before the ramp followed the latest answers (4x a second, capped by the 1-s window): 400/s took
# 1.5 s at 50-70 ms and 1.9 s at 140-160 ms, and the first 5 s got 80 % / 74 % of a small-burst quota.
RAMP = {FAST: (0.7, 0.9), SLOW: (1.1, 0.85)}


def time_to_quota(sim: Sim, quota: float, span: float = 0.2) -> float:
    """The first time from which ``span`` seconds admit >= 90 % of the quota."""
    return next(t / 100 for t in range(0, 1000) if sim.admitted_between(t / 100, t / 100 + span) >= 0.9 * quota * span)


@pytest.mark.parametrize("shape", BENCH_SHAPES)
@pytest.mark.parametrize("rtt", [FAST, SLOW], ids=["50-70ms", "140-160ms"])
@pytest.mark.parametrize("quota", [50.0, 100.0, 200.0, 400.0])
def test_the_ramp_reaches_the_quota_within_a_few_round_trips(
    shape: str, rtt: tuple[float, float], quota: float
) -> None:
    """From 50/s, not told the quota: the rate doubles about once per round trip (never above twice what the
    latest answers admitted), so any quota up to 400/s is reached within a second, and the first 5 s get most of
    it (a large burst: more than the quota, the bucket's second's worth included), with few throttles."""
    sim = simulate(BENCH_SHAPES[shape](quota), seconds=6, workers=int(quota * rtt[1] * 2) + 8, rtt=rtt)
    reach, least = RAMP[rtt]
    assert time_to_quota(sim, quota) <= reach
    assert share(sim, quota, 0, 5) >= (least if shape == "small-burst" else 1.0)
    assert throttled_share(sim) <= (0.1 if shape == "small-burst" else 0.25)


def test_a_burst_of_one_loses_no_more_than_a_client_that_knows_the_quota() -> None:
    """A bucket with no burst at all: any client loses part of the quota to the round trip's spread; the adaptive
    rate gets what a client sending exactly at the quota gets, with far fewer throttles."""
    knows = simulate(
        BucketQuota(50, 1), seconds=70, workers=24, limiter=lambda c: AdaptiveRate(50, floor=50, ceiling=50, clock=c)
    )
    adaptive = simulate(BucketQuota(50, 1), seconds=70, workers=24)
    assert share(adaptive, 50, 10, 70) >= share(knows, 50, 10, 70) - 0.02
    assert throttled_share(adaptive) <= 0.05 < throttled_share(knows)


def test_never_throttled_the_rate_stays_near_what_was_admitted() -> None:
    """No quota at all and a client that can only send ~4/s: over 10,000 simulated seconds the rate stays within
    twice what was admitted (before: ``inf`` after 509 s, and no cut ever brought it down)."""
    sim = simulate(NoQuota(), seconds=10_000, workers=2, rtt=(0.45, 0.55), limiter=lambda c: AdaptiveRate(1, clock=c))
    admitted = len(sim.admitted) / 10_000
    assert admitted == pytest.approx(4, rel=0.05)
    assert sim.limiter.rate <= 3 * admitted


def test_a_rate_never_throttled_for_hours_still_finds_a_quota_at_once() -> None:
    """Ten minutes unthrottled (demand limited by the workers: ~80/s; the old rate was ``inf`` after 509 s), then
    sign-ups take the quota down to 20/s: within seconds the import is held to what is left, and every cut
    lowered the rate."""
    sim = Sim(WindowQuota(1e9))
    simulate(sim.quota, seconds=600, workers=40, rtt=(0.45, 0.55), sim=sim)
    assert sim.limiter.rate <= 2 * 80 * 1.1
    sim.quota.rate = 20
    rates = []
    for _ in range(20):
        cuts, before = sim.limiter.cuts, sim.limiter.rate
        sim.run(sim.now + 0.5)
        rates.append(sim.limiter.rate)
        if sim.limiter.cuts > cuts:
            assert sim.limiter.rate < before
    assert share(sim, 20, sim.now - 5, sim.now) >= 0.9
    assert max(rates[-10:]) <= 40


def test_a_quota_that_changes_mid_run_is_followed_down_and_up() -> None:
    sim = simulate(WindowQuota(200), seconds=100, changes=((30, 100), (60, 400)), workers=140)
    assert share(sim, 200, 10, 30) >= 0.95
    assert share(sim, 100, 35, 60) >= 0.95
    assert share(sim, 400, 70, 100) >= 0.95  # a raised quota found within 10 s


def test_sign_ups_competing_for_the_quota() -> None:
    """Another client sends 80 sign-ups/s into the same 200/s quota from 20 s to 50 s: the two together take
    >= 95 % of it, and once the sign-ups stop the import takes the whole quota again."""
    sim = simulate(WindowQuota(200), seconds=90, others=(80, 20, 50), workers=80)
    assert (sim.admitted_between(20, 50) + sim.others_admitted) / 30 / 200 >= 0.95
    assert share(sim, 200, 60, 90) >= 0.95


def test_a_start_far_above_the_quota_is_not_cut_to_nothing() -> None:
    """Twice the quota at first: the overshoot fills the service's window and the next half second is all
    throttles, which measure the overshoot, not the quota: the rate holds near the quota (before: one cut from a
    1-s measurement taken 0.1 s in, to a sixth of the quota, and 19 s to climb back)."""
    sim = simulate(WindowQuota(200), seconds=20, workers=80, limiter=lambda c: AdaptiveRate(400, clock=c))
    assert share(sim, 200, 1, 10) >= 0.9
    assert share(sim, 200, 10, 20) >= 0.95


def test_the_start_is_a_small_burst() -> None:
    clock = FakeTime()
    limiter = AdaptiveRate(400, clock=clock.monotonic, sleep=clock.sleep)
    first = [limiter.try_acquire()[1] for _ in range(10)]
    assert first.count(0.0) <= 4  # 10 ms' worth, not a second's (400)


def test_throttled_requests_are_re_sent_spread_out() -> None:
    """Full jitter: the workers throttled together come back at spread times, within the bound that doubles."""
    sim = simulate(WindowQuota(200), seconds=20, workers=80, limiter=lambda c: AdaptiveRate(400, clock=c))
    assert len(sim.resent) > 50
    assert len(set(sim.resent)) >= 0.9 * len(sim.resent)
    limiter = AdaptiveRate()
    delays = [limiter.retry_delay(1) for _ in range(200)]
    assert 0 <= min(delays) < 0.01 and 0.09 < max(delays) < 0.1
    assert max(limiter.retry_delay(30) for _ in range(50)) <= 1.0


def test_one_overshoot_is_one_cut() -> None:
    """Throttles of requests sent before a cut answer the overshoot that cut already answered."""
    clock = FakeTime()
    limiter = AdaptiveRate(100, clock=clock.monotonic, sleep=clock.sleep)
    sent = [limiter.acquire() for _ in range(5)]
    for s in sent:
        limiter.throttled(s)
    assert limiter.cuts == 1 and limiter.throttles == 5


def test_with_nothing_admitted_each_cut_halves_the_rate_and_the_floor_holds() -> None:
    clock = FakeTime()
    limiter = AdaptiveRate(40, floor=4, clock=clock.monotonic, sleep=clock.sleep)
    limiter.succeeded()  # one answer long ago: what was admitted since is known, and is nothing
    rates = []
    for _ in range(6):
        clock.now += 1.0
        limiter.throttled(limiter.acquire())
        rates.append(limiter.rate)
    assert rates == [20, 10, 5, 4, 4, 4]


def test_the_ceiling_is_never_exceeded(fake_time: FakeTime) -> None:
    """``--rate`` is a ceiling: with no throttling at all the rate climbs to it and stops."""
    limiter = AdaptiveRate(clock=fake_time.monotonic, sleep=fake_time.sleep, ceiling=70)
    times = acquire_times_adaptive(limiter, fake_time, 600)
    assert limiter.rate == 70
    assert most_in_one_second(times[-300:]) <= 70 + 2


def acquire_times_adaptive(limiter: AdaptiveRate, fake: FakeTime, n: int) -> list[float]:
    times = []
    for _ in range(n):
        limiter.acquire()
        limiter.succeeded()
        times.append(fake.now)
    return times


@pytest.mark.parametrize("kind", ["adaptive", "fixed"])
def test_waiting_threads_do_not_all_wake_for_every_slot(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """50 threads wanting 200 slots between them: a few waiters at a time (``pacing.ASKERS``) ask, the others wait
    at a turnstile, and each asker sleeps until its own slot (the next one plus one per asker asleep before it), so
    there is about one sleep a slot (each waiter sleeping until "the next token" made ~25 a slot: at 400/s and 100
    threads, more CPU than the calls; the askers all sleeping until the next slot, ~4). Counts sleeps, not time."""
    import threading
    import time

    sleeps = [0]
    lock = threading.Lock()

    def counted_sleep(seconds: float) -> None:
        with lock:
            sleeps[0] += 1
        time.sleep(seconds)

    if kind == "adaptive":
        limiter: AdaptiveRate | TokenBucket = AdaptiveRate(2000, floor=2000, ceiling=2000, sleep=counted_sleep)
    else:
        limiter = TokenBucket(2000, burst=2)
        monkeypatch.setattr(pacing, "time", type("T", (), {"sleep": staticmethod(counted_sleep)}))
    slots = 200

    def take() -> None:
        for _ in range(slots // 50):
            limiter.acquire()

    threads = [threading.Thread(target=take) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sleeps[0] <= 2 * slots


def test_the_final_admitted_rate_of_a_steady_stream_is_its_rate() -> None:
    """A steady 20/s holds 21 answers in a closed 1-s window: the end-of-run reading (``summary.final_rate`` of
    ``import-users --rate 20``) is 20/s, not 21/s."""
    meter = pacing.AdmittedRate()
    for i in range(61):  # 0.0 .. 3.0 s, one answer every 50 ms
        meter.record(i * 0.05)
    assert meter.at_last() == pytest.approx(20.0)
    short = pacing.AdmittedRate()
    for i in range(5):  # a run shorter than the window: 5 answers over 0.4 s
        short.record(1.0 + i * 0.1)
    assert short.at_last() == pytest.approx(10.0)


def test_the_final_admitted_rate_never_reads_above_the_ceiling() -> None:
    """Answers bunched by latency jitter (sent at 10/s, answered 12 within 1 s) read as the ceiling, not 11/s."""
    now = [0.0]
    limiter = AdaptiveRate(10, ceiling=10, clock=lambda: now[0])
    for i in range(12):
        now[0] = 5.0 + i / 11
        limiter.succeeded()
    assert limiter.admitted_rate == pytest.approx(10.0)
    free = AdaptiveRate(10, clock=lambda: now[0])
    for i in range(12):
        now[0] = 9.0 + i / 11
        free.succeeded()
    assert free.admitted_rate == pytest.approx(11.0)
