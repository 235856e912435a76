"""Tests of ``cognito_privx.cognito``: the pool, app client, domain and branding, groups, MFA, pool security."""
