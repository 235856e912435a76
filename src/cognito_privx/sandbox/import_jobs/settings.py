"""The stand-in's process-wide state: the knobs new jobs take (:class:`ImportJobSettings`, :func:`configure`,
:func:`configured`, :func:`current_settings`) and :data:`BACKEND_LOCK`, the lock around moto's state."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import threading
from collections.abc import Iterator
from typing import Any, Literal

__all__ = ["BACKEND_LOCK", "ImportJobSettings", "LineNumbers", "configure", "configured", "current_settings"]

BACKEND_LOCK = threading.RLock()
"""Serialises every touch of moto's state in this process (re-entrant: moto's server takes it around a request,
and the request's Cognito action takes it again)."""

LineNumbers = Literal["data", "file"]


@dataclasses.dataclass(frozen=True)
class ImportJobSettings:
    """How the stand-in's jobs behave where AWS gives no number.

    - ``rate``: rows per second a job processes; ``None`` or ``math.inf``: as fast as possible. AWS publishes no
      throughput (**NOT FOUND**); 2000 keeps 100,000 rows under a minute.
    - ``pending_s``: seconds a started job stays ``Pending`` before ``InProgress`` (unverified).
    - ``url_ttl_s``: seconds the pre-signed URL is good for; it carries ``X-Amz-Expires=url_ttl_s - 1`` (DG: "valid
      for 15 minutes"; the API examples carry ``X-Amz-Expires=899``).
    - ``expire_s``: seconds after creation an unstarted job reads ``Expired`` (model: "did not start the job within
      24-48 hours"; the API example expires about 24.5 h after creation).
    - ``line_numbers``: ``"data"`` (the first data row is line 1) or ``"file"`` (the header is line 1, the first data
      row 2); the real base is **NOT FOUND**, so the stand-in runs either way.
    """

    rate: float | None = 2000.0
    pending_s: float = 0.2
    url_ttl_s: int = 900
    expire_s: float = 86400.0
    line_numbers: LineNumbers = "data"

    def __post_init__(self) -> None:
        if self.rate is not None and not self.rate > 0:
            raise ValueError(f"rate must be positive (or None for as fast as possible), not {self.rate}")
        if self.pending_s < 0 or self.expire_s < 0 or self.url_ttl_s < 1:
            raise ValueError("pending_s and expire_s must be >= 0 and url_ttl_s >= 1")
        if self.line_numbers not in ("data", "file"):
            raise ValueError(f"line_numbers must be 'data' or 'file', not {self.line_numbers!r}")

    @property
    def paced(self) -> bool:
        return self.rate is not None and not math.isinf(self.rate)


_settings = ImportJobSettings()


def current_settings() -> ImportJobSettings:
    """The settings new jobs take (a job keeps those of its creation and start)."""
    return _settings


def configure(settings: ImportJobSettings | None = None, /, **changes: Any) -> ImportJobSettings:
    """Replace the settings (``settings``) and/or change some fields (``changes``, :class:`ImportJobSettings`'s
    field names); returns the previous settings, for ``configure(previous)``. Raises ``TypeError`` for an unknown
    field and ``ValueError`` for a bad value."""
    global _settings
    previous = _settings
    _settings = dataclasses.replace(settings or previous, **changes)
    return previous


@contextlib.contextmanager
def configured(settings: ImportJobSettings | None = None, /, **changes: Any) -> Iterator[ImportJobSettings]:
    """:func:`configure` for the ``with`` block only; yields the settings in force."""
    previous = configure(settings, **changes)
    try:
        yield _settings
    finally:
        configure(previous)
