"""The emulator's variants: one knob per behaviour of PrivX that no public source settles (choice 18 in :mod:`.core`).

The defaults are the most likely real behaviour; the other values are the plausible alternatives, so the tests can
show that cognito-privx works, or detects the mismatch and says what to set, against each of them. Evidence for
each default: ``docs/privx-api.md`` ("Open questions").
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal

RuleGrammar = Literal["filter", "bare"]
LoginRoute = Literal["authorize", "legacy"]
AttributeMappingDirection = Literal["target", "claim"]
ResolveUnknown = Literal["empty", "partial", "404"]
RotatedRefreshToken = Literal["kept", "ignored"]

# The allowed values of each field, first the default; the sandbox's options list them in this order.
VARIANT_CHOICES: dict[str, tuple[str, ...]] = {
    "rule_grammar": ("filter", "bare"),
    "login_route": ("authorize", "legacy"),
    "attribute_mapping": ("target", "claim"),
    "resolve_unknown": ("empty", "partial", "404"),
    "rotated_refresh_token": ("kept", "ignored"),
}


@dataclass(frozen=True)
class EmulatorVariant:
    """How the emulated PrivX behaves where the public evidence runs out. Invalid values raise ValueError.

    - ``rule_grammar``: a rule leaf's ``search_string`` on an OIDC directory is an LDAP-style ``filter`` over the
      user's attributes (``(tags=ops)``; every public ``search_string`` is one), or a ``bare`` tag value matched
      exactly against the user's tags (``ops``). Leaves on the built-in directories are filters either way;
      leaves on a directory the emulator does not know are not checked.
    - ``login_route``: the direct login is PrivX's documented ``authorize`` endpoint
      (``/auth/api/v1/oauth/authorize?…&oidc_id=<id>``, 307), or the ``legacy`` made-up
      ``/auth/api/v1/oidc/login?directory=<id>`` (302). Only the chosen one is served; the other is 404.
    - ``attribute_mapping``: ``connection.attribute_mapping`` is keyed by the ``target`` account
      (``{"unix_account": "email"}``) or by the ``claim`` (``{"email": "unix_account"}``). It is read when a user
      logs in; a map written the other way round yields no account.
    - ``resolve_unknown``: ``roles/resolve`` with a name no role has: ``empty`` skips it (a lone unknown name
      gives ``{"count": 0, "items": []}``), ``partial`` answers a stub ``{"id": "", "name": <name>}`` for it
      (as a Go server appending a zero-valued Role would), ``404`` refuses the whole request.
    - ``rotated_refresh_token``: when the IdP's refresh answer carries a new refresh token (Cognito's refresh-token
      rotation), PrivX ``kept`` it for its next refresh (what ``golang.org/x/oauth2``'s token source does), or
      ``ignored`` it and keeps sending the one from the login (PrivX's docs say nothing either way).
    """

    rule_grammar: RuleGrammar = "filter"
    login_route: LoginRoute = "authorize"
    attribute_mapping: AttributeMappingDirection = "target"
    resolve_unknown: ResolveUnknown = "empty"
    rotated_refresh_token: RotatedRefreshToken = "kept"

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value not in VARIANT_CHOICES[f.name]:
                allowed = ", ".join(VARIANT_CHOICES[f.name])
                raise ValueError(f"{f.name} must be one of {allowed}, not {value!r}")

    @classmethod
    def parse(cls, **options: str) -> EmulatorVariant:
        """From option strings (the sandbox's command line): ``parse(rule_grammar="bare")``; an unknown setting
        or value raises ValueError naming the allowed ones."""
        for name in options:
            if name not in VARIANT_CHOICES:
                raise ValueError(f"{name!r} is not a variant setting; known: {', '.join(VARIANT_CHOICES)}")
        return cls(**options)  # type: ignore[arg-type]  # values checked in __post_init__

    def describe(self) -> str:
        """``rule_grammar=filter, login_route=authorize, …`` for logs and the sandbox's banner."""
        return ", ".join(f"{f.name}={getattr(self, f.name)}" for f in fields(self))
