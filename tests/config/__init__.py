"""Tests of ``cognito_privx.config``: the config file, the environment, flags and PrivX credentials."""
