"""The checks: each a small pure function over the gathered :class:`~.facts.Facts` and the same
:class:`~cognito_privx.desired.DesiredState` setup converges to, registered (and so named) once in
:data:`CHECKS`, in report order.

A check never raises for a failed dependency: one that cannot run because an earlier one failed is ``skip``
and says which. Every ``fail`` hint names the command that fixes it (mostly ``cognito-privx setup``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from cognito_privx import cognito, privx
from cognito_privx.config import MANAGED_TAG_KEY, MANAGED_TAG_VALUE
from cognito_privx.config.partitions import region_info
from cognito_privx.desired import DesiredState, Grant
from cognito_privx.doctor import mapping, readers, refresh_tokens, writers
from cognito_privx.doctor.facts import Branding, Facts, Failed, is_oidc, managed_login
from cognito_privx.doctor.registry import SETUP_HINT, NotOk, Registry, fail, got, skip, warn
from cognito_privx.errors import PrivXConnectionError, PrivXNotFoundError, PrivXPermissionError
from cognito_privx.plan import diff_fields
from cognito_privx.privx import directlogin

if TYPE_CHECKING:  # types-boto3-cognito-idp: type checking only
    from types_boto3_cognito_idp.type_defs import UserPoolClientTypeTypeDef, UserPoolTypeTypeDef

CHECKS = Registry()


def _join(items: Iterable[object]) -> str:
    return ", ".join(str(i) for i in items)


def _missing(want: Sequence[str], have: Iterable[str] | None) -> list[str]:
    present = set(have or ())
    return [w for w in want if w not in present]


# -- what the checks share ---------------------------------------------------------------------------------


def need_pool(facts: Facts) -> UserPoolTypeTypeDef:
    if facts.pool is None or isinstance(facts.pool, Failed):
        raise skip("skipped: no user pool (see cognito-pool)")
    return facts.pool


def need_client(facts: Facts) -> UserPoolClientTypeTypeDef:
    if facts.client is None or isinstance(facts.client, Failed):
        raise skip("skipped: no usable app client (see app-client)")
    return facts.client


def _need_api(facts: Facts) -> None:
    if not isinstance(facts.privx_sources, int):
        raise skip("skipped: the PrivX API is not usable (see privx-api)")


def _need_directory(facts: Facts) -> dict[str, Any]:
    _need_api(facts)
    if not isinstance(facts.directory, dict) or not is_oidc(facts.directory):
        raise skip("skipped: no OIDC directory (see privx-directory)")
    return facts.directory


def _connection(directory: dict[str, Any]) -> dict[str, Any]:
    conn: dict[str, Any] = directory.get("connection") or {}
    return conn


def native_groups(desired: DesiredState) -> bool:
    """Whether the group travels in a claim of Cognito's own (``cognito:groups``), not the custom attribute."""
    return desired.directory.tags_claim != desired.client.group_attribute


def _hosted_ui_url(facts: Facts, desired: DesiredState) -> str | None:
    pool = facts.pool if isinstance(facts.pool, dict) else {}
    if pool.get("CustomDomain"):
        return f"https://{pool['CustomDomain']}"
    prefix = (desired.domain.prefix if desired.domain else None) or pool.get("Domain")
    return cognito.domain_url(prefix, desired.pool.region) if prefix else None


def _discovery(facts: Facts, desired: DesiredState) -> dict[str, Any] | None:
    """The discovery document, when it names the pool's issuer (as PrivX requires)."""
    doc = facts.discovery.body if facts.discovery else None
    if not isinstance(doc, dict) or not isinstance(facts.pool, dict):
        return None
    return doc if doc.get("issuer") == desired.pool.issuer(facts.pool["Id"]) else None


def usable_jwks(facts: Facts, desired: DesiredState) -> dict[str, Any] | None:
    """The JWKS, when ``oidc-discovery`` passes: what a token from this pool is verified with."""
    try:
        oidc_discovery(facts, desired)
    except NotOk:
        return None
    return got(facts.jwks.body) if facts.jwks else None


# -- Cognito -----------------------------------------------------------------------------------------------


@CHECKS.check("aws-credentials")
def aws_credentials(facts: Facts, desired: DesiredState) -> str:
    if facts.aws is not None:
        raise fail(facts.aws.message, facts.aws.hint)
    return f"the AWS credentials work (Cognito answered in {desired.pool.region})"


@CHECKS.check("cognito-pool", cognito=True)
def cognito_pool(facts: Facts, desired: DesiredState) -> str:
    name = desired.pool.name
    pool = got(facts.pool)
    if pool is None:
        hint = f"{SETUP_HINT} (it creates the pool), or check [cognito] pool_name and the region"
        # Setup refuses to re-point a directory whose issuer is another pool (a deleted one, say) without
        # --adopt: never send the user to a command that then refuses.
        if isinstance(facts.directory, dict):
            hint = (
                f"run `cognito-privx setup --adopt`: it creates the pool and re-points the PrivX directory "
                f"{desired.directory.name!r}, which names {privx.issuer_of(facts.directory)}; or check "
                "[cognito] pool_name and the region"
            )
        raise fail(f"no user pool named {name!r} with the tag {MANAGED_TAG_KEY}={MANAGED_TAG_VALUE}", hint)
    return f"{name} ({pool['Id']}), tagged {MANAGED_TAG_KEY}={MANAGED_TAG_VALUE}"


@CHECKS.check("cognito-attribute", cognito=True)
def cognito_attribute(facts: Facts, desired: DesiredState) -> str:
    attr = desired.attribute.attribute_name
    if cognito.check_attribute(desired.attribute, need_pool(facts)) is None:
        raise fail(f"the pool has no attribute {attr}", f"{SETUP_HINT} (it adds the attribute)")
    return f"{attr} is a mutable String"


MFA_OFF = "PrivX grants privileged access; Cognito MFA is off"


@CHECKS.check("cognito-mfa", cognito=True)
def cognito_mfa(facts: Facts, desired: DesiredState) -> str:
    """The pool's MFA equals ``[cognito] mfa`` when that is set; MFA off is a warning either way."""
    need_pool(facts)
    if facts.mfa is None:
        raise skip("skipped: no user pool (see cognito-pool)")
    have = cognito.mfa_view(got(facts.mfa))
    methods = [m for m, key in (("totp", "SoftwareTokenMfa"), ("email", "EmailMfa")) if have[key]]
    if desired.mfa is not None:
        wrong = plan_diff(have, desired.mfa.desired())
        if wrong:
            raise fail(
                f"the pool's MFA differs from [cognito] mfa = {desired.mfa.mode!r}: {wrong}",
                f"{SETUP_HINT} (it sets the pool's MFA)",
            )
    if have["MfaConfiguration"] == "OFF":
        raise warn(
            MFA_OFF,
            'set [cognito] mfa = "required" with mfa_methods = ["totp"] and run `cognito-privx setup`',
        )
    mode = "required" if have["MfaConfiguration"] == "ON" else "optional"
    return f"MFA {mode} ({_join(methods) or 'no method'})"


def plan_diff(have: dict[str, Any], want: dict[str, Any]) -> str:
    """The fields of ``have`` that differ from ``want``, as ``field before → after``."""
    return "; ".join(f"{f.field} {f.before!r} → {f.after!r}" for f in diff_fields(have, want))


@CHECKS.check("app-client", cognito=True)
def app_client(facts: Facts, desired: DesiredState) -> str:
    pool = need_pool(facts)
    client = got(facts.client)
    if client is None:
        raise fail(
            f"pool {pool['Id']} has no app client named {desired.client.name!r}",
            f"{SETUP_HINT} (it creates the app client)",
        )
    return f"{client['ClientName']} ({client['ClientId']}) has a client secret"


@CHECKS.check("client-secret", cognito=True)
def client_secret(facts: Facts, desired: DesiredState) -> str:
    """The secret PrivX holds (our marker names it by id) exists, and its age against ``max_secret_age_days``."""
    need_client(facts)
    if facts.secrets is None:
        raise skip("skipped: no usable app client (see app-client)")
    found = got(facts.secrets)
    unavailable = str(getattr(found, "unavailable", ""))  # the listing missing or denied (cognito/secrets.py)
    if unavailable:
        raise warn(unavailable)
    if not found:
        raise fail("the app client has no secret", f"{SETUP_HINT} (it reports what to do)")
    marked = privx.secret_id_of(facts.directory) if isinstance(facts.directory, dict) else None
    held = next((s for s in found if s.id == marked), found[0] if marked is None else None)
    if held is None:
        raise fail(
            f"our marker on the PrivX directory names client secret {marked}, which the app client no longer has: "
            "PrivX's logins fail with invalid_client",
            "run `cognito-privx rotate-secret` (it puts a fresh secret into PrivX)",
        )
    age = cognito.secret_age_days(held)
    what = f"client secret {held.id}" + (f", {age} day(s) old" if age is not None else "")
    if len(found) > 1:
        raise warn(
            f"{what}; the app client has {len(found)} secrets: a rotation is unfinished",
            "run `cognito-privx rotate-secret` to finish it",
        )
    limit = desired.max_secret_age_days
    if limit is not None and age is not None and age > limit:
        raise warn(f"{what}: older than max_secret_age_days = {limit}", "run `cognito-privx rotate-secret`")
    return what


@CHECKS.check("client-oauth-flow", cognito=True)
def client_oauth_flow(facts: Facts, desired: DesiredState) -> str:
    client, want = need_client(facts), desired.client.desired()
    problems = []
    if client.get("AllowedOAuthFlowsUserPoolClient") is not want["AllowedOAuthFlowsUserPoolClient"]:
        problems.append("OAuth is not enabled for the client (AllowedOAuthFlowsUserPoolClient)")
    have_flows = client.get("AllowedOAuthFlows") or []
    if flows := _missing(want["AllowedOAuthFlows"], have_flows):
        problems.append(f"the {_join(flows)} flow is not allowed (flows: {_join(have_flows) or 'none'})")
    if providers := _missing(want["SupportedIdentityProviders"], client.get("SupportedIdentityProviders")):
        problems.append(f"the identity provider {_join(providers)} is not enabled")
    if problems:
        raise fail("; ".join(problems), f"{SETUP_HINT} (it enables the authorization-code flow)")
    return (
        f"the {_join(want['AllowedOAuthFlows'])} flow with the {_join(want['SupportedIdentityProviders'])} "
        "identity provider"
    )


@CHECKS.check("client-scopes", cognito=True)
def client_scopes(facts: Facts, desired: DesiredState) -> str:
    allowed = set(need_client(facts).get("AllowedOAuthScopes") or [])
    wanted = {
        s: "the config" if s in desired.client.scopes else "always"
        for s in desired.client.desired()["AllowedOAuthScopes"]
    }
    note = ""
    if isinstance(facts.directory, dict):
        for scope in _connection(facts.directory).get("oidc_additional_scopes") or []:
            wanted.setdefault(str(scope), "the PrivX directory")
    elif isinstance(facts.directory, Failed):
        note = " (PrivX directory not readable: compared with the config only)"
    missing = [s for s in wanted if s not in allowed]
    if missing:
        which = _join(f"{s} (asked by {wanted[s]})" for s in missing)
        raise fail(
            f"the app client does not allow the scope(s) {which}: PrivX's login would fail with invalid_scope",
            f"{SETUP_HINT} (it allows openid + [privx] additional_scopes and sets the directory's scopes to "
            "match); add a scope the directory needs to [privx] additional_scopes first",
        )
    return f"allows {_join(sorted(wanted))}{note}"


@CHECKS.check("client-callback", cognito=True)
def client_callback(facts: Facts, desired: DesiredState) -> str:
    have = need_client(facts).get("CallbackURLs") or []
    want = _join(desired.client.desired()["CallbackURLs"])
    if _missing(desired.client.desired()["CallbackURLs"], have):
        raise fail(
            f"the callback {want} is not among the app client's callback URLs ({_join(have) or 'none'}): "
            "Cognito would answer redirect_mismatch",
            f"{SETUP_HINT} (it sets the callback to {want})",
        )
    return f"callback {want}"


@CHECKS.check("client-read-attributes", cognito=True)
def client_read_attributes(facts: Facts, desired: DesiredState) -> str:
    # Without read permission an attribute is missing from the ID token (docs/cognito.md#who-may-read-an-attribute):
    # the group attribute and every claim the account mapping reads.
    client = need_client(facts)
    return readers.read_attributes(client, need_pool(facts), desired, native=native_groups(desired))


CHECKS.check("client-refresh-token", cognito=True)(refresh_tokens.client_refresh_token)
CHECKS.check("attribute-writers", cognito=True)(writers.attribute_writers)
CHECKS.check("self-sign-up", cognito=True)(writers.self_sign_up)


@CHECKS.check("cognito-domain", cognito=True)
def cognito_domain(facts: Facts, desired: DesiredState) -> str:
    pool = need_pool(facts)
    if facts.domain is None:
        raise fail(
            f"pool {pool['Id']} has no domain, so there is no hosted UI (/oauth2/authorize) to log in with",
            "set [cognito] domain_prefix and run `cognito-privx setup`",
        )
    prefix, desc = facts.domain.prefix, got(facts.domain.description)
    owner = desc.get("UserPoolId")
    if not owner:
        raise fail(f"the domain {prefix!r} does not exist", f"{SETUP_HINT} (it creates the domain)")
    if owner != pool["Id"]:
        raise fail(
            f"the domain {prefix!r} belongs to another user pool ({owner})",
            "choose another [cognito] domain_prefix and run `cognito-privx setup`",
        )
    status = desc.get("Status")
    url = _hosted_ui_url(facts, desired) or prefix
    if status != "ACTIVE":
        if status in ("CREATING", "UPDATING"):
            raise warn(f"{url} is {status}: a new domain takes up to a few minutes", "run doctor again shortly")
        raise fail(f"{url} is {status or 'in an unknown state'}, not ACTIVE", "check the domain in the console")
    return f"{url} is ACTIVE"


@CHECKS.check("managed-login-branding", cognito=True, when=managed_login)
def managed_login_branding(facts: Facts, desired: DesiredState) -> str:
    need_pool(facts)
    need_client(facts)
    branding = got(facts.branding) if facts.branding is not None else Branding.UNSUPPORTED
    if branding is Branding.UNSUPPORTED:
        raise warn("could not verify: this Cognito does not implement managed-login branding")
    if branding is Branding.NOT_FOUND:
        raise fail(
            "the app client has no managed-login branding style: its login pages say 'unavailable'",
            f'{SETUP_HINT} (it creates a style with Cognito\'s defaults), or set hosted_ui = "classic"',
        )
    return "a managed-login branding style exists for the app client"


@CHECKS.check("oidc-discovery", cognito=True)
def oidc_discovery(facts: Facts, desired: DesiredState) -> str:
    pool = need_pool(facts)
    if facts.discovery is None:
        raise skip("skipped: no user pool (see cognito-pool)")
    issuer = desired.pool.issuer(pool["Id"])
    base = facts.endpoint_override
    where = f" (from the endpoint override {base}, as AWS_ENDPOINT_URL asks)" if base else ""
    doc = got(facts.discovery.body)
    if doc.get("issuer") != issuer:
        raise fail(
            f"the discovery document{where} names the issuer {doc.get('issuer')!r}, not {issuer}",
            "check the region and the pool id; PrivX compares the issuer exactly",
        )
    jwks_uri = doc.get("jwks_uri")
    if not isinstance(jwks_uri, str) or facts.jwks is None:
        raise fail(f"the discovery document{where} has no jwks_uri", None)
    keys = got(facts.jwks.body).get("keys")
    if not isinstance(keys, list) or not keys:
        raise fail(f"the JWKS {jwks_uri} holds no keys", None)
    if facts.domain is None:  # AWS serves the document anyway; its authorize endpoint has no sign-in page
        raise fail(
            f"the discovery document answers, but pool {pool['Id']} has no domain: its authorization_endpoint "
            f"{doc.get('authorization_endpoint')} leads to no sign-in page; {cognito.NO_DOMAIN}",
            cognito.NO_DOMAIN_FIX,
        )
    return f"issuer {issuer}{where}; JWKS has {len(keys)} key(s)"


# -- PrivX -------------------------------------------------------------------------------------------------


@CHECKS.check("privx-status")
def privx_status(facts: Facts, desired: DesiredState) -> str:
    status = got(facts.privx_status) or {}
    version = status.get("version") or status.get("app_version") or "(version not given)"
    return f"PrivX {version} answers at {desired.privx_url}"


@CHECKS.check("privx-api")
def privx_api(facts: Facts, desired: DesiredState) -> str:
    if facts.privx_sources is None or isinstance(facts.privx_status, PrivXConnectionError):
        raise skip("skipped: PrivX cannot be reached (see privx-status)")
    return f"the API client can read sources ({got(facts.privx_sources)}) and roles"


@CHECKS.check("privx-directory")
def privx_directory(facts: Facts, desired: DesiredState) -> str:
    _need_api(facts)
    name = desired.directory.name
    directory = got(facts.directory)
    if directory is None:
        raise fail(f"PrivX has no directory named {name!r}", f"{SETUP_HINT} (it creates the directory)")
    kind = _connection(directory).get("type")
    if kind != "OIDC":
        raise fail(
            f"the PrivX directory {name!r} is of type {kind!r}, not OIDC",
            "set [privx] directory_name to a name no other directory uses",
        )
    return f"{name} ({directory.get('id')}) is an OIDC directory"


@CHECKS.check("directory-enabled")
def directory_enabled(facts: Facts, desired: DesiredState) -> str:
    directory = _need_directory(facts)
    switches = (
        ("the directory", directory.get("enabled")),
        ("its OIDC login", _connection(directory).get("oidc_enabled")),
    )
    if off := [what for what, value in switches if value is not True]:
        raise fail(f"{' and '.join(off)} is disabled in PrivX", f"{SETUP_HINT} (it enables the directory)")
    return "the directory and its OIDC login are enabled"


@CHECKS.check("directory-issuer")
def directory_issuer(facts: Facts, desired: DesiredState) -> str:
    have = _connection(_need_directory(facts)).get("oidc_issuer")
    if not isinstance(facts.pool, dict):
        raise skip("skipped: no user pool to compare with (see cognito-pool)")
    want = desired.pool.issuer(facts.pool["Id"])
    source = "the discovery document's issuer" if _discovery(facts, desired) else "the pool's issuer"
    if have != want:
        host = urlsplit(str(have or "")).hostname or ""
        suffix = region_info(desired.pool.region).partition.hosted_ui_domain_suffix
        hosted_ui = host.endswith(f".{suffix}") or (have and have == _hosted_ui_url(facts, desired))
        raise fail(
            f"the directory's issuer is {have!r}, not {want} ({source})"
            + (" — that is the hosted-UI domain, which is not the issuer" if hosted_ui else ""),
            f"{SETUP_HINT} (it sets the issuer to {want})",
        )
    return f"{have} (equals {source})"


@CHECKS.check("directory-client-id")
def directory_client_id(facts: Facts, desired: DesiredState) -> str:
    have = _connection(_need_directory(facts)).get("oidc_client_id")
    want = need_client(facts)["ClientId"]
    if have != want:
        raise fail(
            f"the directory's client id is {have!r}, not the app client {want}",
            f"{SETUP_HINT} (it sets the client id and secret)",
        )
    return f"client id {want}"


@CHECKS.check("directory-tags-attribute")
def directory_tags_attribute(facts: Facts, desired: DesiredState) -> str:
    have = _connection(_need_directory(facts)).get("oidc_tags_attribute_name")
    want = desired.directory.tags_claim
    if have != want:
        raise fail(
            f"the directory takes tags from {have!r}, not {want}: the role rules would match nobody",
            f"{SETUP_HINT} (it sets the tags attribute to {want})",
        )
    return f"tags from {want}"


@CHECKS.check("directory-scopes")
def directory_scopes(facts: Facts, desired: DesiredState) -> str:
    have = _connection(_need_directory(facts)).get("oidc_additional_scopes") or []
    want = desired.directory.additional_scopes
    if sorted(set(have)) != sorted(set(want)):
        raise fail(
            f"the directory asks for the scopes {_join(have) or 'none'}, the config says {_join(want) or 'none'}",
            f"{SETUP_HINT} (it sets the directory's scopes to [privx] additional_scopes)",
        )
    return f"openid + {_join(want) or 'nothing more'}"


@CHECKS.check_each("role", over=lambda desired: sorted((g.group, g) for g in desired.grants))
def role(facts: Facts, desired: DesiredState, grant: Grant) -> str:
    directory = _need_directory(facts)
    role = (got(facts.roles) or {}).get(grant.role)
    if role is None:
        raise fail(
            f"PrivX has no role {grant.role!r} for the group {grant.group!r}", f"{SETUP_HINT} (it creates the role)"
        )
    if not privx.has_rule(role, str(directory["id"]), grant.search_string):
        leaf = privx.role_rule(str(directory["id"]), grant.search_string)
        raise fail(
            f"role {grant.role!r} has no rule for tag {grant.group!r} of directory {directory['id']} "
            f"({json.dumps(leaf)})",
            f"{SETUP_HINT} (it adds the rule and keeps the role's other rules)",
        )
    return f"group {grant.group} → role {grant.role}"


@CHECKS.check("role-rule-form", when=lambda desired: bool(desired.grants))
def role_rule_form(facts: Facts, desired: DesiredState) -> str:
    """The configured rule form (``[privx] rule_template``) matches a real user of the directory; when another
    form does and it does not, fail with the line to set (docs/privx-api.md#role-rules)."""
    _need_directory(facts)
    if isinstance(facts.calibration, PrivXPermissionError | PrivXNotFoundError):
        raise warn(
            f"could not verify the rule form: {facts.calibration.message}",
            "give the API client's PrivX role users-view, so doctor can read the directory's users",
        )
    calibration = got(facts.calibration)
    if calibration is None:
        raise skip("skipped: no OIDC directory (see privx-directory)")
    if calibration.user is None:
        raise warn(
            "could not verify the rule form: the directory has no user in PrivX yet (an OIDC user appears at the "
            "first login)",
            "log in once through the direct-login URL, then run doctor again",
        )
    configured, *others = calibration.forms
    who = f"{calibration.user} (tag {calibration.tag!r})"
    if configured.matches:
        return f"{configured.search_string} matches {who}"
    working = next((f for f in others if f.matches), None)
    why = f"PrivX refused it: {configured.refused}" if configured.refused else "it matches nobody"
    if working is not None:
        raise fail(
            f"the configured rule form {configured.search_string} does not match {who} ({why}); "
            f"{working.search_string} does",
            f'set [privx] rule_template = "{working.template}", then run `cognito-privx setup` (it re-writes the '
            "rules)",
        )
    if configured.matches is None:
        raise warn("could not verify the rule form: PrivX's roles/evaluate gave no answer")
    raise fail(
        f"no known rule form matches {who}: {', '.join(f.search_string for f in calibration.forms)}",
        "check the role rules PrivX's UI writes for this directory, and set [privx] rule_template to that form",
    )


CHECKS.check("account-mapping", when=lambda desired: bool(desired.directory.account_mapping))(mapping.account_mapping)


@CHECKS.check("direct-login-url")
def direct_login_url(facts: Facts, desired: DesiredState) -> str:
    """The configured direct-login URL leads to Cognito with our client id and callback; when it does not but
    another candidate does, say which setting to use (docs/privx-api.md#direct-login-url)."""
    _need_directory(facts)
    client_id = need_client(facts)["ClientId"]
    if facts.domain is None:
        raise fail(f"the pool has no domain: {cognito.NO_DOMAIN}", cognito.NO_DOMAIN_FIX)
    if not facts.login:
        raise skip("skipped: no OIDC directory (see privx-directory)")
    configured, *others = facts.login
    callback = desired.client.callback_url
    problems = configured.problems(client_id, callback)
    if problems:
        working = next((p for p in others if not p.problems(client_id, callback)), None)
        if working is not None:
            raise fail(
                f"{configured.url}: {'; '.join(problems)}; {working.url} leads to Cognito",
                f"set {directlogin.setting_for(working.template)}",
            )
        hint = "compare [privx] login_url_template with the Direct Login URL in the PrivX directory's settings"
        moved = directlogin.public_url_hint(directlogin.redirect_uri_of(configured.location or ""), callback)
        if moved is not None:
            raise fail(f"{configured.url}: {'; '.join(problems)}", moved)
        if configured.error or not configured.location:
            raise warn(f"could not verify {configured.url}: {'; '.join(problems)}", hint)
        raise fail(f"{configured.url}: {'; '.join(problems)}", hint)
    base = configured.target
    hosted_ui = _hosted_ui_url(facts, desired)
    expected = (_discovery(facts, desired) or {}).get("authorization_endpoint")
    if not expected and hosted_ui:
        expected = f"{hosted_ui}/oauth2/authorize"
    if expected != base:
        raise warn(
            f"{configured.url} redirects to {base} with our client id and callback, but the hosted UI's authorize "
            f"endpoint is {expected or 'unknown'}: could not confirm the host",
            "check the directory's issuer and the pool's domain" if expected else None,
        )
    return f"{configured.url} → {base} with our client id and callback"
