"""TEMPORARY re-export for the restructure; removed when importers move.

The username model now lives in :mod:`cognito_privx.cognito.usernames`.
"""

from cognito_privx.cognito.usernames import UsernameModel, username_model

__all__ = ["UsernameModel", "username_model"]
