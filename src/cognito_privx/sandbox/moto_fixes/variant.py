"""Where AWS does not settle how Cognito behaves, the stand-in runs in each plausible reading, picked process-wide
(like the PrivX emulator's :class:`~cognito_privx.sandbox.emulator.EmulatorVariant`): ``cognito-privx sandbox
--secret-after-rotation`` / ``--read-attributes-unset`` / ``--write-attributes-unset``,
:class:`~cognito_privx.sandbox.runner.Sandbox` (``cognito=``), :func:`configure`, or the environment variables
``COGNITO_PRIVX_SANDBOX_SECRET_AFTER_ROTATION``, ``COGNITO_PRIVX_SANDBOX_READ_ATTRIBUTES_UNSET`` and
``COGNITO_PRIVX_SANDBOX_WRITE_ATTRIBUTES_UNSET`` read at import.

- ``secret_after_rotation``: what ``DescribeUserPoolClient`` answers as ``ClientSecret`` once the client's
  **original** secret was deleted (``DeleteUserPoolClientSecret``). ``empty`` (the default, the strict reading):
  no ``ClientSecret`` for good, as a practitioner who implemented these calls for another emulator reports
  (floci-io/floci PR #345; unverified on AWS). ``kept``: the oldest active secret's value.
- ``read_attributes_unset``: what an app client whose ``ReadAttributes`` is unset may read (ID-token claims,
  ``/oauth2/userInfo``). ``standard`` (the default): the standard attributes and the two ``*_verified`` flags, no
  ``custom:*`` one, as botocore's model says (``UserPoolClientType.ReadAttributes``: "When you don't specify the
  ReadAttributes for your app client, your app can read the values of email_verified, phone_number_verified, and
  the standard attributes of your user pool"). ``all``: every attribute, custom ones included, as the console
  shows it ("All attributes are readable and writable by default because none are selected").
- ``write_attributes_unset``: what such a client lets a user write of their own (``UpdateUserAttributes``,
  ``SignUp``). ``all`` (the default, the reading worst for security, so an attack through it can be rehearsed):
  every attribute, custom ones included (the console, CDK and Terraform authors); ``standard``: the standard
  attributes only (the API reference).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, replace
from typing import Literal, cast

__all__ = [
    "READ_ATTRIBUTES_UNSET",
    "SECRET_AFTER_ROTATION",
    "WRITE_ATTRIBUTES_UNSET",
    "CognitoVariant",
    "configure",
    "configured",
]

SECRET_AFTER_ROTATION = ("empty", "kept")
READ_ATTRIBUTES_UNSET = ("standard", "all")
WRITE_ATTRIBUTES_UNSET = ("all", "standard")
_ENV = "COGNITO_PRIVX_SANDBOX_SECRET_AFTER_ROTATION"
_ENV_READ = "COGNITO_PRIVX_SANDBOX_READ_ATTRIBUTES_UNSET"
_ENV_WRITE = "COGNITO_PRIVX_SANDBOX_WRITE_ATTRIBUTES_UNSET"
Unset = Literal["standard", "all"]


def _choice(option: str, word: str, choices: tuple[str, ...]) -> str:
    if word not in choices:
        raise ValueError(f"{option} must be {' or '.join(choices)}, not {word!r}")
    return word


@dataclass(frozen=True)
class CognitoVariant:
    """The Cognito stand-in's readings where AWS is silent (see the module docstring)."""

    secret_after_rotation: Literal["empty", "kept"] = "empty"
    read_attributes_unset: Unset = "standard"
    write_attributes_unset: Unset = "all"

    @classmethod
    def parse(
        cls,
        *,
        secret_after_rotation: str = "empty",
        read_attributes_unset: str = "standard",
        write_attributes_unset: str = "all",
    ) -> CognitoVariant:
        """From CLI words; raises :class:`ValueError` naming the option and its choices."""
        return cls(
            secret_after_rotation=cast(
                "Literal['empty', 'kept']",
                _choice("--secret-after-rotation", secret_after_rotation, SECRET_AFTER_ROTATION),
            ),
            read_attributes_unset=cast(
                "Unset", _choice("--read-attributes-unset", read_attributes_unset, READ_ATTRIBUTES_UNSET)
            ),
            write_attributes_unset=cast(
                "Unset", _choice("--write-attributes-unset", write_attributes_unset, WRITE_ATTRIBUTES_UNSET)
            ),
        )

    @classmethod
    def from_env(cls) -> CognitoVariant:
        """From ``COGNITO_PRIVX_SANDBOX_SECRET_AFTER_ROTATION``, ``..._READ_ATTRIBUTES_UNSET`` and
        ``..._WRITE_ATTRIBUTES_UNSET`` (unset or unknown: the defaults)."""
        secret = os.environ.get(_ENV, "empty")
        read = os.environ.get(_ENV_READ, "standard")
        write = os.environ.get(_ENV_WRITE, "all")
        return cls.parse(
            secret_after_rotation=secret if secret in SECRET_AFTER_ROTATION else "empty",
            read_attributes_unset=read if read in READ_ATTRIBUTES_UNSET else "standard",
            write_attributes_unset=write if write in WRITE_ATTRIBUTES_UNSET else "all",
        )


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
