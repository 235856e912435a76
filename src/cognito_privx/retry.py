"""The one retry policy: which failures are repeated, how long to wait, how often. tenacity does the looping.

Every failure gets a :class:`Verdict`:

- ``RETRY``: the request was not processed (a refused connection, HTTP 429, Cognito throttling). Always repeated.
- ``UNKNOWN``: it may have been processed (a lost response, a 502/503/504 from a gateway, Cognito's internal
  errors). Repeated only when repeating is harmless: a read, a PUT, a DELETE, the token grant. A creating call is
  never blindly repeated: :meth:`RetryPolicy.create_once` looks the object up first and creates again only when it
  is absent.
- ``TAKEN``: a create found its name taken meanwhile (HTTP 409). Looked up, never repeated.
- ``FAIL``: everything else: TLS failures, refused credentials, other 4xx, and Cognito's daily invitation-email
  cap (``LimitExceededException``), where retrying the same day cannot help.

Waiting: exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): the n-th
retry waits a random time in ``[0, min(cap, base * 2**n)]``. A ``Retry-After`` in seconds on a 429 or 503 is
waited instead, capped at :data:`RETRY_AFTER_CAP_S`; an HTTP-date ``Retry-After`` keeps the backoff.

Attempts (first try included): PrivX ``[privx] retries``; Cognito creates :data:`COGNITO_CREATES`; user
operations ``PoolUsers.max_attempts``. Tests pass a policy with a fake ``sleep`` and a tiny ``base``.
"""

from __future__ import annotations

import enum
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import tenacity

from cognito_privx.errors import CognitoError, aws_error_code

log = logging.getLogger(__name__)

T = TypeVar("T")


class Verdict(enum.Enum):
    """What a failure means for repeating the call that met it."""

    RETRY = "not processed: repeat"
    UNKNOWN = "maybe processed: repeat only when harmless; a create looks the object up first"
    TAKEN = "a create met its name taken: look it up, do not repeat"
    FAIL = "do not repeat"


THROTTLE_CODES = frozenset({"TooManyRequestsException", "ThrottlingException"})
# Cognito's server-side failures: the call may or may not have been carried out. AddUserPoolClientSecret,
# ListUserPoolClientSecrets and DeleteUserPoolClientSecret name theirs InternalServerException (botocore's model).
UNKNOWN_OUTCOME_CODES = frozenset(
    {"InternalErrorException", "InternalServerException", "InternalFailure", "ServiceUnavailable"}
)
# AdminCreateUser's daily invitation-email cap: never repeated (the cap holds for the rest of the day).
EMAIL_CAP_CODE = "LimitExceededException"

RETRY_AFTER_STATUSES = frozenset({429, 503})
RETRY_AFTER_CAP_S = 60.0
_REPEATED = (Verdict.RETRY, Verdict.UNKNOWN)


def status_verdict(status: int) -> Verdict:
    """The verdict on an HTTP status (a 429 is refused before any processing, a gateway error may hide one)."""
    if status == 429:
        return Verdict.RETRY
    if status in (502, 503, 504):
        return Verdict.UNKNOWN
    if status == 409:
        return Verdict.TAKEN
    return Verdict.FAIL


def code_verdict(code: str) -> Verdict:
    """The verdict on an AWS error code."""
    if code == EMAIL_CAP_CODE:
        return Verdict.FAIL
    if code in THROTTLE_CODES:
        return Verdict.RETRY
    if code in UNKNOWN_OUTCOME_CODES:
        return Verdict.UNKNOWN
    return Verdict.FAIL


def cognito_verdict(error: Exception) -> Verdict:
    """The verdict on a failed Cognito call: its error code, or ``UNKNOWN`` when the answer was lost."""
    if not isinstance(error, CognitoError):
        return Verdict.FAIL
    return Verdict.UNKNOWN if error.unknown_outcome else code_verdict(aws_error_code(error))


def retry_after(status: int, headers: Mapping[str, str]) -> float | None:
    """Seconds to wait as the server asked (429 and 503 only), capped; ``None`` to keep the backoff."""
    value = headers.get("Retry-After") if status in RETRY_AFTER_STATUSES else None
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:  # an HTTP date: keep the backoff rather than trust two clocks
        return None
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), RETRY_AFTER_CAP_S)


class _Backoff(tenacity.wait.wait_base):
    """Full jitter (tenacity's ``wait_random_exponential``), or the server's own wait when it gave one."""

    def __init__(self, base: float, cap: float, hint: Callable[[Any], float | None]) -> None:
        # tenacity's n-th window is multiplier * 2**(n-1): doubling the base makes it base * 2**n.
        self._jitter = tenacity.wait_random_exponential(multiplier=2 * base, max=cap)
        self._hint = hint

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        outcome = retry_state.outcome
        if outcome is not None and not outcome.failed:
            hinted = self._hint(outcome.result())
            if hinted is not None:
                return hinted
        return float(self._jitter(retry_state))


def _never(_: Any) -> bool:
    return False


def _no_hint(_: Any) -> float | None:
    return None


def _last_outcome(retry_state: tenacity.RetryCallState) -> Any:
    """Out of attempts: the last answer, or the last error raised as itself (not wrapped in RetryError)."""
    assert retry_state.outcome is not None
    return retry_state.outcome.result()


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long: ``attempts`` in all (the first included), full-jitter backoff from ``base``
    seconds up to ``cap``, waiting with ``sleep``."""

    attempts: int = 4
    base: float = 0.5
    cap: float = 10.0
    sleep: Callable[[float], None] = time.sleep

    def call(
        self,
        fn: Callable[[], T],
        *,
        retry_error: Callable[[BaseException], bool] = _never,
        retry_result: Callable[[T], bool] = _never,
        wait_hint: Callable[[T], float | None] = _no_hint,
        on_retry: Callable[[], None] | None = None,
    ) -> T:
        """``fn()`` until it returns an answer ``retry_result`` accepts, raises an error ``retry_error`` does not
        retry, or the attempts run out; then that answer or error, as it is.

        The first attempt runs before any of tenacity's machinery: an answer or error that is not retried comes
        back at once (tenacity's ``Retrying`` cost ~35 us a call: at 400 creates/s, 1.5 % of a core); one that is
        retried is handed to tenacity as its first attempt, so the retries are tenacity's, as before."""
        try:
            first = fn()
        except BaseException as e:  # tenacity's own catch: its predicate decides, as before
            if not retry_error(e):
                raise
            failed: BaseException | None = e
        else:
            if not retry_result(first):
                return first
            failed = None
        replayed = False

        def attempt() -> T:
            nonlocal replayed
            if replayed:
                return fn()
            replayed = True
            if failed is not None:
                raise failed
            return first

        def before_sleep(retry_state: tenacity.RetryCallState) -> None:
            log.debug(
                "retrying in %.2f s (attempt %d of %d)",
                retry_state.upcoming_sleep,
                retry_state.attempt_number,
                self.attempts,
            )
            if on_retry is not None:
                on_retry()

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(max(1, self.attempts)),
            wait=_Backoff(self.base, self.cap, wait_hint),
            retry=tenacity.retry_if_exception(retry_error) | tenacity.retry_if_result(retry_result),
            sleep=self.sleep,
            before_sleep=before_sleep,
            retry_error_callback=_last_outcome,
        )
        return retrying(attempt)

    def create_once(
        self, create: Callable[[], T], lookup: Callable[[], T | None], verdict: Callable[[Exception], Verdict]
    ) -> T:
        """Create an object without ever making two (no library knows this rule).

        After a failure that may hide a success (``UNKNOWN``) or says the name is taken (``TAKEN``), ``lookup``
        runs first; its find is the result. Only when the object is absent is the create repeated, and only after
        ``RETRY`` or ``UNKNOWN``. A failing lookup is raised as it is: the create is never repeated blind.
        """
        create_errors: list[BaseException] = []  # only the create's own failure may lead to another create

        def attempt() -> T:
            create_errors.clear()
            try:
                return create()
            except Exception as e:
                create_errors.append(e)
                if verdict(e) in (Verdict.UNKNOWN, Verdict.TAKEN):
                    found = lookup()
                    if found is not None:
                        log.debug("the create went through after all: found the object")
                        return found
                raise

        def repeat(e: BaseException) -> bool:
            return isinstance(e, Exception) and e in create_errors and verdict(e) in _REPEATED

        return self.call(attempt, retry_error=repeat)


# Cognito's creates (CreateUserPool and the like go through a client without botocore's retries).
COGNITO_CREATES = RetryPolicy(attempts=5, base=0.2, cap=5.0)
