"""TEMPORARY re-export for the restructure; removed when importers move.

The direct-login URL now lives in :mod:`cognito_privx.privx.directlogin`.
"""

from cognito_privx.privx.directlogin import (
    LEGACY_LOGIN_URL_TEMPLATE,
    Probe,
    candidate_templates,
    fill,
    probe_all,
    request,
    setting_for,
)

__all__ = [
    "LEGACY_LOGIN_URL_TEMPLATE",
    "Probe",
    "candidate_templates",
    "fill",
    "probe_all",
    "request",
    "setting_for",
]
