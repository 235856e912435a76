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
"""

from __future__ import annotations

import json
import types
from collections.abc import Iterator
from typing import Any

import pytest


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

    moto_jwk = models.__dict__["jwk"]
    setattr(botocore.session, "create_loader", shared_loader)  # noqa: B010
    setattr(models, "jwk", types.SimpleNamespace(RSAKey=RSAKey))  # noqa: B010
    yield
    setattr(botocore.session, "create_loader", create_loader)  # noqa: B010
    setattr(models, "jwk", moto_jwk)  # noqa: B010
