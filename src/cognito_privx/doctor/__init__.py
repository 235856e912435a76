"""``doctor``: prove the wiring between Cognito and PrivX, one check at a time. Returns data; prints nothing.

Every check gives one :class:`Check` (``ok`` / ``fail`` / ``warn`` / ``skip``, a one-line message and, when
something is wrong, a hint). Only read calls are made, except by the token probe (``--probe``), which creates
a temporary user and app client and always deletes them again.

How it is arranged:

- :mod:`.facts` reads the live state once: pool, attribute, app client, domain, discovery document, JWKS,
  PrivX status, directory, roles, the direct-login redirect.
- :mod:`.checks` holds the checks, each a pure function over those facts and the
  :class:`~cognito_privx.desired.DesiredState` that setup converges to: a check compares the live state with
  what setup would make it, never with values of its own. Each check is registered, and so named, once;
  the report lists them in registration order (``role:<group>`` once per ``[roles]`` group;
  ``managed-login-branding`` only with managed login).
- :mod:`.refresh_tokens` is the check ``client-refresh-token``: the refresh-token flow / rotation pair setup
  converges to; with rotation on, a warning that what PrivX does with a rotated refresh token could not be verified.
- :mod:`.claim` is the check ``group-claim`` (``--login``): existing users' groups are where ``group_claim``
  reads them (a switch left them behind otherwise), read without signing in as them.
- :mod:`.probe` is the token probe, run last; :mod:`.idtoken` verifies its ID token (PyJWT).
- :mod:`.login` rehearses the real sign-in (``--login``): the group's fixed rehearsal identity
  (:mod:`.rehearsal_user`, disabled between rehearsals) walks the direct-login URL through Cognito's sign-in page
  into PrivX, whose users API must then show exactly the roles of its group; :mod:`.received` shows what PrivX
  received (the ID token's claims, no secret) and what it did with it.
- :mod:`.registry` is how a check is declared and run; :mod:`.report` what comes back.
"""

from __future__ import annotations

from dataclasses import replace

import httpx

from cognito_privx import cognito, net, privx
from cognito_privx.desired import DesiredState
from cognito_privx.doctor import claim as group_claim
from cognito_privx.doctor import probe as token_probe
from cognito_privx.doctor.checks import CHECKS
from cognito_privx.doctor.facts import gather
from cognito_privx.doctor.idtoken import ProbeError, verify_id_token
from cognito_privx.doctor.login import Rehearsal, rehearse
from cognito_privx.doctor.received import lines
from cognito_privx.doctor.registry import Definition, NotOk
from cognito_privx.doctor.report import Check, Report, Status

HTTP_TIMEOUT = 15.0


def run_checks(
    desired: DesiredState,
    gw: cognito.CognitoGateway,
    px: privx.PrivXClient,
    *,
    probe: bool = False,
    login: bool = False,
    all_groups: bool = False,
    http_transport: httpx.BaseTransport | None = None,
) -> Report:
    """Run every check (and, with ``probe``, the token probe) and return the report. Never raises for a failed
    check; the caller renders the report and exits 1 unless ``report.ok``.

    ``http_transport`` carries the discovery document and JWKS fetches (``None``: the network); tests hand in
    an ``httpx.MockTransport``."""
    # The rehearsal runs first: the PrivX user it leaves behind is what the rule-form check calibrates against.
    rehearsals = rehearse(desired, gw, px, all_groups=all_groups, http_transport=http_transport) if login else []
    with net.http_client(gw.trust(), transport=http_transport, timeout=HTTP_TIMEOUT, follow_redirects=True) as http:
        facts = gather(desired, gw, px, http)
    extra = [token_probe.definition(gw)] if probe else []
    extra += [group_claim.definition(gw)] if login else []  # real users' groups, not only the rehearsal's
    extra += [rehearsal_check(r) for r in rehearsals]
    shown = {f"login:{r.group}": r.received for r in rehearsals if r.received is not None}
    checks = [
        replace(c, received=shown[c.name], details=tuple(lines(shown[c.name]))) if c.name in shown else c
        for c in CHECKS.run(facts, desired, extra)
    ]
    return Report(tuple(checks))


def rehearsal_check(rehearsal: Rehearsal) -> Definition:
    """A rehearsed login as the check ``login:<group>``."""

    def body(*_: object) -> str:
        if rehearsal.status is Status.OK:
            return rehearsal.message
        raise NotOk(rehearsal.status, rehearsal.message, rehearsal.hint)

    return Definition.single(f"login:{rehearsal.group}", body)


__all__ = ["Check", "ProbeError", "Report", "Status", "run_checks", "verify_id_token"]
