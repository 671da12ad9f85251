"""authlib as an OAuth 2.0 / OpenID Connect client inside Litestar, and one client per configured provider.

authlib ships no Litestar integration; the glue below is its Starlette one reduced to what the portal uses.
The state, nonce and PKCE verifier of a sign-in in progress live in the server-side session under
`_state_<provider>_<state>`, and are removed on first use, so a replayed callback finds nothing. ID tokens are
checked by authlib with joserfc: signature against the provider's JWKS (fetched again when an unknown key id
appears, so key rotation works), issuer, audience, expiry and nonce.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx2
from authlib.integrations.base_client import BaseApp, BaseOAuth, FrameworkIntegration, OAuthError
from authlib.integrations.base_client.async_app import AsyncOAuth2Mixin
from authlib.integrations.base_client.async_openid import AsyncOpenIDMixin
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc.errors import JoseError
from litestar import Request

from portal.services.identities import ProviderIdentity
from portal.settings import OidcProviderSettings, Settings

HTTP_TIMEOUT = 10.0
MICROSOFT = "https://login.microsoftonline.com"


class SignInFailed(Exception):
    """The sign-in cannot go on; `reason` picks the page the user sees."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason  # cancelled | provider_error | bad_state | rejected | unreachable


class _LitestarIntegration(FrameworkIntegration):  # type: ignore[misc]
    def update_token(self, *args: Any, **kwargs: Any) -> None:
        """Tokens are used once, at sign-in, and never stored."""

    @staticmethod
    def load_config(oauth: Any, name: str, params: Any) -> dict[str, Any]:
        return {}  # everything comes from `register()`


class ProviderClient(AsyncOAuth2Mixin, AsyncOpenIDMixin, BaseApp):  # type: ignore[misc]
    client_cls = AsyncOAuth2Client

    async def begin(self, request: Request[Any, Any, Any], redirect_uri: str, extra: dict[str, Any]) -> str:
        """The provider's sign-in URL; what the callback needs to finish (and `extra`) waits in the session."""
        try:
            created = await self.create_authorization_url(redirect_uri)  # state, nonce, PKCE verifier
        except (httpx2.HTTPError, ValueError) as exc:  # discovery document unreachable or not JSON
            raise SignInFailed("unreachable", str(exc)) from exc
        state = created.pop("state")
        self.framework.set_state_data(request.session, state, {"redirect_uri": redirect_uri, **created, **extra})
        return str(created["url"])

    async def finish(self, request: Request[Any, Any, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Exchange the callback's code for tokens: (token, what `authorize_url` kept). Raises SignInFailed."""
        query = request.query_params
        state = query.get("state") or ""
        data = self.framework.get_state_data(request.session, state) if state else None
        if data:
            self.framework.clear_state_data(request.session, state)  # one use: a replayed callback fails
        if error := query.get("error"):
            raise SignInFailed("cancelled" if error == "access_denied" else "provider_error", error)
        if not data or not query.get("code"):
            raise SignInFailed("bad_state")
        params = {"code": query["code"], "state": state, "redirect_uri": data["redirect_uri"]}
        if data.get("code_verifier"):
            params["code_verifier"] = data["code_verifier"]
        try:
            token: dict[str, Any] = await self.fetch_access_token(**params)
        except OAuthError as exc:  # the provider refused the code: reused, expired or not ours
            raise SignInFailed("rejected", str(exc)) from exc
        return token, data


class OAuth(BaseOAuth):  # type: ignore[misc]
    oauth2_client_cls = ProviderClient
    framework_integration_cls = _LitestarIntegration


@dataclass(frozen=True)
class Providers:
    """The configured providers and their clients: built once per app, kept on `app.state.oidc`."""

    oauth: OAuth
    configured: dict[str, OidcProviderSettings]

    def client(self, name: str) -> ProviderClient | None:
        return self.oauth.create_client(name) if name in self.configured else None


def build_providers(settings: Settings) -> Providers:
    oauth = OAuth()
    for provider in settings.auth.providers:
        oauth.register(provider.name, **_client_config(provider))
    return Providers(oauth=oauth, configured={provider.name: provider for provider in settings.auth.providers})


def _client_config(provider: OidcProviderSettings) -> dict[str, Any]:
    common = {
        "client_id": provider.client_id,
        "client_secret": provider.client_secret.get_secret_value(),
    }
    if provider.kind == "github":
        web, api = _github_urls(provider)
        return common | {
            "authorize_url": f"{web}/login/oauth/authorize",
            "access_token_url": f"{web}/login/oauth/access_token",
            "api_base_url": api,
            "client_kwargs": {
                "scope": "read:user user:email",
                "code_challenge_method": "S256",
                "timeout": HTTP_TIMEOUT,
            },
        }
    return common | {
        "server_metadata_url": discovery_url(provider),
        "client_kwargs": {"scope": "openid email profile", "code_challenge_method": "S256", "timeout": HTTP_TIMEOUT},
    }


def discovery_url(provider: OidcProviderSettings) -> str:
    well_known = "/.well-known/openid-configuration"
    if provider.kind == "google":
        return "https://accounts.google.com" + well_known
    if provider.kind == "microsoft":
        return f"{MICROSOFT}/{provider.tenant or 'common'}/v2.0" + well_known
    if provider.kind == "keycloak":
        return f"{provider.keycloak_url.rstrip('/')}/realms/{provider.keycloak_realm}" + well_known
    return provider.discovery_url


def _github_urls(provider: OidcProviderSettings) -> tuple[str, str]:
    if provider.github_url:  # GitHub Enterprise Server serves its API under /api/v3
        base = provider.github_url.rstrip("/")
        return base, f"{base}/api/v3/"
    return "https://github.com", "https://api.github.com/"


async def identity_from_callback(
    client: ProviderClient, provider: OidcProviderSettings, request: Request[Any, Any, Any]
) -> tuple[ProviderIdentity, dict[str, Any]]:
    """Who the provider says signed in, checked; and what the sign-in started with. Raises SignInFailed."""
    try:
        token, data = await client.finish(request)
        if provider.kind == "github":
            return await _github_identity(client, provider, token), data
        if "id_token" not in token:
            raise SignInFailed("rejected", "no ID token")
        options = await _claims_options(client, provider)
        claims = await client.parse_id_token(token, nonce=data.get("nonce"), claims_options=options)
    except (JoseError, OAuthError) as exc:  # bad signature, issuer, audience, expiry or nonce
        raise SignInFailed("rejected", str(exc)) from exc
    except (httpx2.HTTPError, ValueError) as exc:  # unreachable, or an answer that is not JSON
        raise SignInFailed("unreachable", str(exc)) from exc
    verified = claims.get("email_verified") in (True, "true")
    if provider.kind == "microsoft":
        # Entra's `email` is whatever a tenant admin typed; only a domain-owner-verified one counts (xms_edov).
        verified = claims.get("xms_edov") in (True, "true", "1", 1)
    return (
        ProviderIdentity(
            provider=provider.name,
            issuer=str(claims["iss"]),
            subject=str(claims["sub"]),
            email=claims.get("email"),
            email_verified=verified,
            name=str(claims.get("name") or claims.get("preferred_username") or ""),
        ),
        data,
    )


async def _claims_options(client: ProviderClient, provider: OidcProviderSettings) -> dict[str, Any] | None:
    """Multi-tenant Entra ID publishes the issuer as a template (`.../{tenantid}/v2.0`): check it per token.

    A fresh dict per call: authlib pops the `validate` hooks out of the options it is given.
    """
    metadata = await client.load_server_metadata()
    template = str(metadata.get("issuer", ""))
    if "{tenantid}" not in template:
        return None
    allowed = set(provider.allowed_tenants)

    def issuer_matches_tenant(claims: Any, issuer: Any) -> bool:
        tenant = str(claims.get("tid", ""))
        return bool(tenant) and (not allowed or tenant in allowed) and issuer == template.replace("{tenantid}", tenant)

    return {"iss": {"essential": True, "validate": issuer_matches_tenant}}


async def _github_identity(
    client: ProviderClient, provider: OidcProviderSettings, token: dict[str, Any]
) -> ProviderIdentity:
    """GitHub is plain OAuth 2: the user from /user, and the email only if it is primary and verified."""
    user_response = await client.get("user", token=token)
    emails_response = await client.get("user/emails", token=token)
    if user_response.status_code != 200 or emails_response.status_code != 200:
        raise SignInFailed("rejected", f"GitHub API answered {user_response.status_code}/{emails_response.status_code}")
    user = user_response.json()
    primary = next((item for item in emails_response.json() if item.get("primary")), None)
    web, _api = _github_urls(provider)
    return ProviderIdentity(
        provider=provider.name,
        issuer=web,
        subject=str(user["id"]),
        email=primary["email"] if primary else None,
        email_verified=bool(primary and primary.get("verified") is True),
        name=str(user.get("name") or user.get("login") or ""),
    )
