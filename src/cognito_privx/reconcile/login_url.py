"""``login-url``: the direct-login URL of our directory, and with ``--verify`` each candidate form probed."""

from __future__ import annotations

from dataclasses import dataclass

from cognito_privx import cognito, privx
from cognito_privx.desired import DesiredState
from cognito_privx.privx import directlogin
from cognito_privx.reconcile.observation import pool_identity
from cognito_privx.reconcile.services import Services


@dataclass(frozen=True)
class LoginURL:
    """The direct-login URL of our directory and, when verified, every candidate as PrivX answered it."""

    url: str
    client_id: str
    callback_url: str
    probes: tuple[directlogin.Probe, ...] = ()
    no_domain: bool = False  # the pool has no hosted-UI domain: no URL can lead to a sign-in page

    @property
    def working(self) -> directlogin.Probe | None:
        """The first candidate that leads to Cognito with our client id and callback (configured one first)."""
        return next((p for p in self.probes if not p.problems(self.client_id, self.callback_url)), None)


def direct_login_url(desired: DesiredState, services: Services, *, verify: bool = False) -> LoginURL:
    """The direct-login URL of our directory (its issuer names our pool; the name alone is not proof). With
    ``verify``, every candidate is requested without following redirects (:mod:`cognito_privx.privx.directlogin`).

    Raises :class:`PrivXNotFoundError` when this config has no directory yet.
    """
    from cognito_privx.errors import PrivXNotFoundError

    services.privx.login()
    pool = cognito.find_our_pool(services.cognito, desired.pool)
    found = privx.find_directories(services.privx, desired.directory.name, pool_identity(desired, pool))
    directory = found.ours
    if directory is None:
        why = f" ({desired.directory.name!r} exists but is not this config's: {found.foreign_reason()})"
        raise PrivXNotFoundError(
            f"this config has no PrivX directory{why if found.foreign else ''}",
            # Never a hint into a command that then refuses: setup would refuse that directory without --adopt.
            "choose another [privx] directory_name (then run `cognito-privx setup`), or run `cognito-privx setup "
            "--adopt` to point it at this config's pool"
            if found.foreign
            else "run `cognito-privx setup` first",
        )
    url = privx.login_url(desired, directory) or ""
    client_id = str((directory.get("connection") or {}).get("oidc_client_id") or "")
    probes: tuple[directlogin.Probe, ...] = ()
    if verify:
        probes = tuple(
            directlogin.probe_all(
                services.privx.http, desired.login_url_template, desired.public_url, str(directory["id"])
            )
        )
    no_domain = pool is not None and not pool.get("Domain") and desired.domain is None
    return LoginURL(url, client_id, desired.client.callback_url, probes, no_domain)
