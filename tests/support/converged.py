"""The converged world: a ``setup`` that only brings the stand-ins to where a test starts, done once per process per
input and restored after that.

~300 test lines run ``setup`` first, as a precondition for what they test (``users``, ``doctor``, access, a second
run...); that first ``setup`` was ~30 % of the suite's CPU. The first time a test process runs a given first
``setup``, it runs for real and what it left is kept: moto's cognito-idp backends (deep copies), the PrivX emulator's
whole state (a deep copy of its attributes, its lock and its own HTTP client excepted), the files it wrote under the
test's directory, its exit code, stdout and stderr. A later test whose first command is the same ``setup`` from the
same world gets all of that restored into its own stand-ins instead of running it, then carries on as it would
have: its later commands (a second ``setup`` too) run for real against the restored world.

The key is everything that shapes the result (:func:`_key`): the arguments, every file under the test's directory
(the config, anything it names), the whole environment (``AWS_*``, the Cognito stand-in's variant variables...), the
Cognito stand-in's variant in force, the ``Seams`` values, the emulator's settings (version, variant, token life,
API clients and their permissions). Only a world nothing has touched qualifies: the test's first CLI run, moto with
no user pool in any account or region, the emulator as built (built-ins only, no request, no fault, no token), no
``http_transport``, and no ``monkeypatch.setattr`` but the kept clients' (a test that hooks a call or counts calls
runs its ``setup``); otherwise, or when the world cannot be copied, ``setup`` runs for real. Tests about ``setup``
itself are marked ``setup_runs`` (module-wide where the module is about it): theirs always runs, as does that of a
test about how a command opens its AWS clients (``fresh_clients``).

``tests/standins/test_converged_world.py`` proves a restored world equal to the one the real run left (moto as
boto3 reads it, the emulator's state), and that a second ``setup`` on it changes nothing.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from cognito_privx.cli import Seams
from cognito_privx.cognito import session as cognito_session
from cognito_privx.sandbox.emulator import PrivXEmulator
from cognito_privx.sandbox.moto_fixes import variant

_SIMPLE = (str, int, float, bool, type(None))
# The emulator's attributes a restore leaves as the test's emulator has them: its lock, start time and links outside.
# Its routes are rebuilt (two are lambdas on the emulator, which a deep copy would not follow).
_OWN = ("_lock", "_start_time", "oidc_http", "issuer_locator", "_own_oidc_http", "_routes")


class _Placeholder:
    """Stands in a snapshot for an object of the emulator it was taken from (the emulator, its lock)."""


_EMULATOR, _LOCK = _Placeholder(), _Placeholder()


@dataclass(frozen=True)
class Converged:
    """What a real first ``setup`` left: the result and the stand-ins' state (``<tmp>`` for the test's directory)."""

    exit_code: int
    stdout: str
    stderr: str
    files: dict[str, bytes]  # written or changed under the test's directory, by relative path
    moto: dict[tuple[str, str], Any]  # (account, region) -> a deep copy of the cognito-idp backend
    emulator: dict[str, Any]  # a deep copy of the emulator's attributes, placeholders for _EMULATOR and _LOCK


# TESTS_REAL_SETUP=1 in pytest's environment: every setup runs (for measuring, or for doubting a restore).
_OFF = os.environ.get("TESTS_REAL_SETUP") == "1"
_KEPT: dict[tuple[object, ...], Converged | None] = {}  # None: that input's world could not be copied


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _cognito_backends() -> Any:
    from moto.cognitoidp.models import cognitoidp_backends

    return cognitoidp_backends


def _moto_untouched() -> bool:
    for regions in _cognito_backends().values():
        for backend in dict.values(regions):
            if backend.user_pools or backend.user_pool_domains:
                return False
    return True


def _emulator_as_built(emulator: PrivXEmulator) -> bool:
    return (
        set(emulator.sources) == set(emulator.builtin_source_ids.values())
        and all(role.get("system") for role in emulator.roles.values())
        and len(emulator.users) == 1
        and not (emulator.requests or emulator.faults or emulator.logins or emulator.sessions)
        and not (emulator.connections or emulator.refreshes or emulator._auth._tokens)
        and emulator.oidc_http is None
        and emulator.issuer_locator is None
        and emulator._own_oidc_http is None
    )


def _emulator_settings(emulator: PrivXEmulator) -> tuple[object, ...] | None:
    """The emulator's settings: its simple attributes and its parts' (TTLs, URLs, version...), its variant, its API
    clients; ``None`` for an emulator on another clock than the default (a test's fake clock)."""
    if emulator._auth._clock is not time.monotonic:
        return None
    simple = []
    for name, value in vars(emulator).items():
        if name in _OWN:
            continue
        if isinstance(value, _SIMPLE):
            simple.append((name, value))
        elif hasattr(value, "__dict__") and not callable(value):
            simple.extend((f"{name}.{k}", v) for k, v in vars(value).items() if isinstance(v, _SIMPLE))
    clients = tuple(sorted((cid, c.secret, tuple(sorted(c.permissions))) for cid, c in emulator._auth._clients.items()))
    return tuple(sorted(simple, key=repr)), repr(emulator.variant), clients


def _seams_values(seams: Seams, emulator: PrivXEmulator) -> tuple[object, ...] | None:
    transport = seams.privx_transport
    if not (isinstance(transport, httpx.MockTransport) and transport.handler == emulator.handle):
        return None
    values = {f.name: getattr(seams, f.name) for f in dataclasses.fields(seams) if f.name != "privx_transport"}
    if not all(isinstance(v, _SIMPLE) for v in values.values()) or values.get("http_transport") is not None:
        return None
    return tuple(sorted(values.items()))


def _only_kept_clients_patched(monkeypatch: pytest.MonkeyPatch) -> bool:
    setattrs = [(obj, name) for obj, name, _ in monkeypatch._setattr]
    items = [mapping for mapping, _, _ in monkeypatch._setitem]
    return (
        all(obj is cognito_session and name == "open_clients" for obj, name in setattrs)
        and all(mapping is os.environ for mapping in items)
        and monkeypatch._savesyspath is None
    )


def _key(
    args: tuple[str, ...], input: str | None, request: pytest.FixtureRequest, seams: Seams, tmp: Path
) -> tuple[object, ...] | None:
    """The key of a first ``setup`` from an untouched world, or ``None`` when this run must be real."""
    if "setup" not in args:
        return None
    if any(request.node.get_closest_marker(m) is not None for m in ("setup_runs", "fresh_clients")):
        return None  # about setup itself, or about how a command opens its clients
    if "aws" not in request.fixturenames or "emulator" not in request.fixturenames:
        return None
    if "AWS_ENDPOINT_URL" in os.environ or not _only_kept_clients_patched(request.getfixturevalue("monkeypatch")):
        return None
    emulator = request.getfixturevalue("emulator")
    seams_values = _seams_values(seams, emulator)
    settings = _emulator_settings(emulator)
    if seams_values is None or settings is None or not _emulator_as_built(emulator) or not _moto_untouched():
        return None
    here = str(tmp)
    environment = tuple(
        sorted((k, v.replace(here, "<tmp>")) for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST")
    )
    return (
        tuple(a.replace(here, "<tmp>") for a in args),
        input,
        tuple(sorted(_files(tmp).items())),
        environment,
        os.getcwd().replace(here, "<tmp>"),
        repr(variant.configured()),
        seams_values,
        settings,
    )


def _take(emulator: PrivXEmulator) -> tuple[dict[tuple[str, str], Any], dict[str, Any]]:
    moto = {
        (account, region): copy.deepcopy(backend)
        for account, regions in _cognito_backends().items()
        for region, backend in dict.items(regions)
        if backend.user_pools or backend.user_pool_domains
    }
    state = {k: v for k, v in vars(emulator).items() if k not in _OWN}
    kept = copy.deepcopy(state, {id(emulator): _EMULATOR, id(emulator._lock): _LOCK})
    return moto, kept


def restore(converged: Converged, emulator: PrivXEmulator) -> None:
    """Put ``converged``'s stand-in state into this process's moto and into ``emulator`` (in place: the test's
    references to it stay good)."""
    backends = _cognito_backends()
    for (account, region), backend in converged.moto.items():
        dict.__setitem__(backends[account], region, copy.deepcopy(backend))
    vars(emulator).update(copy.deepcopy(converged.emulator, {id(_EMULATOR): emulator, id(_LOCK): emulator._lock}))
    emulator._routes = emulator._build_routes()


def run_setup(
    run: Any,
    args: tuple[str, ...],
    input: str | None,
    request: pytest.FixtureRequest,
    seams: Seams,
    tmp: Path,
    result: type,
) -> Any:
    """``run(*args, input=input)``, or its kept result restored (see the module's docstring)."""
    key = None if _OFF else _key(args, input, request, seams, tmp)
    if key is None or (key in _KEPT and _KEPT[key] is None):
        return run(*args, input=input)
    emulator = request.getfixturevalue("emulator")
    here = str(tmp)
    converged = _KEPT.get(key)
    if converged is None:
        before = _files(tmp)
        outcome = run(*args, input=input)
        try:
            moto, state = _take(emulator)
        except Exception:  # something in the world cannot be copied: this input always runs for real
            _KEPT[key] = None
            return outcome
        after = _files(tmp)
        _KEPT[key] = Converged(
            outcome.exit_code,
            outcome.stdout.replace(here, "<tmp>"),
            outcome.stderr.replace(here, "<tmp>"),
            {path: data for path, data in after.items() if before.get(path) != data},
            moto,
            state,
        )
        return outcome
    restore(converged, emulator)
    for path, data in converged.files.items():
        (tmp / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp / path).write_bytes(data)
    return result(converged.exit_code, converged.stdout.replace("<tmp>", here), converged.stderr.replace("<tmp>", here))
