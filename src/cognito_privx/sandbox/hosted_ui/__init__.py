"""A stand-in for Amazon Cognito's hosted UI and OAuth 2.0 endpoints, over moto's in-process Cognito.

moto serves none of this (docs/cognito.md#testing-with-moto), so the sandbox serves it itself to rehearse a real
login: ``HostedUI(region, base_url)`` is a WSGI app that reads pools, domains, app clients and users from moto's
backends at every request (one source of truth) and writes password changes back into moto's users.

Routes (``{base}`` is where it is served, ``{prefix}`` a pool's domain, ``{pool_id}`` the pool):

==========================================================  ===================================================
``GET {base}/{pool_id}/.well-known/openid-configuration``   discovery: ``issuer`` is the AWS issuer
                                                            ``https://cognito-idp.{region}.amazonaws.com/{pool}``;
                                                            endpoints under ``{base}/{prefix}``; 404 without a
                                                            domain
``GET {base}/{pool_id}/.well-known/jwks.json``              this hosted UI's public key (RS256)
``GET {base}/{prefix}/oauth2/authorize``                    checked, then 302 to ``/login`` (same query)
``GET|POST {base}/{prefix}/login``                          the classic sign-in form / the sign-in
``POST {base}/{prefix}/confirm-new-password``               the new password of a ``FORCE_CHANGE_PASSWORD`` user
``GET {base}/{prefix}/error``                               the error page (``?error=<code>``), answered 400
``POST {base}/{prefix}/oauth2/token``                       ``authorization_code`` and ``refresh_token`` grants
``GET|POST {base}/{prefix}/oauth2/userInfo``                the user's attributes for a Bearer access token
==========================================================  ===================================================

The form: ``<form method="post">`` with ``username``, ``password`` (``type="password"``) and a hidden
``_csrf`` equal to the ``XSRF-TOKEN`` cookie (``HttpOnly``, ``SameSite=Lax``, path ``/{prefix}``); the
new-password form has ``new_password``, ``confirm_password``, ``_csrf`` and a hidden ``session``.

What each endpoint checks, and the sources, are in the docstrings of :mod:`.signin` (authorize, sign-in,
``/error``), :mod:`.token` (token, userInfo, refresh tokens) and :mod:`.claims` (token contents, keys);
:mod:`.moto_view` says how moto's state is found. Not served: ``/logout``, ``/oauth2/revoke``, sign-up,
forgotten passwords, MFA, federation, the ``client_credentials`` grant, and the hosted UI's own session cookie (every
authorize shows the form again).
"""

from cognito_privx.sandbox.hosted_ui.app import DEFAULT_CODE_TTL, HostedUI
from cognito_privx.sandbox.hosted_ui.signin import BAD_CREDENTIALS, CSRF_COOKIE, CSRF_FIELD

__all__ = ["BAD_CREDENTIALS", "CSRF_COOKIE", "CSRF_FIELD", "DEFAULT_CODE_TTL", "HostedUI"]
