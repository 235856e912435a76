"""The order of setup, plan and teardown: Cognito first (pool → attribute → MFA → app client → domain → managed-login
branding → groups), then PrivX (directory → grants); teardown the other way round.

Ids and the app-client secret pass from one step to the next here, in memory only: the secret is read from
Cognito on every run and never stored.

- ``services``: both sides' clients for a run (``open_services``), the call counter, the target line (``target``)
- ``observation``: what a run reads before its first write (``observe``), ``pool_identity``, ``held_secret``
- ``setup_steps``: ``setup`` / ``plan`` (a dry run) and what they return (``Result``, ``Outputs``)
- ``ending``: ``setup --end-sessions``: the sessions of those who lose a role ended after the revocation
- ``teardown_steps``: ``teardown``
- ``login_url``: ``login-url`` (``direct_login_url``, ``LoginURL``)
- ``lock``: the run lock ``setup``, ``teardown`` and ``rotate-secret`` hold on the pool (``run_lock``)

Callers use this package's names (``reconcile.setup(...)``); inside it, modules import each other directly.
"""

from cognito_privx.reconcile.lock import PoolLock, RunLockHeld, locked_pool, run_lock
from cognito_privx.reconcile.login_url import LoginURL, direct_login_url
from cognito_privx.reconcile.observation import HeldSecret, Observed, held_secret, observe, pool_identity
from cognito_privx.reconcile.services import CallCounter, Services, Target, open_privx, open_services, target
from cognito_privx.reconcile.setup_steps import Outputs, Result, SecretNeeded, converged, setup
from cognito_privx.reconcile.teardown_steps import Step, teardown

__all__ = [
    "CallCounter",
    "HeldSecret",
    "LoginURL",
    "Observed",
    "Outputs",
    "PoolLock",
    "Result",
    "RunLockHeld",
    "SecretNeeded",
    "Services",
    "Step",
    "Target",
    "converged",
    "direct_login_url",
    "held_secret",
    "locked_pool",
    "observe",
    "open_privx",
    "open_services",
    "pool_identity",
    "run_lock",
    "setup",
    "target",
    "teardown",
]
