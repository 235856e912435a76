"""How a check is declared, and how the declared checks run.

A check is a function ``(facts, desired) -> message`` that returns its ``ok`` message or raises :class:`NotOk`
(made by :func:`fail`, :func:`warn` or :func:`skip`); a :class:`~cognito_privx.errors.CognitoPrivxError` it
lets through fails it with that error's message and hint. Its name is given once, where it is registered::

    CHECKS = Registry()

    @CHECKS.check("client-callback", cognito=True)
    def client_callback(facts: Facts, desired: DesiredState) -> str: ...

The report lists the checks in the order they were registered. ``cognito=True`` marks a check that needs
Cognito: when ``aws-credentials`` fails, it is skipped and says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from cognito_privx.desired import DesiredState
from cognito_privx.doctor.facts import Facts, Failed
from cognito_privx.doctor.report import Check, Status
from cognito_privx.errors import CognitoPrivxError

T = TypeVar("T")

SETUP_HINT = "run `cognito-privx setup`"
COGNITO_UNUSABLE = "skipped: Cognito is not usable (see aws-credentials)"

Body = Callable[[Facts, DesiredState], str]


class NotOk(Exception):
    """Ends a check early with a status other than ``ok``."""

    def __init__(self, status: Status, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.hint = status, message, hint


def fail(message: str, hint: str | None = SETUP_HINT) -> NotOk:
    return NotOk(Status.FAIL, message, hint)


def warn(message: str, hint: str | None = None) -> NotOk:
    return NotOk(Status.WARN, message, hint)


def skip(message: str) -> NotOk:
    return NotOk(Status.SKIP, message)


def got(fact: T | Failed) -> T:
    """The fact's value; a fact that could not be read fails the check with its error's message and hint."""
    if isinstance(fact, Failed):
        raise fail(fact.message, fact.hint)
    return fact


@dataclass(frozen=True)
class Definition:
    """A registered check, or a family of them (``role:<group>``): the named bodies it runs for a config."""

    name: str
    instances: Callable[[DesiredState], list[tuple[str, Body]]]
    cognito: bool = False

    @classmethod
    def single(
        cls, name: str, body: Body, *, cognito: bool = False, when: Callable[[DesiredState], bool] | None = None
    ) -> Definition:
        return cls(name, lambda desired: [(name, body)] if when is None or when(desired) else [], cognito)


@dataclass
class Registry:
    """The checks, in report order."""

    definitions: list[Definition] = field(default_factory=list)

    def check(
        self, name: str, *, cognito: bool = False, when: Callable[[DesiredState], bool] | None = None
    ) -> Callable[[Body], Body]:
        """Register a check under ``name``; with ``when``, only for the configs it accepts."""

        def register(body: Body) -> Body:
            self.definitions.append(Definition.single(name, body, cognito=cognito, when=when))
            return body

        return register

    def check_each(
        self, prefix: str, over: Callable[[DesiredState], Iterable[tuple[str, T]]]
    ) -> Callable[[Callable[[Facts, DesiredState, T], str]], Callable[[Facts, DesiredState, T], str]]:
        """Register one check ``<prefix>:<key>`` per ``(key, item)`` that ``over`` yields for the config."""

        def register(body: Callable[[Facts, DesiredState, T], str]) -> Callable[[Facts, DesiredState, T], str]:
            def bind(item: T) -> Body:
                return lambda facts, desired: body(facts, desired, item)

            def instances(desired: DesiredState) -> list[tuple[str, Body]]:
                return [(f"{prefix}:{key}", bind(item)) for key, item in over(desired)]

            self.definitions.append(Definition(prefix, instances))
            return body

        return register

    def run(self, facts: Facts, desired: DesiredState, extra: Sequence[Definition] = ()) -> Iterator[Check]:
        """Every check for this config over these facts (then ``extra``, the token probe), in order."""
        for definition in (*self.definitions, *extra):
            for name, body in definition.instances(desired):
                if definition.cognito and facts.aws is not None:
                    yield Check(name, Status.SKIP, COGNITO_UNUSABLE)
                else:
                    yield run_one(name, body, facts, desired)


def run_one(name: str, body: Body, facts: Facts, desired: DesiredState) -> Check:
    try:
        return Check(name, Status.OK, body(facts, desired))
    except NotOk as o:
        return Check(name, o.status, o.message, o.hint)
    except CognitoPrivxError as e:
        return Check(name, Status.FAIL, e.message, e.hint)
