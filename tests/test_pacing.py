"""``pacing.TokenBucket`` (a fixed rate) and ``pacing.AdaptiveRate`` (the import's limiter), on a fake clock: no
test here waits for real.

The bucket takes its clock as a parameter but sleeps with ``time.sleep`` from :mod:`cognito_privx.pacing`; the tests
replace that module's ``time`` (only there) with a fake whose ``sleep`` moves the fake clock, optionally by more
than asked, as a busy machine oversleeps.
"""

from __future__ import annotations

import pytest

from cognito_privx import pacing
from cognito_privx.pacing import AdaptiveRate, TokenBucket

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


# -- AdaptiveRate: a simulated quota on the fake clock ---------------------------------------------------------


def simulate(limiter: AdaptiveRate, fake: FakeTime, quota: float, seconds: float) -> tuple[int, int]:
    """Requests through ``limiter`` against a sliding-window quota (at most ``quota`` admitted in any second, a
    refused request not counted: as ``sandbox.aws_shaped``); answers arrive at once. (admitted, throttled)."""
    admitted: list[float] = []
    throttled = 0
    end = fake.now + seconds
    while fake.now < end:
        sent = limiter.acquire()
        while admitted and fake.now - admitted[0] >= 1.0:
            admitted.pop(0)
        if len(admitted) < quota:
            admitted.append(fake.now)
            limiter.succeeded()
        else:
            throttled += 1
            limiter.throttled(sent)
        fake.now += 1e-4
    return limiter.cuts, throttled


@pytest.mark.parametrize("quota", [20.0, 50.0, 100.0, 300.0])
def test_the_adaptive_rate_finds_the_quota_and_stays_near_it(fake_time: FakeTime, quota: float) -> None:
    """From 50/s it rises to a raised quota within seconds, falls to a lower one at the first throttles, and then
    holds within a few percent of it: never far above (throttles stay a small share), never far below."""
    limiter = AdaptiveRate(clock=fake_time.monotonic, sleep=fake_time.sleep)
    simulate(limiter, fake_time, quota, 10)
    assert limiter.cuts >= 1, "the quota was never met"
    rates = []
    for _ in range(20):
        simulate(limiter, fake_time, quota, 1)
        rates.append(limiter.rate)
    assert 0.9 * quota <= min(rates) and max(rates) <= 1.1 * quota, rates


def test_one_overshoot_is_one_cut(fake_time: FakeTime) -> None:
    """Throttles of requests sent before a cut answer the overshoot that cut already answered."""
    limiter = AdaptiveRate(100, clock=fake_time.monotonic, sleep=fake_time.sleep)
    sent = [limiter.acquire() for _ in range(5)]
    for s in sent:
        limiter.throttled(s)
    assert limiter.cuts == 1 and limiter.throttles == 5


def test_a_throttle_with_nothing_admitted_halves_the_rate_and_the_floor_holds(fake_time: FakeTime) -> None:
    limiter = AdaptiveRate(40, floor=4, clock=fake_time.monotonic, sleep=fake_time.sleep)
    for _ in range(6):
        fake_time.now += 0.01
        limiter.throttled(limiter.acquire())
    assert limiter.rate == 4


def test_the_ceiling_is_never_exceeded(fake_time: FakeTime) -> None:
    """``--rate`` is a ceiling: with no throttling at all the rate climbs to it and stops."""
    limiter = AdaptiveRate(clock=fake_time.monotonic, sleep=fake_time.sleep, ceiling=70)
    times = acquire_times_adaptive(limiter, fake_time, 600)
    assert limiter.rate == 70
    assert most_in_one_second(times[-300:]) <= 70 + limiter.rate / 10


def acquire_times_adaptive(limiter: AdaptiveRate, fake: FakeTime, n: int) -> list[float]:
    times = []
    for _ in range(n):
        limiter.acquire()
        limiter.succeeded()
        times.append(fake.now)
    return times
