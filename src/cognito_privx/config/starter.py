"""``init``: the text of a commented starter ``cognito-privx.toml`` (:func:`starter_toml`), validated and written
without overwriting a file (:func:`write_starter`); a domain prefix derived from the pool name
(:func:`derive_domain_prefix`: without a domain nobody can sign in), and each answer checked as it is given
(:func:`answer_problem`)."""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import tomllib
from pathlib import Path

from pydantic import ValidationError

from cognito_privx.config.loading import describe_validation_error
from cognito_privx.config.schema import AppConfig
from cognito_privx.config.validate import DOMAIN_RESERVED, normalise_url
from cognito_privx.errors import ConfigError
from cognito_privx.files import create_private


def starter_toml(
    *, region: str | None, privx_url: str | None, pool_name: str = "privx", domain_prefix: str = ""
) -> str:
    """The text of a commented starter ``cognito-privx.toml``; a value not given is left commented out (the
    environment fills it in: ``AWS_REGION``, ``PRIVX_API_BASE_URL``)."""

    def line(key: str, value: str | None, example: str) -> str:
        return f"{key} = {json.dumps(value)}" if value else f"# {key} = {json.dumps(example)}"

    if privx_url:
        with contextlib.suppress(ValueError):  # else written as given: write_starter's validation says what is wrong
            privx_url = normalise_url(privx_url)

    return f"""\
# cognito-privx configuration, written by `cognito-privx init`. Every key is described in
# docs/configuration.md. Credentials never go here: AWS comes from boto3's chain (--profile, AWS_PROFILE, SSO),
# PrivX from PRIVX_API_CLIENT_ID, PRIVX_API_CLIENT_SECRET and PRIVX_API_OAUTH_CLIENT_SECRET.

[cognito]
# The AWS region of the user pool (--region beats it; AWS_REGION fills it in when it is left out).
{line("region", region, "eu-west-1")}
# The user pool: found by this name and the tag managed-by=cognito-privx, created by `cognito-privx setup`.
pool_name = {json.dumps(pool_name)}
# The hosted-UI domain https://<prefix>.auth.<region>.amazoncognito.com: lower-case letters, digits and hyphens,
# unique per region across all AWS accounts. Empty: no domain is managed.
domain_prefix = {json.dumps(domain_prefix)}
# The feature plan: LITE, ESSENTIALS or PLUS. Unset: a new pool gets AWS's default (ESSENTIALS) and an existing
# pool keeps its own. Managed login (hosted_ui = "managed") and email MFA need ESSENTIALS or PLUS.
# tier = "ESSENTIALS"
# Where a user's group travels: "custom" (the attribute custom:group, one group per user) or "cognito:groups"
# (Cognito's native groups, several per user; the stronger: only administrators change native groups).
# group_claim = "custom"
# Taking over a pool that allows self sign-up (setup --adopt): true lets setup turn self sign-up off.
# admin_only_sign_up = true
# import-users --engine job (Cognito's import jobs, for big files): the IAM role Cognito writes the job's
# CloudWatch Logs with (it trusts cognito-idp.amazonaws.com; docs/cognito.md#user-import-jobs).
# import_logs_role_arn = "arn:aws:iam::123456789012:role/CognitoImportLogs"

[privx]
# PrivX's base URL, without a path (PRIVX_API_BASE_URL fills it in when it is left out).
{line("url", privx_url, "https://privx.example.com")}
# Where browsers reach PrivX, when not at url (the API behind a load balancer on an internal name): the callback
# registered in Cognito and the direct-login URL are built from it. Left out: url.
# public_url = "https://privx.example.com"
# directory_name = "Cognito"

[roles]
# Cognito group = PrivX role: a user of the group gets the role. Then: `cognito-privx plan`, `cognito-privx setup`.
# ops = "ops-admins"
# dev = "developers"
"""


def derive_domain_prefix(pool_name: str) -> str:
    """A hosted-UI domain prefix for ``pool_name``: its lower-case letters and digits, hyphen-joined (Cognito's
    reserved words ``aws``, ``amazon``, ``cognito`` taken out), at most 40 characters, then ``-`` and 6 random hex
    digits, since a prefix is unique per region across all AWS accounts (``privx-users`` → ``privx-users-3fa9c1``).
    """
    slug = re.sub(r"[^a-z0-9]+", "-", pool_name.lower())
    for word in DOMAIN_RESERVED:
        slug = slug.replace(word, "")
    slug = re.sub(r"-+", "-", slug)[:40].strip("-") or "privx"
    return f"{slug}-{secrets.token_hex(3)}"


def answer_problem(**answers: str | None) -> str | None:
    """What is wrong with ``init``'s answers so far (``region``, ``privx_url``, ``pool_name``, ``domain_prefix``;
    ``None`` or empty: not given), as the config check says it; ``None`` when nothing is."""
    text = starter_toml(
        region=answers.get("region") or None,
        privx_url=answers.get("privx_url") or None,
        pool_name=answers.get("pool_name") or "privx",
        domain_prefix=answers.get("domain_prefix") or "",
    )
    try:
        AppConfig.model_validate(tomllib.loads(text))
    except ValidationError as e:
        return describe_validation_error(e, "init").message
    return None


def write_starter(path: Path, text: str) -> None:
    """Write a starter file at ``path`` after validating it, readable by its owner only (0600); never over an
    existing file (:class:`ConfigError`)."""
    try:
        AppConfig.model_validate(tomllib.loads(text))
    except ValidationError as e:
        bad = describe_validation_error(e, "init")
        raise ConfigError(
            bad.message, "fix the value given (--region, --privx-url, --pool-name, --domain-prefix)"
        ) from None
    try:
        create_private(path, text)
    except FileExistsError:
        raise ConfigError(
            f"{path} exists already; nothing was written",
            "edit it, or write another file with `cognito-privx --config NEW.toml init`",
        ) from None
    except OSError as e:
        raise ConfigError(f"cannot write {path}: {e.strerror}", "check the path and permissions") from None
