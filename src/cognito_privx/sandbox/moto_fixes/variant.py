"""Where AWS does not settle how Cognito behaves, the stand-in runs in each plausible reading, picked process-wide
(like the PrivX emulator's :class:`~cognito_privx.sandbox.emulator.EmulatorVariant`): ``cognito-privx sandbox
--secret-after-rotation``, :class:`~cognito_privx.sandbox.runner.Sandbox` (``cognito=``), :func:`configure`, or the
environment variable ``COGNITO_PRIVX_SANDBOX_SECRET_AFTER_ROTATION`` read at import.

- ``secret_after_rotation``: what ``DescribeUserPoolClient`` answers as ``ClientSecret`` once the client's
  **original** secret was deleted (``DeleteUserPoolClientSecret``). ``empty`` (the default, the strict reading):
  no ``ClientSecret`` for good, as a practitioner who implemented these calls for another emulator reports
  (floci-io/floci PR #345; unverified on AWS). ``kept``: the oldest active secret's value.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, replace
from typing import Literal, cast

__all__ = ["SECRET_AFTER_ROTATION", "CognitoVariant", "configure", "configured"]

SECRET_AFTER_ROTATION = ("empty", "kept")
_ENV = "COGNITO_PRIVX_SANDBOX_SECRET_AFTER_ROTATION"


@dataclass(frozen=True)
class CognitoVariant:
    """The Cognito stand-in's readings where AWS is silent (see the module docstring)."""

    secret_after_rotation: Literal["empty", "kept"] = "empty"

    @classmethod
    def parse(cls, *, secret_after_rotation: str = "empty") -> CognitoVariant:
        """From CLI words; raises :class:`ValueError` naming the option and its choices."""
        if secret_after_rotation not in SECRET_AFTER_ROTATION:
            raise ValueError(
                f"--secret-after-rotation must be {' or '.join(SECRET_AFTER_ROTATION)}, not {secret_after_rotation!r}"
            )
        return cls(secret_after_rotation=cast("Literal['empty', 'kept']", secret_after_rotation))

    @classmethod
    def from_env(cls) -> CognitoVariant:
        """From ``COGNITO_PRIVX_SANDBOX_SECRET_AFTER_ROTATION`` (unset or unknown: the default)."""
        word = os.environ.get(_ENV, "empty")
        return cls.parse(secret_after_rotation=word if word in SECRET_AFTER_ROTATION else "empty")


_lock = threading.Lock()
_current = [CognitoVariant.from_env()]


def configured() -> CognitoVariant:
    """The variant in force."""
    return _current[0]


def configure(variant: CognitoVariant | None = None, **changes: str) -> CognitoVariant:
    """Put ``variant`` (or the current one with ``changes``) in force; returns the one it replaced."""
    with _lock:
        previous = _current[0]
        _current[0] = variant if variant is not None else replace(previous, **changes)  # type: ignore[arg-type]
        return previous
