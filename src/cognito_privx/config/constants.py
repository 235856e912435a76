"""Fixed names and values: our ownership tag, PrivX's callback path, the defaults of the unknowns (the direct-login
URL and the role rule's form, with the forms doctor tries), the MFA methods and the scopes we accept."""

from __future__ import annotations

MANAGED_TAG_KEY = "managed-by"
MANAGED_TAG_VALUE = "cognito-privx"

# The callback path PrivX registers for every OIDC directory (docs/privx-api.md#callback-url).
CALLBACK_PATH = "/auth/api/v1/oidc-cb"
# The direct-login URL (docs/privx-api.md#direct-login-url). PrivX publishes no "direct login" format; the one
# documented way to start a login against one OIDC directory is PrivX's own OAuth authorize endpoint with the
# directory's id: the auth API reference lists `oidc_id` among its query parameters, privx-sdk-go v1 carries it as
# authorizer.Params.OidcID, and privx-sdk-go v2 (oauth/authcode.go) calls this endpoint with client `privx-ui` and
# redirect `/privx/oauth-callback` and expects a 307. No `state`: RFC 6749 makes it RECOMMENDED, not required, and
# it protects a flow its client starts and checks; a URL printed once and bookmarked would carry the same value
# forever (no protection) and could clash with the state the PrivX web UI checks at its callback. `login-url
# --verify` and `doctor` request the URL and confirm it leads to Cognito. Override with [privx] login_url_template.
DEFAULT_LOGIN_URL_TEMPLATE = (
    "{base_url}/auth/api/v1/oauth/authorize?response_type=code&client_id=privx-ui"
    "&redirect_uri=%2Fprivx%2Foauth-callback&oidc_id={directory_id}"
)
# The role rule's search_string for one group (docs/privx-api.md#role-rules). No public source shows the form
# for an OIDC directory. Every public search_string is an LDAP-style filter over user attributes -- `(cn=alice)`
# (PrivX v16 docs; the Python SDK's role example), `(principal=...)` (the built-in privx-admin role) -- the docs
# call rules "LDAP filters" (v17), and v44 stores a token user's claims as user attributes, the tags claim's
# values as the user's `tags`. So the default is a filter over `tags`. Alternatives: the bare tag value
# `{group}`. `doctor` finds out on a real PrivX which form matches a user of the directory.
DEFAULT_RULE_TEMPLATE = "(tags={group})"
# The forms doctor tries against a real user of the directory, after the configured one.
RULE_TEMPLATE_CANDIDATES = (DEFAULT_RULE_TEMPLATE, "{group}", "(tag={group})")

# MFA methods we manage (docs/cognito.md#mfa): TOTP apps, and email where the tier and SES sending allow it.
MFA_METHODS = ("totp", "email")

# Scopes a Cognito app client can allow without a resource server. ``openid`` is always requested by PrivX.
COGNITO_SCOPES = frozenset({"email", "profile", "phone", "aws.cognito.signin.user.admin"})
