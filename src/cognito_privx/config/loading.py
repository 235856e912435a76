"""Loading the configuration: the TOML file, the environment and the flags, validated before any call.

Precedence, highest first: command-line flag > config file > environment > default, for every key the file can
hold (as Terraform's provider block beats ``AWS_REGION``). The environment only fills in what the file leaves
out: ``AWS_REGION`` / ``AWS_DEFAULT_REGION`` fill ``[cognito] region``, ``PRIVX_API_BASE_URL`` fills
``[privx] url``. Flags: ``--region`` (``[cognito] region``) and ``--pool-id`` (``[cognito] pool_id``). Every
value in the file is validated, also one a flag overrides, and an error names where the bad value came from
(the file, the variable or the flag).

The config file is found at ``--config``, else ``$COGNITO_PRIVX_CONFIG``, else ``./cognito-privx.toml``; when
there is none, that is an error (exit 2): nothing is ever created from defaults alone. It holds no credentials:
AWS credentials come from boto3's own chain, PrivX credentials from ``PRIVX_*`` variables
(:class:`~cognito_privx.config.credentials.PrivXCredentials`).

The sandbox hands out ``AWS_REGION`` and ``PRIVX_API_BASE_URL``; a config file that leaves out ``region`` and
``url`` (``examples/sandbox.toml``) is pointed at the sandbox by a shell that sourced its env file.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cognito_privx.config.schema import AppConfig
from cognito_privx.config.validate import POOL_ID_REGION_ERROR
from cognito_privx.errors import ConfigError

DEFAULT_CONFIG_FILE = "cognito-privx.toml"
CONFIG_ENV = "COGNITO_PRIVX_CONFIG"


def find_config_file(explicit: Path | None, env: Mapping[str, str]) -> tuple[Path | None, bool]:
    """The config path and whether the user named it (a named file must exist); ``None`` when there is none."""
    if explicit is not None:
        return explicit, True
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV]), True
    default = Path(DEFAULT_CONFIG_FILE)
    return (default, False) if default.exists() else (None, False)


def read_toml(path: Path, named_by: str = "--config") -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"config file {path} does not exist (named by {named_by})",
            f"fix {named_by}, or write a starter file with `cognito-privx init --config {path}`",
        ) from None
    except OSError as e:
        raise ConfigError(f"cannot read config file {path}: {e.strerror}", "check the path and permissions") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text", "save the config file as UTF-8") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {e}", "fix the syntax at the line shown") from None


def describe_validation_error(e: ValidationError, source: str) -> ConfigError:
    err = e.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    where = f"[{loc.rsplit('.', 1)[0]}] {loc.rsplit('.', 1)[-1]}" if "." in loc else loc
    where = where or "config"
    if err["type"] == "model_type":
        return ConfigError(
            f"{source}: {where} must be a table ([{where}])", "run `cognito-privx init` for a commented starter file"
        )
    if err["type"] == "extra_forbidden":
        return ConfigError(
            f"{source}: unknown key {where}",
            "check the spelling; the valid keys are in docs/configuration.md and in the file `cognito-privx init` "
            "writes",
        )
    msg = str(err["msg"]).removeprefix("Value error, ")
    # A check that knows better than the generic hint passes its own in the error's context.
    hint = str((err.get("ctx") or {}).get("hint") or "fix the value; docs/configuration.md lists each key")
    return ConfigError(f"{source}: {where}: {msg}", hint)


def _region_from_env(env: Mapping[str, str]) -> tuple[str | None, str]:
    """``AWS_REGION``, else ``AWS_DEFAULT_REGION`` (an empty value counts as unset), and the variable's name."""
    name = "AWS_REGION" if env.get("AWS_REGION") else "AWS_DEFAULT_REGION"
    return env.get(name) or None, name


def _validate(layered: dict[str, Any], origins: Mapping[tuple[str, ...], str], source: str) -> AppConfig:
    """Validate one layering; an error names the origin of the bad value (a variable, a flag, else the file)."""
    try:
        return AppConfig.model_validate(layered)
    except ValidationError as e:
        first = e.errors()[0]
        loc = tuple(str(p) for p in first["loc"])
        err = describe_validation_error(e, origins.get(loc, source))
        region_origin = origins.get(("cognito", "region"), source)
        if first["type"] == POOL_ID_REGION_ERROR and region_origin != origins.get(loc, source):
            # The pool id and the region disagree and came from different places: name both.
            err = ConfigError(f"{err.message} (the region from {region_origin})", err.hint)
        raise err from None


def load_config(
    path: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    region: str | None = None,
    pool_id: str | None = None,
) -> AppConfig:
    """Read, layer and validate the configuration. Raises :class:`ConfigError` (exit 2).

    Flag (``region``, ``pool_id``) > config file > environment > default. The file and the environment are
    validated first on their own, so a bad value in the file is reported even when a flag overrides it.
    """
    env = os.environ if env is None else env
    file, named = find_config_file(path, env)
    if file is None:
        raise ConfigError(
            f"no config file found (looked for --config, ${CONFIG_ENV}, ./{DEFAULT_CONFIG_FILE})",
            f"run `cognito-privx init` to write a commented ./{DEFAULT_CONFIG_FILE}, or pass --config FILE",
        )
    data = read_toml(file, "--config" if path is not None else CONFIG_ENV if named else str(file))
    source = str(file)

    layered: dict[str, Any] = {k: dict(v) if isinstance(v, dict) else v for k, v in data.items()}
    origins: dict[tuple[str, ...], str] = {}

    def put(section: str, key: str, value: str | None, origin: str, *, fill_only: bool) -> None:
        if not value:
            return
        sect = layered.setdefault(section, {})
        if not isinstance(sect, dict):
            return  # the model reports the wrong type of the section itself
        if fill_only and key in sect:
            return  # the file has it: the environment only fills in what the file leaves out
        sect[key] = value
        origins[(section, key)] = origin

    # The environment fills gaps the file leaves, unless a flag fills them anyway (an overridden
    # variable is not used, so it is not judged either).
    env_region, env_region_name = _region_from_env(env)
    if not region:
        put("cognito", "region", env_region, env_region_name, fill_only=True)
    put("privx", "url", env.get("PRIVX_API_BASE_URL"), "PRIVX_API_BASE_URL", fill_only=True)
    cfg = _validate(layered, origins, source)

    if region or pool_id:
        put("cognito", "region", region, "--region", fill_only=False)
        put("cognito", "pool_id", pool_id, "--pool-id", fill_only=False)
        cfg = _validate(layered, origins, source)
    cfg.set_config_file(file)
    return cfg
