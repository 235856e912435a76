"""Changing some of a pool's tags, on endpoints with and without the tag calls
(docs/reliability.md#endpoints-that-lack-a-newer-call).

AWS: ``TagResource`` adds or overwrites only the keys it is given, ``UntagResource`` removes only the keys it is
given; every other tag is left as it is (cognito-idp API reference). An endpoint without them (cognito-local 5.3:
``TagResource`` and ``UntagResource`` are ❌ in its README's feature table, while its ``CreateUserPool`` keeps
``UserPoolTags``, ``DescribeUserPool`` returns them and ``UpdateUserPool`` sets them) gets the whole tag set through
``UpdateUserPool``, with every other pool field as described. That write is not atomic per key: a tag another run
wrote between our read and our write would be lost. Such an endpoint has no run lock either (reconcile/lock.py),
which is said once per run. IAM denying a tag call is not "unsupported": it is raised, naming the action.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from cognito_privx.cognito.availability import why_unavailable
from cognito_privx.cognito.pool import pool_update_params
from cognito_privx.errors import CognitoError

if TYPE_CHECKING:  # types-boto3-cognito-idp: type checking only
    from types_boto3_cognito_idp.type_defs import UserPoolTypeTypeDef

    from cognito_privx.cognito.gateway import CognitoGateway


def retag_pool(
    gw: CognitoGateway,
    pool_id: str,
    add: Mapping[str, str] | None = None,
    remove: Iterable[str] | Callable[[str], bool] = (),
) -> UserPoolTypeTypeDef:
    """Set the tags ``add`` and remove the keys ``remove`` (or the keys it says yes to) on the pool; returns the
    pool described after. The pool is described first, for its ARN, its tags and, without the tag calls, its other
    fields.

    Raises :class:`~cognito_privx.errors.CognitoError` as the calls do (IAM denial names ``cognito-idp:TagResource``
    or ``UntagResource``).
    """
    current = gw.describe_pool(pool_id)
    arn = str(current["Arn"])
    have = dict(current.get("UserPoolTags") or {})
    drop = remove if callable(remove) else set(remove).__contains__
    gone = sorted(k for k in have if drop(k) and k not in (add or {}))
    try:
        if gone:
            gw.call("untag_resource", ResourceArn=arn, TagKeys=gone)
        if add:
            gw.call("tag_resource", ResourceArn=arn, Tags=dict(add))
    except CognitoError as e:
        if why_unavailable(e) != "unsupported":
            raise
        want = {k: v for k, v in {**have, **(add or {})}.items() if k not in gone}
        if want != have:
            keys = gw.input_members("update_user_pool")
            gw.call("update_user_pool", **pool_update_params(current, {"UserPoolTags": want}, keys))
    return gw.describe_pool(pool_id)


__all__ = ["retag_pool"]
