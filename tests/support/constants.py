"""The fake world's names and secrets, shared by the fixtures and the tests.

The secrets are distinctive on purpose: ``tests/properties/test_secrets.py`` searches every output for them.
"""

from __future__ import annotations

REGION = "eu-west-1"
PRIVX_URL = "https://privx.example.com"
# Distinctive fake secrets: the secrets test searches every output for them.
API_CLIENT_ID = "6b1f5a3e-0000-4000-8000-00000000c1d0"
API_CLIENT_SECRET = "apisecret-Zq8vX3kP-do-not-print"
OAUTH_CLIENT_SECRET = "oauthsecret-Lm4nB7tR-do-not-print"

BASE_CONFIG = f"""
[cognito]
region = "{REGION}"
pool_name = "privx-users"
app_client_name = "privx"
domain_prefix = "acme-privx"

[privx]
url = "{PRIVX_URL}"
directory_name = "Cognito"
button_title = "Cognito"

[roles]
ops = "ops-admins"
dev = "developers"
"""
