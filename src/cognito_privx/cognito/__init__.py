"""Amazon Cognito: a typed gateway over one boto3 client, and the ensure steps for setup.

Every ``ensure_*`` follows the ensure contract (ARCHITECTURE.md#the-ensure-contract): observe, diff (pure), act
unless dry-run (updates merge over the *full* described object, because Cognito resets what an update omits), report a
:class:`~cognito_privx.plan.Change`.

Where moto differs from AWS (``docs/cognito.md#where-moto-differs-from-aws``), the code follows AWS and says so.

One module per resource or concern:

- :mod:`~cognito_privx.cognito.gateway`: ``CognitoGateway``, the one place that calls boto3; error translation
  (credentials, access, throttling); listings paged by botocore's paginator model.
- :mod:`~cognito_privx.cognito.races`: concurrent runs (the race window, ``age_key``, ``is_race``, ``settled``),
  shared by the pool and the app client.
- :mod:`~cognito_privx.cognito.ensure`: what the ensure steps share (``UNSET``, the read-back note, deletes where
  "already gone" is fine).
- :mod:`~cognito_privx.cognito.pool`: the user pool (parameters, ownership and adoption, find, ensure, delete).
- :mod:`~cognito_privx.cognito.attribute`: the pool's custom group attribute.
- :mod:`~cognito_privx.cognito.client`: the app client (parameters, find, ensure, delete).
- :mod:`~cognito_privx.cognito.exposure`: who besides an administrator could change a user's group (app clients
  that let a user write a protected attribute, self sign-up): read by doctor and ``setup --adopt``.
- :mod:`~cognito_privx.cognito.secrets`: the app client's secrets (list, age, add, delete).
- :mod:`~cognito_privx.cognito.domain`: the hosted-UI prefix domain (URL, observe, ensure, delete).
- :mod:`~cognito_privx.cognito.branding`: the app client's managed-login branding.
- :mod:`~cognito_privx.cognito.groups`: the pool's native groups for ``[roles]``.
- :mod:`~cognito_privx.cognito.mfa`: the pool's MFA.
- :mod:`~cognito_privx.cognito.usernames`: a pool's username model (what users sign in with, whether case matters).

This package's names are its public face: callers outside it write ``cognito.ensure_pool(...)``; inside it,
modules import each other directly (never through this file, so there is no circle).
"""

from cognito_privx.cognito.attribute import check_attribute, ensure_attribute
from cognito_privx.cognito.availability import UnsupportedCallError, unavailable_note, why_unavailable
from cognito_privx.cognito.blockers import import_jobs_block, running_import_jobs
from cognito_privx.cognito.branding import BRANDING, delete_branding, ensure_branding, find_branding, observe_branding
from cognito_privx.cognito.client import (
    CLIENT_SUPERSET_FIELDS,
    READ_UNSET_NOTE,
    ClientId,
    ClientState,
    attribute_names,
    client_create_params,
    client_update_params,
    delete_client,
    ensure_client,
    find_client,
    required_attributes,
    rotation_note,
)
from cognito_privx.cognito.domain import (
    NO_DOMAIN,
    NO_DOMAIN_FIX,
    DomainObservation,
    delete_domain,
    domain_taken_error,
    domain_url,
    ensure_domain,
    observe_domain,
)
from cognito_privx.cognito.ensure import UNSET
from cognito_privx.cognito.exposure import (
    SIGN_UP_FIELD,
    OpenPath,
    described_clients,
    may_write,
    open_paths,
    sign_up_open,
    writer_path,
)
from cognito_privx.cognito.gateway import NON_IDEMPOTENT, CognitoGateway, endpoint_override
from cognito_privx.cognito.groups import (
    GROUP_DESCRIPTION,
    delete_group,
    ensure_groups,
    group_is_empty,
    is_our_group,
    list_groups,
)
from cognito_privx.cognito.mfa import MFA_OF_NEW_POOL, check_mfa_methods, ensure_mfa, mfa_set_params, mfa_view
from cognito_privx.cognito.pool import (
    PoolState,
    UserPoolId,
    check_adoptable,
    delete_pool,
    ensure_pool,
    find_our_pool,
    is_adopted,
    is_ours,
    pool_create_params,
    pool_managed_fields,
    pool_update_params,
    wanted_admin_only,
)
from cognito_privx.cognito.races import RACE_POLL_S, RACE_SETTLE_S, RACE_WINDOW, age_key, is_race, settled
from cognito_privx.cognito.record import (
    CREATING,
    RECORD_RESOURCE,
    PoolRecord,
    derive_record,
    is_our_tag,
    record_change,
    write_record,
)
from cognito_privx.cognito.secrets import (
    ClientSecret,
    add_secret,
    delete_secret,
    list_secrets,
    secret_age_days,
    secret_age_seconds,
)
from cognito_privx.cognito.tiers import check_tier, default_tier, effective_tier

__all__ = [
    "BRANDING",
    "CLIENT_SUPERSET_FIELDS",
    "CREATING",
    "GROUP_DESCRIPTION",
    "MFA_OF_NEW_POOL",
    "NON_IDEMPOTENT",
    "NO_DOMAIN",
    "NO_DOMAIN_FIX",
    "RACE_POLL_S",
    "RACE_SETTLE_S",
    "RACE_WINDOW",
    "READ_UNSET_NOTE",
    "RECORD_RESOURCE",
    "SIGN_UP_FIELD",
    "UNSET",
    "ClientId",
    "ClientSecret",
    "ClientState",
    "CognitoGateway",
    "DomainObservation",
    "OpenPath",
    "PoolRecord",
    "PoolState",
    "UnsupportedCallError",
    "UserPoolId",
    "add_secret",
    "age_key",
    "attribute_names",
    "check_adoptable",
    "check_attribute",
    "check_mfa_methods",
    "check_tier",
    "client_create_params",
    "client_update_params",
    "default_tier",
    "delete_branding",
    "delete_client",
    "delete_domain",
    "delete_group",
    "delete_pool",
    "delete_secret",
    "derive_record",
    "described_clients",
    "domain_taken_error",
    "domain_url",
    "effective_tier",
    "endpoint_override",
    "ensure_attribute",
    "ensure_branding",
    "ensure_client",
    "ensure_domain",
    "ensure_groups",
    "ensure_mfa",
    "ensure_pool",
    "find_branding",
    "find_client",
    "find_our_pool",
    "group_is_empty",
    "import_jobs_block",
    "is_adopted",
    "is_our_group",
    "is_our_tag",
    "is_ours",
    "is_race",
    "list_groups",
    "list_secrets",
    "may_write",
    "mfa_set_params",
    "mfa_view",
    "observe_branding",
    "observe_domain",
    "open_paths",
    "pool_create_params",
    "pool_managed_fields",
    "pool_update_params",
    "record_change",
    "required_attributes",
    "rotation_note",
    "running_import_jobs",
    "secret_age_days",
    "secret_age_seconds",
    "settled",
    "sign_up_open",
    "unavailable_note",
    "wanted_admin_only",
    "why_unavailable",
    "write_record",
    "writer_path",
]
