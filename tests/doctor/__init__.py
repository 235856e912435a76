"""Tests of ``cognito_privx.doctor``: the checks, the token probe and the rehearsed login (``--login``)."""
