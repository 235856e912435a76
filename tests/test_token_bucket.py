"""``users.TokenBucket``, the import's rate limiter, on a fake clock: no test here waits for real.

The bucket takes its clock as a parameter but sleeps with ``time.sleep`` from :mod:`cognito_privx.users`; the tests
replace that module's ``time`` (only there) with a fake whose ``sleep`` moves the fake clock, optionally by more
than asked, as a busy machine oversleeps.
"""

from __future__ import annotations

import pytest

from cognito_privx import users
from cognito_privx.users import TokenBucket

COGNITO_USER_CREATION_QUOTA = 50  # requests/s (docs/cognito.md, "Quotas and throttling")


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
    monkeypatch.setattr(users, "time", fake)
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
    """``import-users`` runs ``TokenBucket(48, burst=2)`` (``--rate``'s default): at most rate + 1 = 49 creations
    fall in any one second, under the 50/s quota, however long its sleeps overshoot."""
    fake_time.oversleep = oversleep
    bucket = TokenBucket(users.DEFAULT_RATE, burst=2, clock=fake_time.monotonic)
    times = acquire_times(bucket, fake_time, 500)
    assert most_in_one_second(times) <= users.DEFAULT_RATE + 1 < COGNITO_USER_CREATION_QUOTA


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
