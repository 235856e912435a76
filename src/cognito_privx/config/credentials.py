"""PrivX API credentials, from ``PRIVX_*`` variables only (never the config file): :class:`PrivXCredentials`,
whether a complete set is present, the CA certificate; :func:`load_credentials`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from cognito_privx.errors import CredentialsError


class PrivXCredentials(BaseSettings):
    """PrivX API credentials, from the environment only (never the config file)."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, populate_by_name=False)

    api_client_id: str | None = Field(
        default=None, validation_alias=AliasChoices("PRIVX_API_CLIENT_ID", "PRIVX_CLIENT_ID")
    )
    api_client_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("PRIVX_API_CLIENT_SECRET", "PRIVX_CLIENT_SECRET")
    )
    oauth_client_id: str = Field(
        default="privx-external",
        validation_alias=AliasChoices("PRIVX_API_OAUTH_CLIENT_ID", "PRIVX_OAUTH_CLIENT_ID"),
    )
    oauth_client_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("PRIVX_API_OAUTH_CLIENT_SECRET", "PRIVX_OAUTH_CLIENT_SECRET"),
    )
    bearer_token: SecretStr | None = Field(default=None, validation_alias="PRIVX_API_BEARER_TOKEN")
    ca_cert: str | None = Field(default=None, validation_alias="PRIVX_CA_CERT")

    def check(self) -> None:
        """Raise :class:`CredentialsError` unless a complete credential set is present."""
        if self.bearer_token is not None and self.bearer_token.get_secret_value():
            return
        names = {
            "PRIVX_API_CLIENT_ID": self.api_client_id,
            "PRIVX_API_CLIENT_SECRET": self.api_client_secret,
            "PRIVX_API_OAUTH_CLIENT_SECRET": self.oauth_client_secret,
        }
        missing = [n for n, v in names.items() if not v]
        if len(missing) == len(names):
            raise CredentialsError(
                "no PrivX API credentials are set",
                "export PRIVX_API_CLIENT_ID, PRIVX_API_CLIENT_SECRET and PRIVX_API_OAUTH_CLIENT_SECRET "
                "(from PrivX: Administration → Deployment → Integrate with PrivX using API clients), "
                "or PRIVX_API_BEARER_TOKEN",
            )
        if missing:
            raise CredentialsError(
                f"PrivX credentials are half-set: {', '.join(missing)} missing",
                "set all of PRIVX_API_CLIENT_ID, PRIVX_API_CLIENT_SECRET and PRIVX_API_OAUTH_CLIENT_SECRET",
            )

    def ca_pem(self) -> str | None:
        """The PrivX CA as PEM text, read from ``PRIVX_CA_CERT`` (PEM text itself, or a path)."""
        if not self.ca_cert:
            return None
        if "-----BEGIN" in self.ca_cert:
            return self.ca_cert
        path = Path(self.ca_cert).expanduser()
        try:
            text = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as e:
            raise CredentialsError(
                f"PRIVX_CA_CERT: cannot read {path}: {getattr(e, 'strerror', None) or e}",
                "set PRIVX_CA_CERT to a readable PEM file or to the PEM text itself",
            ) from None
        if "-----BEGIN CERTIFICATE-----" not in text:
            raise CredentialsError(
                f"PRIVX_CA_CERT: {path} holds no PEM certificate",
                "export the CA from PrivX's API-clients page as PEM",
            )
        return text


class _MappingCredentials(PrivXCredentials):
    """Credentials from an explicit mapping only (``os.environ`` is not consulted)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def load_credentials(env: Mapping[str, str] | None = None) -> PrivXCredentials:
    """PrivX credentials from the process environment, or from ``env`` alone when given."""
    if env is None:
        return PrivXCredentials()
    values: dict[str, Any] = {k: v for k, v in env.items() if k.startswith("PRIVX_")}
    return _MappingCredentials(**values)
