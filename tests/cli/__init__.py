"""Tests of ``cognito_privx.cli``: the command-line contract and the terminal as a user meets it."""
