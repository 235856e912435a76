"""Configuration: the TOML file, the environment and the flags, validated before any call; PrivX credentials
from the environment.

Modules:

- ``constants``: fixed names and values (our ``managed-by`` tag, PrivX's callback path, the MFA methods and
  scopes we accept) and the defaults of the unknowns (``DEFAULT_LOGIN_URL_TEMPLATE``, ``DEFAULT_RULE_TEMPLATE``,
  ``RULE_TEMPLATE_CANDIDATES``).
- ``validate``: what a value may look like (the patterns AWS and PrivX accept, loopback hosts, group names and
  how PrivX's matcher folds them, rule templates that widen grants, control characters, PrivX's URL and its
  normal form).
- ``partitions``: regions and partitions from botocore's endpoint data (``region_info``, ``issuer``,
  ``domain_url``, ``region_warning``); botocore is imported only when a region is checked.
- ``schema``: the config file's sections as pydantic models (``CognitoConfig``, ``PrivXConfig``, ``RoleSpec``,
  ``AppConfig``), each key with its default and its check.
- ``loading``: finding and reading the file and layering it: flag > config file > environment > default
  (``load_config``).
- ``credentials``: PrivX API credentials from ``PRIVX_*`` variables (``PrivXCredentials``, ``load_credentials``).
- ``starter``: ``init``'s commented starter file (``starter_toml``, ``write_starter``, ``derive_domain_prefix``,
  ``answer_problem``).

The names below are re-exported for the code that imports them from ``cognito_privx.config``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cognito_privx.config.constants import (
    CALLBACK_PATH,
    DEFAULT_LOGIN_URL_TEMPLATE,
    DEFAULT_RULE_TEMPLATE,
    MANAGED_TAG_KEY,
    MANAGED_TAG_VALUE,
    RULE_TEMPLATE_CANDIDATES,
)
from cognito_privx.config.loading import DEFAULT_CONFIG_FILE, load_config
from cognito_privx.config.schema import AppConfig, CognitoConfig, PasswordPolicyConfig, PrivXConfig
from cognito_privx.config.starter import answer_problem, derive_domain_prefix, starter_toml, write_starter
from cognito_privx.config.validate import (
    ROLE_ARN_RE,
    GroupNameError,
    fold_group,
    group_collisions,
    normalise_url,
    validate_group_name,
    wide_part,
)

if TYPE_CHECKING:
    from cognito_privx.config.credentials import PrivXCredentials, load_credentials

_LAZY = frozenset({"PrivXCredentials", "load_credentials"})  # pydantic-settings: imported by their first use


def __getattr__(name: str) -> Any:
    """The PrivX credentials' names, imported when first asked for (PEP 562): ``credentials`` brings
    pydantic-settings, which a command that never reaches PrivX (``import-users``, issue 24) need not load."""
    if name in _LAZY:
        from cognito_privx.config import credentials

        return getattr(credentials, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CALLBACK_PATH",
    "DEFAULT_CONFIG_FILE",
    "DEFAULT_LOGIN_URL_TEMPLATE",
    "DEFAULT_RULE_TEMPLATE",
    "MANAGED_TAG_KEY",
    "MANAGED_TAG_VALUE",
    "ROLE_ARN_RE",
    "RULE_TEMPLATE_CANDIDATES",
    "AppConfig",
    "CognitoConfig",
    "GroupNameError",
    "PasswordPolicyConfig",
    "PrivXConfig",
    "PrivXCredentials",
    "answer_problem",
    "derive_domain_prefix",
    "fold_group",
    "group_collisions",
    "load_config",
    "load_credentials",
    "normalise_url",
    "starter_toml",
    "validate_group_name",
    "wide_part",
    "write_starter",
]
