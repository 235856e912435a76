"""The pool's custom group attribute: added when missing, checked for type and mutability (Cognito can never
change or remove a custom attribute)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cognito_privx.cognito.ensure import plain
from cognito_privx.desired import AttributeSpec
from cognito_privx.errors import CognitoError, ConflictError
from cognito_privx.plan import Action, Change, change_for, diff_fields

if TYPE_CHECKING:  # types-boto3-cognito-idp, a dev dependency: type checking only, never imported at run time
    from types_boto3_cognito_idp.type_defs import SchemaAttributeTypeTypeDef, UserPoolTypeTypeDef

    from cognito_privx.cognito.gateway import CognitoGateway
    from cognito_privx.cognito.pool import PoolState


def ensure_attribute(gw: CognitoGateway, spec: AttributeSpec, pool: PoolState, *, dry_run: bool) -> Change:
    attr = spec.attribute_name
    wanted = {"AttributeDataType": "String", "Mutable": True}
    if pool.change.action is Action.CREATE:
        # CreateUserPool carries the attribute in its schema: no call of its own.
        return change_for("cognito custom attribute", attr, None, wanted, notes=("created with the pool",))
    assert pool.pool is not None
    if check_attribute(spec, pool.pool) is None:
        change = change_for("cognito custom attribute", attr, None, wanted)
        if not dry_run:
            pool_id = pool.pool["Id"]
            try:
                gw.create_once(
                    "add_custom_attributes",
                    None,
                    lambda: plain(check_attribute(spec, gw.describe_pool(pool_id))),
                    UserPoolId=pool_id,
                    CustomAttributes=[spec.schema()],
                )
            except CognitoError:
                # A concurrent run may have added it a moment ago ("Existing attribute already has name").
                if check_attribute(spec, gw.describe_pool(pool_id)) is None:
                    raise
        return change
    return Change("cognito custom attribute", attr, Action.NOOP)


def check_attribute(spec: AttributeSpec, pool: UserPoolTypeTypeDef | None) -> SchemaAttributeTypeTypeDef | None:
    """The pool's group attribute, ``None`` if missing; raises when it exists with the wrong type or mutability."""
    attr = spec.attribute_name
    found: SchemaAttributeTypeTypeDef | None = next(
        (a for a in (pool or {}).get("SchemaAttributes", []) if a.get("Name") == attr), None
    )
    if found is None:
        return None
    wrong = diff_fields(found, {"AttributeDataType": "String", "Mutable": True})
    if wrong:
        what = ", ".join(f"{f.field} is {f.before!r}" for f in wrong)
        raise ConflictError(
            f"the pool's attribute {attr} exists but {what} (need String, mutable); Cognito can never change "
            "or remove a custom attribute",
            "set [cognito] group_attribute to a new name (for example 'privx_group')",
        )
    # An adopted pool's attribute may be shorter than a group name (StringAttributeConstraints.MaxLength, botocore:
    # "The maximum length of a string attribute value"): AWS would refuse that group at every user write.
    limit = (found.get("StringAttributeConstraints") or {}).get("MaxLength")
    longer = [g for g in spec.groups if limit is not None and str(limit).isdigit() and len(g) > int(limit)]
    if longer:
        named = ", ".join(f"{g!r} ({len(g)} characters)" for g in longer)
        raise ConflictError(
            f"the pool's attribute {attr} holds at most {limit} characters (MaxLength {limit}), shorter than the "
            f"[roles] group(s) {named}: no user could be put in them",
            "Cognito can never change a custom attribute: use shorter [roles] group names, or set [cognito] "
            "group_attribute to a new name (setup creates it with MaxLength 2048)",
        )
    return found
