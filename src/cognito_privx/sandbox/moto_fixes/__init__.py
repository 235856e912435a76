"""Small patches that make moto's Cognito as strict and as faithful as AWS where cognito-privx depends on it.

Written against moto 5.2.5 (``moto/cognitoidp/models.py``; line numbers below are that file's) and botocore
1.44's service model (``botocore/data/cognito-idp/2016-04-18/service-2.json.gz``). :func:`apply` wraps moto's model
methods in place, once per process, keeping moto's behaviour otherwise:

1. :func:`.corrections.fix_client_dates`: app clients get ``CreationDate`` and ``LastModifiedDate``.
2. :func:`.corrections.fix_create_only_pool_settings`: ``UpdateUserPool`` keeps ``UsernameAttributes``,
   ``UsernameConfiguration`` and ``AliasAttributes``.
3. :func:`.corrections.fix_case_insensitive_names`: a pool with ``UsernameConfiguration={"CaseSensitive": False}``
   finds users whatever the case of the name (moto ignores the setting altogether).
4. :func:`.corrections.fix_resend_invitation`: ``AdminCreateUser`` with ``MessageAction=RESEND`` answers the
   existing user instead of making a second one.
5. :func:`.corrections.fix_admin_auth_mfa_setup`: an admin sign-in to a pool with MFA required, by a user with no
   second factor, answers the ``MFA_SETUP`` challenge instead of tokens.
6. :func:`.branding.add_managed_login_branding`: a stand-in for ``CreateManagedLoginBranding``,
   ``DescribeManagedLoginBranding(ByClient)`` and ``DeleteManagedLoginBranding``, which moto lacks, kept on
   moto's own pool objects.
7. :func:`.app_client_secrets.add_client_secrets`: ``AddUserPoolClientSecret``, ``ListUserPoolClientSecrets`` and
   ``DeleteUserPoolClientSecret`` (at most two active secrets), kept on moto's client objects;
   ``DescribeUserPoolClient``'s ``ClientSecret`` is the first active one.
8. :func:`cognito_privx.sandbox.import_jobs.install`: user import jobs (``GetCSVHeader``, ``CreateUserImportJob``,
   ``StartUserImportJob``, ``DescribeUserImportJob``, ``ListUserImportJobs``, ``StopUserImportJob``), kept on
   moto's pool objects, with a pre-signed-URL upload server and a processing thread per started job;
   ``UpdateUserPool``, ``DeleteUserPool`` and ``AddCustomAttributes`` refuse a pool that is importing; moto's
   in-process Cognito and CloudWatch Logs actions take the process-wide ``import_jobs.BACKEND_LOCK``.
9. :func:`.attribute_writes.fix_attribute_writes`: ``UpdateUserAttributes`` needs the
   ``aws.cognito.signin.user.admin`` scope and honours the client's ``WriteAttributes`` (unset: every attribute);
   ``SignUp`` is refused on an admin-only pool and for attributes the client may not write.
10. :func:`.tags.add_pool_tagging`: ``TagResource`` and ``UntagResource`` on a user pool (the run lock's tags,
    the ownership record), kept in the ``UserPoolTags`` that moto's ``DescribeUserPool`` answers.
11. :func:`.auth_flows.fix_auth_flows`: ``InitiateAuth`` and ``AdminInitiateAuth`` refuse a flow the app client's
    ``ExplicitAuthFlows`` does not allow (``InvalidParameterException`` "<FLOW> flow not enabled for this client",
    before the credentials are read); unset: refresh, SRP and custom; the legacy values honoured.
12. :func:`.tiers.fix_tiers`: a pool keeps its ``UserPoolTier`` (``ESSENTIALS`` when created without one, the
    model's default); managed login (``ManagedLoginVersion`` 2), branding styles and threat protection are
    refused below their plan with ``FeatureUnavailableInTierException``.
13. :func:`.mfa.fix_mfa_config`: ``SetUserPoolMfaConfig`` refuses MFA off with a factor block, MFA on or optional
    with no factor enabled, and email MFA on a Lite pool.
14. :func:`.sign_outs.fix_sign_outs`: what ends a user's refresh tokens, for the hosted-UI stand-in.
15. :func:`.user_writes.fix_user_writes`: ``AdminResetUserPassword`` refused in an admin-only-recovery pool, a
    missing required attribute and an over-long value refused, an email changed unverified kept or marked
    unverified as ``UserAttributeUpdateSettings`` says.
16. :func:`.reads.fix_id_token_reads`: an ID token from ``InitiateAuth`` carries only the attributes the app
    client may read (``ReadAttributes``; unset: as the variant's ``read_attributes_unset`` says).
17. :func:`.refresh_rotation.fix_refresh_rotation`: ``RefreshTokenRotation`` checked as AWS documents it, and refused
    (the stricter reading) together with ``ALLOW_REFRESH_TOKEN_AUTH``; an update without it turns rotation off.
18. :func:`.user_index.fix_user_index`: a pool's users kept with lookup tables (name, email, phone number, ``sub``;
    exact and case-folded), so ``_get_user`` and the email-in-use check cost O(1) instead of a scan of the pool,
    answering exactly what the scans answer.

The in-process ``mock_aws`` and moto's server use the same model classes, so one :func:`apply` covers both.

One module per concern: ``corrections`` (fixes 1-5, moto's own calls), ``branding`` (6), ``app_client_secrets``
(7) and ``tags`` (10), the calls moto lacks; ``attribute_writes`` (9); ``auth_flows`` (11); ``tiers`` (12);
``mfa`` (13); ``sign_outs`` (14); ``user_writes`` (15); ``reads`` (16); ``refresh_rotation`` (17); ``user_index``
(18); ``clock`` stamps what they make. How a class is patched (idempotent, marked wrappers; two fixes of one method
are layered):
:mod:`cognito_privx.sandbox.moto_patch`, which :mod:`cognito_privx.sandbox.import_jobs` (8) shares.
"""

from __future__ import annotations

import threading

from cognito_privx.sandbox import import_jobs
from cognito_privx.sandbox.moto_fixes import corrections
from cognito_privx.sandbox.moto_fixes.app_client_secrets import MAX_CLIENT_SECRETS, add_client_secrets, client_secrets
from cognito_privx.sandbox.moto_fixes.attribute_writes import fix_attribute_writes
from cognito_privx.sandbox.moto_fixes.auth_flows import fix_auth_flows
from cognito_privx.sandbox.moto_fixes.branding import add_managed_login_branding
from cognito_privx.sandbox.moto_fixes.mfa import fix_mfa_config
from cognito_privx.sandbox.moto_fixes.reads import fix_id_token_reads
from cognito_privx.sandbox.moto_fixes.refresh_rotation import fix_refresh_rotation
from cognito_privx.sandbox.moto_fixes.sign_outs import fix_sign_outs
from cognito_privx.sandbox.moto_fixes.tags import add_pool_tagging
from cognito_privx.sandbox.moto_fixes.tiers import fix_tiers
from cognito_privx.sandbox.moto_fixes.user_index import fix_user_index
from cognito_privx.sandbox.moto_fixes.user_writes import fix_user_writes

__all__ = ["MAX_CLIENT_SECRETS", "apply", "client_secrets"]

_apply_lock = threading.Lock()


def apply() -> None:
    """Patch moto's Cognito models; idempotent and thread-safe. Does nothing when moto is not installed."""
    try:
        from moto.cognitoidp import models
    except ImportError:
        return
    with _apply_lock:
        corrections.fix_client_dates(models)
        corrections.fix_create_only_pool_settings(models)
        corrections.fix_case_insensitive_names(models)
        corrections.fix_resend_invitation(models)
        corrections.fix_admin_auth_mfa_setup(models)
        add_managed_login_branding(models)
        add_client_secrets(models)
        add_pool_tagging(models)
        import_jobs.install(models)
        fix_attribute_writes(models)
        fix_auth_flows(models)
        fix_sign_outs(models)
        fix_tiers(models)
        fix_mfa_config(models)
        fix_user_writes(models)
        fix_id_token_reads(models)
        fix_refresh_rotation(models)
        fix_user_index(models)
