"""cognito-privx: wire an Amazon Cognito user pool into PrivX as an OIDC directory."""

__version__ = "0.2.0"
