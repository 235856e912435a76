"""Tests of ``cognito_privx.privx``: the client and its auth, TLS trust, the directory, roles and grants."""
