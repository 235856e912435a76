"""The user pool: what we send (create and full update parameters), which pool is ours (our tag, adopted pools,
a pinned pool id), finding, ensuring and deleting it, and settling a pool two concurrent runs created."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NewType

from cognito_privx.cognito.ensure import UNSET, Unset, plain, with_unstuck
from cognito_privx.cognito.exposure import SIGN_UP_FIELD
from cognito_privx.cognito.races import NEVER, age_key, created_at, settled
from cognito_privx.cognito.tiers import default_tier
from cognito_privx.cognito.usernames import username_model
from cognito_privx.config import MANAGED_TAG_KEY, MANAGED_TAG_VALUE
from cognito_privx.desired import ADOPTED_TAG_KEY, ADOPTED_TAG_VALUE, AttributeSpec, PoolSpec
from cognito_privx.errors import (
    AmbiguousResourceError,
    CognitoError,
    ConfigError,
    ConflictError,
    ForeignResourceError,
    aws_error_code,
)
from cognito_privx.plan import Action, Change, change_for, diff_fields

if TYPE_CHECKING:  # types-boto3-cognito-idp, a dev dependency: type checking only, never imported at run time
    from types_boto3_cognito_idp.type_defs import UserPoolDescriptionTypeTypeDef, UserPoolTypeTypeDef

    from cognito_privx.cognito.gateway import CognitoGateway

UserPoolId = NewType("UserPoolId", str)

# The parameters UpdateUserPool accepts. Anything else that DescribeUserPool returns is read-only.
_POOL_UPDATE_KEYS = (
    "Policies",
    "DeletionProtection",
    "LambdaConfig",
    "AutoVerifiedAttributes",
    "SmsVerificationMessage",
    "EmailVerificationMessage",
    "EmailVerificationSubject",
    "VerificationMessageTemplate",
    "SmsAuthenticationMessage",
    "UserAttributeUpdateSettings",
    "MfaConfiguration",
    "DeviceConfiguration",
    "EmailConfiguration",
    "SmsConfiguration",
    "UserPoolTags",
    "AdminCreateUserConfig",
    "UserPoolAddOns",
    "AccountRecoverySetting",
    "PoolName",
    "UserPoolTier",
    "AcrConfiguration",
    "DcrConfiguration",
    "IssuerConfiguration",
    "KeyConfiguration",
)


def pool_create_params(spec: PoolSpec, attribute: AttributeSpec) -> dict[str, Any]:
    """CreateUserPool parameters: email as the case-insensitive user name, admin-only sign-up, our tags."""
    return {
        "PoolName": spec.name,
        "UsernameAttributes": ["email"],
        "UsernameConfiguration": {"CaseSensitive": False},
        "AutoVerifiedAttributes": ["email"],
        "Schema": [attribute.schema()],
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": spec.admin_only_sign_up is not False},
        "AccountRecoverySetting": {"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
        "UserPoolTier": spec.tier or default_tier(),  # AWS's own default, from botocore's model
        "DeletionProtection": "ACTIVE" if spec.deletion_protection else "INACTIVE",
        "UserPoolTags": spec.pool_tags,
        **({"Policies": {"PasswordPolicy": dict(spec.password_policy)}} if spec.password_policy is not None else {}),
    }


def pool_managed_fields(spec: PoolSpec, current: UserPoolTypeTypeDef, *, adopt: bool = False) -> dict[str, object]:
    """The pool fields we converge on an existing pool (only those the description carries).

    A pool that is not ours yet (``adopt``) also gets the adopted tag, so teardown never deletes it.
    """
    tags = {**(current.get("UserPoolTags") or {}), **spec.pool_tags}
    if adopt and not is_ours(current):
        tags[ADOPTED_TAG_KEY] = ADOPTED_TAG_VALUE
    desired: dict[str, object] = {
        # Tags: ours must be present; tags someone else set are kept.
        "UserPoolTags": tags,
    }
    # AWS always describes DeletionProtection; an endpoint that does not (cognito-local 5.3) gets it at create
    # only: an update could never be seen to stick (ensure_pool says it was not checked).
    if "DeletionProtection" in current:
        desired["DeletionProtection"] = "ACTIVE" if spec.deletion_protection else "INACTIVE"
    # Never "update" a field we cannot observe (cognito-local describes no UserPoolTier); unset: the pool's own.
    if "UserPoolTier" in current and spec.tier is not None:
        desired["UserPoolTier"] = spec.tier
    admin_only = wanted_admin_only(spec, current, adopt=adopt)
    if admin_only is not None:
        # Shown and compared as the one flag (SIGN_UP_FIELD); sent as the whole AdminCreateUserConfig.
        desired[SIGN_UP_FIELD] = admin_only
    if spec.password_policy is not None:
        # Ours laid over the pool's policy (PasswordHistorySize and the like are kept).
        policies: dict[str, Any] = dict(current.get("Policies") or {})
        have: dict[str, Any] = dict(policies.get("PasswordPolicy") or {})
        policies["PasswordPolicy"] = {**have, **dict(spec.password_policy)}
        desired["Policies"] = policies
    return desired


def wanted_admin_only(spec: PoolSpec, current: UserPoolTypeTypeDef, *, adopt: bool = False) -> bool | None:
    """``AllowAdminCreateUserOnly`` as setup converges it: the config's ``admin_only_sign_up`` when set; unset,
    on for a pool of ours that was not adopted (we created it admin-only), and ``None`` (left alone) for an
    adopted one or one being adopted."""
    if spec.admin_only_sign_up is not None:
        return spec.admin_only_sign_up
    if (adopt and not is_ours(current)) or is_adopted(current):
        return None
    return True


def flat_view(pool: Mapping[str, Any]) -> dict[str, Any]:
    """The described pool with ``AdminCreateUserConfig.AllowAdminCreateUserOnly`` as a field of its own
    (:data:`SIGN_UP_FIELD`), so that plan shows that one flag before → after."""
    acu = pool.get("AdminCreateUserConfig") or {}
    return {**pool, SIGN_UP_FIELD: bool(acu.get("AllowAdminCreateUserOnly", False))}


def _unflatten(current: Mapping[str, Any], changes: dict[str, object]) -> dict[str, object]:
    if SIGN_UP_FIELD not in changes:
        return changes
    changes = dict(changes)
    flag = changes.pop(SIGN_UP_FIELD)
    changes["AdminCreateUserConfig"] = {
        **(current.get("AdminCreateUserConfig") or {}),
        "AllowAdminCreateUserOnly": flag,
    }
    return changes


def pool_update_params(
    current: Mapping[str, object], changes: Mapping[str, object], keys: Iterable[str] = ()
) -> dict[str, Any]:
    """Full UpdateUserPool parameters: every updatable field of ``current`` with ``changes`` over it.

    UpdateUserPool resets every field it is not given (AWS docs; boto3 #1607), so nothing may be left out.
    ``keys`` adds parameter names from the installed botocore model, so fields AWS adds later are kept too.
    """
    params: dict[str, Any] = {"UserPoolId": current["Id"]}
    for key in dict.fromkeys((*_POOL_UPDATE_KEYS, *keys)):
        if key in current and key != "PoolName":
            params[key] = current[key]
    params.update(changes)
    # DescribeUserPool echoes the deprecated UnusedAccountValidityDays next to the password policy's
    # TemporaryPasswordValidityDays; AWS refuses an update that carries both.
    acu = params.get("AdminCreateUserConfig")
    if isinstance(acu, dict) and "UnusedAccountValidityDays" in acu:
        temp_days = (params.get("Policies") or {}).get("PasswordPolicy", {}).get("TemporaryPasswordValidityDays")
        if temp_days is not None:
            params["AdminCreateUserConfig"] = {k: v for k, v in acu.items() if k != "UnusedAccountValidityDays"}
    # The legacy verification fields duplicate VerificationMessageTemplate; sending both may conflict.
    if "VerificationMessageTemplate" in params:
        for legacy in ("EmailVerificationMessage", "EmailVerificationSubject", "SmsVerificationMessage"):
            params.pop(legacy, None)
    return params


def is_ours(pool: UserPoolTypeTypeDef) -> bool:
    """Whether a described pool carries ``managed-by=cognito-privx``."""
    return (pool.get("UserPoolTags") or {}).get(MANAGED_TAG_KEY) == MANAGED_TAG_VALUE


def is_adopted(pool: UserPoolTypeTypeDef) -> bool:
    """Whether the pool was taken over with ``setup --adopt`` (teardown never deletes it unasked)."""
    return (pool.get("UserPoolTags") or {}).get(ADOPTED_TAG_KEY) == ADOPTED_TAG_VALUE


def _pool_line(pool: UserPoolTypeTypeDef) -> str:
    when = created_at(pool)
    created = when.strftime("%Y-%m-%d %H:%M:%S UTC") if when is not NEVER else "unknown date"
    return f"{pool['Id']} (created {created}, {pool.get('EstimatedNumberOfUsers', 0)} user(s))"


def check_adoptable(pool: UserPoolTypeTypeDef) -> None:
    """Raise :class:`ConflictError` unless the pool's users sign in with their email, case-insensitively (the
    PrivX guide's pool; AWS can never change a pool's username model)."""
    problem = username_model(pool).unsuitable_reason()
    if problem:
        raise ConflictError(
            f"pool {pool.get('Id')} cannot be adopted: {problem}",
            "AWS cannot change a pool's username model; let cognito-privx create a new pool "
            "(choose another [cognito] pool_name)",
        )


def find_our_pool(
    gw: CognitoGateway,
    spec: PoolSpec,
    *,
    adopt: bool = False,
    listed: list[UserPoolDescriptionTypeTypeDef] | None = None,
) -> UserPoolTypeTypeDef | None:
    """Our pool, described; ``None`` when there is none. ``listed``: the account's pools as this run already
    listed them (:meth:`CognitoGateway.user_pools`): the first look uses it; a race still lists again.

    With ``spec.pool_id`` that pool (it must exist, carry the name and be ours, or ``adopt``). Otherwise the
    pool named ``spec.name`` that carries our tag. Raises :class:`AmbiguousResourceError` when several do and
    they are not a race (each listed with id, creation date and user count), :class:`ForeignResourceError` for
    a same-named pool that is not ours (unless ``adopt``), :class:`ConflictError` when an adopted pool's users
    do not sign in with their email case-insensitively.
    """
    name = spec.name
    if spec.pool_id:
        try:
            pinned = gw.describe_pool(spec.pool_id)
        except CognitoError as e:
            if aws_error_code(e) != "ResourceNotFoundException":
                raise
            raise ConfigError(
                f"[cognito] pool_id {spec.pool_id} does not exist in {spec.region}",
                "check pool_id / --pool-id and the region, or remove pool_id to find the pool by name",
            ) from None
        if pinned.get("Name") != name:
            raise ConfigError(
                f"[cognito] pool_id {spec.pool_id} is named {pinned.get('Name')!r}, not {name!r}",
                "set [cognito] pool_name to the pool's name, or fix pool_id",
            )
        if not is_ours(pinned):
            if not adopt:
                raise ForeignResourceError(
                    f"user pool {spec.pool_id} ({name!r}) was not created by cognito-privx",
                    "pass --adopt to tag that pool and manage it",
                )
            check_adoptable(pinned)
        return pinned
    matches: list[UserPoolTypeTypeDef] = []

    def look() -> list[UserPoolTypeTypeDef]:
        nonlocal matches, listed
        matches, listed = gw.pools_named(name, listed), None
        return [p for p in matches if is_ours(p)]

    ours = settled(gw, look, "Id")
    if len(ours) > 1:
        listing = "; ".join(_pool_line(p) for p in sorted(ours, key=age_key))
        raise AmbiguousResourceError(
            f"{len(ours)} user pools named {name!r} carry the tag {MANAGED_TAG_KEY}={MANAGED_TAG_VALUE}: {listing}",
            "set [cognito] pool_id (or pass --pool-id) to the one to manage; delete the others or remove their tag",
        )
    if ours:
        return ours[0]
    if not matches:
        return None
    if adopt and len(matches) == 1:
        check_adoptable(matches[0])
        return matches[0]
    listing = "; ".join(_pool_line(p) for p in sorted(matches, key=age_key))
    if adopt:
        raise AmbiguousResourceError(
            f"{len(matches)} user pools are named {name!r}: {listing}; cannot choose one to adopt",
            "set [cognito] pool_id (or pass --pool-id) to the one to adopt",
        )
    raise ForeignResourceError(
        f"a user pool named {name!r} exists ({listing}) but was not created by cognito-privx",
        "choose another [cognito] pool_name, or pass --adopt to tag that pool and manage it",
    )


def delete_pool(gw: CognitoGateway, pool: UserPoolTypeTypeDef) -> None:
    """Delete a pool (its domain must be gone), switching deletion protection off first when it is on."""
    if pool.get("DeletionProtection") == "ACTIVE":
        keys = gw.input_members("update_user_pool")
        gw.call("update_user_pool", **pool_update_params(pool, {"DeletionProtection": "INACTIVE"}, keys))
    gw.call("delete_user_pool", UserPoolId=pool["Id"])


def _settle_pool_race(
    gw: CognitoGateway, spec: PoolSpec, created: UserPoolTypeTypeDef
) -> tuple[UserPoolTypeTypeDef, str]:
    """Look again after creating a pool: when a concurrent run made one too, the older wins and ours (just
    made, still empty) is deleted. Returns the pool to carry on with and a note ("" when there was no race)."""
    ours = [p for p in gw.pools_named(spec.name) if is_ours(p)]
    if len(ours) < 2:
        return created, ""
    winner = min(ours, key=age_key)
    if winner["Id"] == created["Id"]:
        return created, ""
    delete_pool(gw, created)
    return (
        winner,
        f"a concurrent run created pool {winner['Id']} first; the one this run made ({created['Id']}) was deleted",
    )


@dataclass(frozen=True)
class PoolState:
    change: Change
    pool: UserPoolTypeTypeDef | None  # None only in a dry run that would create it

    @property
    def pool_id(self) -> UserPoolId | None:
        return UserPoolId(self.pool["Id"]) if self.pool else None


def ensure_pool(
    gw: CognitoGateway,
    spec: PoolSpec,
    attribute: AttributeSpec,
    *,
    dry_run: bool,
    adopt: bool = False,
    current: UserPoolTypeTypeDef | Unset | None = UNSET,
) -> PoolState:
    """Create the pool (with the attribute in its schema) or converge an existing one. After a create, a pool
    made at the same time by a concurrent run is settled: the older wins (see :func:`_settle_pool_race`)."""
    name = spec.name
    if isinstance(current, Unset):
        current = find_our_pool(gw, spec, adopt=adopt)
    if current is None:
        params = pool_create_params(spec, attribute)
        shown = {k: params[k] for k in ("UserPoolTier", "DeletionProtection", "UserPoolTags")}
        change = change_for("cognito user pool", name, None, {"UsernameAttributes": ["email"], **shown})
        if dry_run:
            return PoolState(change, None)
        # Born with the run lock's tag (gw.pool_birth_tags, not shown): no other run can take the new pool first.
        born = {**params, "UserPoolTags": {**params["UserPoolTags"], **gw.pool_birth_tags}}
        if gw.pool_birth_tags:
            gw.pools_born.append(None)  # under way: a run that stops here has its pool found by name
        created = gw.create_once("create_user_pool", "UserPool", lambda: plain(find_our_pool(gw, spec)), **born)
        if gw.pool_birth_tags:
            gw.pools_born[-1] = str(created["Id"])
        pool, note = _settle_pool_race(gw, spec, gw.describe_pool(created["Id"]))
        if note:
            change = Change(change.resource, change.name, Action.NOOP, notes=(note,))
        return PoolState(change, pool)

    desired = pool_managed_fields(spec, current, adopt=adopt)
    fields = diff_fields(flat_view(current), desired)
    notes: tuple[str, ...] = ()
    if "DeletionProtection" not in current:
        notes = ("warning: DeletionProtection could not be checked: this endpoint does not describe it",)
    if not is_ours(current):
        notes += (
            f"adopting pool {current['Id']}: it gets the tags {MANAGED_TAG_KEY}={MANAGED_TAG_VALUE} and "
            f"{ADOPTED_TAG_KEY}={ADOPTED_TAG_VALUE} (teardown keeps an adopted pool and its users)",
        )
    change = Change("cognito user pool", name, Action.UPDATE if fields else Action.NOOP, fields, notes)
    if not fields or dry_run:
        return PoolState(change, current)
    keys = gw.input_members("update_user_pool")
    changes = _unflatten(current, {f.field: f.after for f in fields})
    gw.call("update_user_pool", **pool_update_params(current, changes, keys))
    after = gw.describe_pool(current["Id"])
    return PoolState(with_unstuck(change, flat_view(after), desired), after)
