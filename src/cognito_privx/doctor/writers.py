"""The checks that nobody but an administrator can change a user's group (registered in :mod:`.checks`, after
the app-client checks): no app client of the pool lets a user write an attribute the grants read, and nobody can
sign up while the group is such an attribute. Pure functions over the facts, like every check.

docs/security.md#who-may-change-a-group.
"""

from __future__ import annotations

from cognito_privx import cognito
from cognito_privx.desired import DesiredState
from cognito_privx.doctor.facts import Facts, Failed
from cognito_privx.doctor.registry import fail, got, skip, warn


def _pool(facts: Facts) -> dict[str, object]:
    if facts.pool is None or isinstance(facts.pool, Failed):
        raise skip("skipped: no user pool (see cognito-pool)")
    return dict(facts.pool)


def attribute_writers(facts: Facts, desired: DesiredState) -> str:
    """Every app client of the pool (ours and other apps'): none may let a user write a protected attribute,
    explicitly or with WriteAttributes unset (a default AWS may read as every attribute)."""
    _pool(facts)
    if facts.clients is None:
        raise skip("skipped: no user pool (see cognito-pool)")
    clients = got(facts.clients)
    protected = desired.client.protected_attributes
    if not protected:
        return f"the grants read no user attribute ({desired.directory.tags_claim}); {len(clients)} app client(s)"
    paths = [p for c in clients if (p := cognito.writer_path(c, protected)) is not None]
    if paths:
        ours = {str(c.get("ClientId")) for c in clients if c.get("ClientName") == desired.client.name}
        fixes = "; ".join(
            "run `cognito-privx setup` (it narrows our client's WriteAttributes)" if p.client_id in ours else p.hint
            for p in paths
        )
        raise fail("; ".join(p.message for p in paths), fixes)
    return f"none of the pool's {len(clients)} app client(s) lets a user write {', '.join(protected)}"


def self_sign_up(facts: Facts, desired: DesiredState) -> str:
    """Self sign-up is a failure while the group is an attribute a stranger could set when signing up; with
    native groups (only administrators change them) a warning: a stranger gets an account, but no role."""
    pool = _pool(facts)
    if not cognito.sign_up_open(pool):
        return "only administrators create users (AllowAdminCreateUserOnly)"
    if desired.directory.tags_claim in desired.client.protected_attributes:
        (path,) = cognito.open_paths(pool, (), (), sign_up_matters=True)
        raise fail(path.message, path.hint)
    raise warn(
        f"pool {pool.get('Id')} allows self sign-up: anyone can make an account (it gets no role: the group is "
        f"{desired.directory.tags_claim}, which only administrators change)",
        "set [cognito] admin_only_sign_up = true and run `cognito-privx setup`",
    )
