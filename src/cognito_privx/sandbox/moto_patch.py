"""How the stand-ins patch moto's classes in place: the helpers :mod:`cognito_privx.sandbox.moto_fixes` and
:mod:`cognito_privx.sandbox.import_jobs` share.

Two moves, both idempotent (applying a patch twice leaves one layer) and both leaving moto's behaviour alone
otherwise:

- :func:`add_missing` gives a moto class the operations it lacks, never replacing one moto has (a newer moto that
  implements the call wins).
- :func:`wrap` replaces a method by a wrapper around it, marked with :data:`MARK` (the fixes it holds) so that a
  second call of the same fix (another thread, another ``apply``) sees the wrapper and stops, while another fix of
  the same method is layered on top. :func:`is_patched` reads the mark.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

__all__ = ["MARK", "Method", "add_missing", "is_patched", "wrap"]

MARK = "__cognito_privx_moto_fix__"
"""The attribute set on every wrapper :func:`wrap` installs: the (non-empty) set of the fixes it and the wrappers
under it apply."""

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
    """Replace ``owner.name`` by ``make(original)`` unless ``owner``'s own ``name`` already holds this fix (``make``,
    known by its qualified name). A method another fix wrapped is wrapped again, on top.

    ``original`` is ``owner``'s own attribute, or the one it inherits when it has none of its own (the wrapper is
    then set on ``owner`` only, leaving the base class and its other subclasses alone)."""
    fix = f"{make.__module__}.{make.__qualname__}"
    own = owner.__dict__.get(name)
    below: frozenset[str] = getattr(own, MARK, frozenset()) if is_patched(own) else frozenset()
    if fix in below:
        return
    original = own if own is not None else getattr(owner, name)
    wrapper = functools.wraps(original)(make(original))
    setattr(wrapper, MARK, below | {fix})
    setattr(owner, name, wrapper)
