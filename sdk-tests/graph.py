"""Builds the official Microsoft Graph SDK clients (msgraph-beta-sdk, msgraph-sdk) pointed at a
running grantd, authenticated with a static bearer token from `grantd token`.

Two ways to authenticate, both without Entra ID:

* `StaticTokenProvider`: a Kiota `AccessTokenProvider` handed to
  `BaseBearerTokenAuthenticationProvider`; this is what the suite uses.
* `StaticTokenCredential`: an azure-core `TokenCredential` (get_token -> AccessToken), for code
  that builds its client the usual way from `credentials=` (test_credentials.py shows it).

Either way the provider only hands the token to allowed hosts (Kiota compares the host name
without the port), so 127.0.0.1 and localhost must be listed, and the request adapter's base URL
must be set to grantd's `/beta` or `/v1.0` root (it defaults to graph.microsoft.com).
"""

from __future__ import annotations

import time
from typing import Any, Optional
from urllib.parse import urlparse

from azure.core.credentials import AccessToken
from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)

LOCAL_HOSTS = ["127.0.0.1", "localhost"]


def allowed_hosts(base_url: str) -> list[str]:
    host = urlparse(base_url).hostname or "127.0.0.1"
    return sorted({host.lower(), *LOCAL_HOSTS})


class StaticTokenProvider(AccessTokenProvider):
    """Returns one fixed token for requests to the allowed hosts, and none elsewhere."""

    def __init__(self, token: str, hosts: list[str]) -> None:
        self._token = token
        self._validator = AllowedHostsValidator(hosts)

    async def get_authorization_token(
        self, uri: str, additional_authentication_context: dict[str, Any] = {}
    ) -> str:
        return self._token if self._validator.is_url_host_valid(uri) else ""

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return self._validator


class StaticTokenCredential:
    """An azure.core.credentials.TokenCredential that always returns the same token."""

    def __init__(self, token: str, lifetime_seconds: int = 3600) -> None:
        self._token = token
        self._lifetime = lifetime_seconds

    def get_token(
        self,
        *scopes: str,
        claims: Optional[str] = None,
        tenant_id: Optional[str] = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + self._lifetime)


def _sdk(version: str):
    if version == "beta":
        from msgraph_beta import GraphRequestAdapter, GraphServiceClient
    elif version == "v1.0":
        from msgraph import GraphRequestAdapter, GraphServiceClient
    else:
        raise ValueError(f"unknown API version {version!r}")
    return GraphRequestAdapter, GraphServiceClient


def client(grantd_url: str, token: str, version: str):
    """A GraphServiceClient of the given API version ("beta" or "v1.0") talking to grantd."""
    GraphRequestAdapter, GraphServiceClient = _sdk(version)
    base_url = f"{grantd_url.rstrip('/')}/{version}"
    auth = BaseBearerTokenAuthenticationProvider(StaticTokenProvider(token, allowed_hosts(base_url)))
    adapter = GraphRequestAdapter(auth)
    adapter.base_url = base_url
    return GraphServiceClient(request_adapter=adapter)


def client_from_credential(grantd_url: str, credential: Any, version: str):
    """The same client built from an azure-core TokenCredential, as application code usually does."""
    from kiota_authentication_azure.azure_identity_authentication_provider import (
        AzureIdentityAuthenticationProvider,
    )

    GraphRequestAdapter, GraphServiceClient = _sdk(version)
    base_url = f"{grantd_url.rstrip('/')}/{version}"
    auth = AzureIdentityAuthenticationProvider(
        credential,
        scopes=["https://graph.microsoft.com/.default"],
        allowed_hosts=allowed_hosts(base_url),
    )
    adapter = GraphRequestAdapter(auth)
    adapter.base_url = base_url
    return GraphServiceClient(request_adapter=adapter)
