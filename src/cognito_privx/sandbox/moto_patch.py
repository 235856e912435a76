"""How the stand-ins patch moto's classes in place: the helpers :mod:`cognito_privx.sandbox.moto_fixes` and
:mod:`cognito_privx.sandbox.import_jobs` share.

Two moves, both idempotent (applying a patch twice leaves one layer) and both leaving moto's behaviour alone
otherwise:

- :func:`add_missing` gives a moto class the operations it lacks, never replacing one moto has (a newer moto that
  implements the call wins).
- :func:`wrap` replaces a method by a wrapper around it, marked with :data:`MARK` so that a second call (another
  thread, another ``apply``) sees the wrapper and stops. :func:`is_patched` reads the mark.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

__all__ = ["MARK", "Method", "add_missing", "is_patched", "wrap"]

MARK = "__cognito_privx_moto_fix__"
"""The attribute set (to ``True``) on every wrapper :func:`wrap` installs."""

Method = Callable[..., Any]


def is_patched(method: object) -> bool:
    """Whether ``method`` is one of our wrappers."""
    return bool(getattr(method, MARK, False))


def add_missing(cls: type, methods: dict[str, Any]) -> None:
    """Give moto's ``cls`` the operations it lacks (never replacing one moto has: idempotent, and a newer moto
    that implements the call wins)."""
    for name, method in methods.items():
        if name not in cls.__dict__:
            setattr(cls, name, method)


def wrap(owner: type, name: str, make: Callable[[Method], Method]) -> None:
    """Replace ``owner.name`` by ``make(original)`` unless ``owner``'s own ``name`` is already our wrapper.

    ``original`` is ``owner``'s own attribute, or the one it inherits when it has none of its own (the wrapper is
    then set on ``owner`` only, leaving the base class and its other subclasses alone)."""
    own = owner.__dict__.get(name)
    if is_patched(own):
        return
    original = own if own is not None else getattr(owner, name)
    wrapper = functools.wraps(original)(make(original))
    setattr(wrapper, MARK, True)
    setattr(owner, name, wrapper)
