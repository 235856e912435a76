"""What doctor returns: one :class:`Check` per check, in a :class:`Report`. Data only."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Status(enum.StrEnum):
    OK = "ok"
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"


@dataclass(frozen=True)
class Check:
    """One check's result. ``received``: a login rehearsal's account of what PrivX received and did with it
    (doctor/received.py), in JSON as ``"received"``; ``details``: the same as text lines, shown under the check."""

    name: str
    status: Status
    message: str
    hint: str | None = None
    received: dict[str, Any] | None = None
    details: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "status": self.status.value, "message": self.message}
        out["hint"] = self.hint
        if self.received is not None:
            out["received"] = self.received
        return out


@dataclass(frozen=True)
class Report:
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """True unless a check failed (warnings and skips do not fail)."""
        return not any(c.status is Status.FAIL for c in self.checks)

    def by_name(self) -> dict[str, Check]:
        return {c.name: c for c in self.checks}

    def to_json(self) -> dict[str, Any]:
        return {"checks": [c.to_json() for c in self.checks], "ok": self.ok}
