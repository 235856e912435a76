"""The Cognito stand-in's variants (:mod:`cognito_privx.sandbox.moto_fixes.variant`): ``secret_after_rotation``
runs a test once per reading of ``ClientSecret`` after the original secret is deleted (``empty``, ``kept``);
``read_attributes_unset`` and ``write_attributes_unset`` once per reading of an unset ``ReadAttributes`` /
``WriteAttributes`` (``standard``, ``all``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cognito_privx.sandbox.moto_fixes import variant


@pytest.fixture(params=variant.SECRET_AFTER_ROTATION)
def secret_after_rotation(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each reading in turn, restored afterwards."""
    previous = variant.configure(secret_after_rotation=request.param)
    try:
        yield str(request.param)
    finally:
        variant.configure(previous)


@pytest.fixture(params=variant.READ_ATTRIBUTES_UNSET)
def read_attributes_unset(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each reading of an app client's unset ``ReadAttributes`` (``standard``, ``all``), restored afterwards."""
    previous = variant.configure(read_attributes_unset=request.param)
    try:
        yield str(request.param)
    finally:
        variant.configure(previous)


@pytest.fixture(params=variant.WRITE_ATTRIBUTES_UNSET)
def write_attributes_unset(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each reading of an app client's unset ``WriteAttributes`` (``all``, ``standard``), restored afterwards."""
    previous = variant.configure(write_attributes_unset=request.param)
    try:
        yield str(request.param)
    finally:
        variant.configure(previous)
