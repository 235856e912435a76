"""Work the libraries redo for every boto3 session and every moto user pool, done once per test process instead.

Neither changes what is tested: the code under test still builds its own sessions and clients, and moto still
creates every pool; only the parsing of constant files is shared. Measured on ``test_access.py`` +
``test_setup.py`` (one process): 27.7 s without, 7.8 s with both.

- botocore parses the service model, endpoint rules, paginators and so on from JSON for each new session (its
  loader caches per session, and every CLI run in the tests makes new sessions): one loader per data path
  serves every session of the process. ``service-data-loaded`` handlers already run on the cached model for
  each client of a session, so they are idempotent.
- (The CA bundles: :meth:`cognito_privx.net.Trust.context` itself keeps one context per trust and file version.)
- moto imports its one fixed JWKS signing key (``moto/cognitoidp/resources/jwks-private.json``) for every user
  pool it creates, recovering the RSA primes each time (~0.1-0.3 s of CPU a pool): the key is imported once.
- The hosted UI stand-in (``sandbox.hosted_ui.claims.Signer``) makes a new 2048-bit RSA key for each instance, one
  or more per test that signs in (50-500 ms of CPU each, ~1/10 of a race schedule's time): keys come from a pool
  of :data:`SIGNING_KEYS`, handed out in turn, so signers made one after the other still hold different keys (and
  each keeps its own random ``kid``).
- botocore registers ~130 builtin handlers on each new session and copies them into each client, checking every
  handler's signature with ``inspect.getfullargspec`` (``botocore.compat.accepts_kwargs``) each time, and its
  event aliaser (``botocore.hooks.EventAliaser``) starts each session and client with an empty cache of aliased
  event names: both are pure functions of code and of the constant alias table, so one answer per function (per
  event name) serves the process. Together ~15 % of the CPU of an in-process CLI run.
- ``mock_aws`` (the ``aws`` fixture, every test on in-process moto) registers, on each start, a ``responses``
  callback per HTTP method and per moto URL pattern (~7 x 1,000 ``CallbackResponse`` objects, for code that calls
  AWS through ``requests``), ~3 % of the suite's CPU: the objects are made once per (method, pattern, callback)
  and registered again at each start, their record of calls emptied (moto itself never reads it).
- botocore builds a new client class for every client (``ClientCreator._create_client_class``: a method per
  operation of the service, ~120 for cognito-idp, then the ``creating-client-class`` handlers), ~12 % of a
  ``setup``'s CPU: a pure function of the service's model and those handlers, so one class per (service, API
  version, handlers) serves the process. Each client is still a new instance with its own model, config and events.
- typer builds the click command tree from the app's annotations on every ``CliRunner().invoke(app, ...)`` (~20 ms
  of CPU, thousands of runs in the suite): built once per app (and per value of typer's one build-time setting);
  each run still gets a new click context. Tests that build a tree themselves (``typer.main.get_command``) still
  get a new one.
"""

from __future__ import annotations

import itertools
import json
import os
import types
from collections.abc import Iterator
from typing import Any

import pytest

SIGNING_KEYS = 4


@pytest.fixture(autouse=True, scope="session")
def process_wide_caches() -> Iterator[None]:
    import botocore.session
    from joserfc import jwk
    from moto.cognitoidp import models

    loaders: dict[str | None, Any] = {}
    create_loader = botocore.session.create_loader

    def shared_loader(search_path_string: str | None = None) -> Any:
        if search_path_string not in loaders:
            loaders[search_path_string] = create_loader(search_path_string)
        return loaders[search_path_string]

    keys: dict[str, Any] = {}

    class RSAKey:
        @staticmethod
        def import_key(data: Any, *args: Any, **kwargs: Any) -> Any:
            cache_key = json.dumps(data, sort_keys=True) if isinstance(data, dict) else repr(data)
            if cache_key not in keys:
                keys[cache_key] = jwk.RSAKey.import_key(data, *args, **kwargs)
            return keys[cache_key]

    from cryptography.hazmat.primitives.asymmetric import rsa

    from cognito_privx.sandbox.hosted_ui import claims

    made: list[Any] = []
    turn = itertools.count()

    def pooled_key(*, public_exponent: int, key_size: int) -> Any:
        if len(made) < SIGNING_KEYS:
            made.append(rsa.generate_private_key(public_exponent=public_exponent, key_size=key_size))
            return made[-1]
        return made[next(turn) % SIGNING_KEYS]

    import botocore.hooks

    accepts: dict[Any, bool] = {}
    accepts_kwargs = botocore.hooks.accepts_kwargs

    def accepts_kwargs_once(func: Any) -> bool:
        code = getattr(func, "__func__", func)  # a bound method's answer is its function's
        if not isinstance(code, types.FunctionType):
            return bool(accepts_kwargs(func))  # a partial or a callable object: asked each time
        if code not in accepts:
            accepts[code] = bool(accepts_kwargs(func))
        return accepts[code]

    aliased: dict[str, str] = {}
    aliaser_init = botocore.hooks.EventAliaser.__init__

    def shared_alias_cache(self: Any, event_emitter: Any, event_aliases: Any = None) -> None:
        aliaser_init(self, event_emitter, event_aliases)
        if self._event_aliases == botocore.hooks.EVENT_ALIASES:  # the default table (or a copy of it)
            self._alias_name_cache = aliased

    import typer.testing

    commands: dict[tuple[int, str | None], Any] = {}
    get_command = typer.testing._get_command

    def built_once(app: Any) -> Any:
        # The one setting typer reads while building (the completion options' shape: typer.completion).
        key = (id(app), os.environ.get("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION"))
        if key not in commands:
            commands[key] = (app, get_command(app))  # the app kept: its id is not reused
        return commands[key][1]

    from moto.core import models as moto_core

    callback_response = moto_core.CallbackResponse
    registered: dict[tuple[Any, ...], Any] = {}

    def made_once(*, method: str, url: Any, callback: Any, **kwargs: Any) -> Any:
        if kwargs:  # a form this cache was not written for
            return callback_response(method=method, url=url, callback=callback, **kwargs)
        key = (method, url, callback)
        if key not in registered:
            registered[key] = callback_response(method=method, url=url, callback=callback)
        registered[key]._calls.reset()
        return registered[key]

    import botocore.client

    create_class = botocore.client.ClientCreator._create_client_class
    classes: dict[tuple[Any, ...], Any] = {}

    def client_class_once(self: Any, service_name: str, service_model: Any) -> Any:
        event = f"creating-client-class.{service_model.service_id.hyphenize()}"
        try:  # the handlers that shape the class (botocore's and boto3's; a test's own would make another key)
            handlers = tuple(self._event_emitter._emitter._handlers.prefix_search(event))
        except AttributeError:  # another botocore's emitter: built each time
            return create_class(self, service_name, service_model)
        key = (service_name, service_model.api_version, handlers)
        if key not in classes:
            classes[key] = create_class(self, service_name, service_model)
        return classes[key]

    moto_jwk = models.__dict__["jwk"]
    setattr(botocore.session, "create_loader", shared_loader)  # noqa: B010
    setattr(models, "jwk", types.SimpleNamespace(RSAKey=RSAKey))  # noqa: B010
    setattr(claims, "rsa", types.SimpleNamespace(generate_private_key=pooled_key))  # noqa: B010
    setattr(typer.testing, "_get_command", built_once)  # noqa: B010
    setattr(botocore.hooks, "accepts_kwargs", accepts_kwargs_once)  # noqa: B010
    setattr(botocore.hooks.EventAliaser, "__init__", shared_alias_cache)  # noqa: B010
    setattr(moto_core, "CallbackResponse", made_once)  # noqa: B010
    setattr(botocore.client.ClientCreator, "_create_client_class", client_class_once)  # noqa: B010
    yield
    setattr(botocore.client.ClientCreator, "_create_client_class", create_class)  # noqa: B010
    setattr(moto_core, "CallbackResponse", callback_response)  # noqa: B010
    setattr(botocore.session, "create_loader", create_loader)  # noqa: B010
    setattr(models, "jwk", moto_jwk)  # noqa: B010
    setattr(claims, "rsa", rsa)  # noqa: B010
    setattr(typer.testing, "_get_command", get_command)  # noqa: B010
    setattr(botocore.hooks, "accepts_kwargs", accepts_kwargs)  # noqa: B010
    setattr(botocore.hooks.EventAliaser, "__init__", aliaser_init)  # noqa: B010
