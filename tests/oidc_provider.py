"""Real OpenID Connect providers on local ports, for the sign-in tests.

`MockProvider` is oidc-provider-mock (an authlib-based provider) on a thread: real discovery, JWKS, login
form, codes, PKCE and RS256-signed ID tokens. It only issues honest tokens, so `ForgingProvider`, a small
provider of our own served by uvicorn, signs whatever claims a test asks for (another audience, an expired
token, a wrong nonce), can rotate its key, and also speaks GitHub's OAuth 2 + /user/emails API.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import uvicorn
import werkzeug.serving
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from tests.harness import free_port

START_TIMEOUT = 10.0


@dataclass
class ProviderVisit:
    """What a browser sees after the provider's consent step: the redirect back to the portal."""

    location: str

    @property
    def path_and_query(self) -> str:
        parts = urlsplit(self.location)
        return f"{parts.path}?{parts.query}"

    @property
    def params(self) -> dict[str, str]:
        return {key: values[0] for key, values in parse_qs(urlsplit(self.location).query).items()}


# --- oidc-provider-mock ------------------------------------------------------------------------------------


@dataclass
class MockProvider:
    url: str

    def set_user(self, sub: str, **claims: Any) -> None:
        response = httpx.put(f"{self.url}/users/{sub}", json=claims, trust_env=False)
        assert response.status_code == 204, response.text

    def authorize(self, authorize_url: str, sub: str) -> ProviderVisit:
        """Sign in at the provider's form as `sub` and consent, as the user would in their browser."""
        with httpx.Client(trust_env=False) as browser:
            form = browser.get(authorize_url)
            assert form.status_code == 200, form.text
            answer = browser.post(authorize_url, data={"sub": sub})
        assert answer.status_code in (302, 303), answer.text
        return ProviderVisit(answer.headers["location"])

    def deny(self, authorize_url: str) -> ProviderVisit:
        with httpx.Client(trust_env=False) as browser:
            answer = browser.post(authorize_url, data={"action": "deny"})
        assert answer.status_code in (302, 303), answer.text
        return ProviderVisit(answer.headers["location"])


@contextmanager
def mock_provider() -> Iterator[MockProvider]:
    with warnings.catch_warnings():
        # The mock still imports authlib.jose, which authlib deprecates in favour of joserfc.
        warnings.simplefilter("ignore", DeprecationWarning)
        import oidc_provider_mock

        app = oidc_provider_mock.app(require_nonce=True)
    server = werkzeug.serving.make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield MockProvider(url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(START_TIMEOUT)


# --- a provider that signs what the test asks for ----------------------------------------------------------


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    nonce: str | None
    code_challenge: str | None


@dataclass
class ForgingProvider:
    url: str
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "key-1"}))
    published: list[RSAKey] = field(default_factory=list)
    issuer_template: str | None = None  # e.g. "{url}/{tenantid}/v2.0", as Entra's multi-tenant discovery says
    claims: dict[str, Any] = field(default_factory=dict)  # the next ID token's claims, over the honest ones
    github_user: dict[str, Any] = field(default_factory=dict)
    github_emails: list[dict[str, Any]] = field(default_factory=list)
    grants: dict[str, _Grant] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    discovery_fetches: int = 0
    jwks_fetches: int = 0

    def __post_init__(self) -> None:
        self.published = [self.key]

    @property
    def issuer(self) -> str:
        return self.url

    def rotate_key(self) -> None:
        """Sign with a new key from now on; the JWKS publishes both, as providers do during a rotation."""
        self.key = RSAKey.generate_key(2048, parameters={"kid": f"key-{len(self.published) + 1}"})
        self.published.append(self.key)

    def authorize(self, authorize_url: str) -> ProviderVisit:
        with httpx.Client(trust_env=False) as browser:
            answer = browser.get(authorize_url)
        assert answer.status_code == 302, answer.text
        return ProviderVisit(answer.headers["location"])

    # ASGI ------------------------------------------------------------------------------------------------
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        query = {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        status, payload, extra = self._route(scope["path"], query, form, headers)
        raw = json.dumps(payload).encode() if payload is not None else b""
        response_headers = [(b"content-type", b"application/json"), *extra]
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": raw})

    def _route(
        self, path: str, query: dict[str, str], form: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, Any, list[tuple[bytes, bytes]]]:
        if path == "/.well-known/openid-configuration":
            self.discovery_fetches += 1
            return 200, self._discovery(), []
        if path == "/jwks":
            self.jwks_fetches += 1
            return 200, KeySet(self.published).as_dict(private=False), []  # type: ignore[arg-type]
        if path in ("/authorize", "/login/oauth/authorize"):
            code = secrets.token_urlsafe(16)
            self.grants[code] = _Grant(
                query["client_id"], query["redirect_uri"], query.get("nonce"), query.get("code_challenge")
            )
            target = query["redirect_uri"] + "?" + urlencode({"code": code, "state": query.get("state", "")})
            return 302, None, [(b"location", target.encode())]
        if path in ("/token", "/login/oauth/access_token"):
            return self._token(form, headers)
        if path == "/api/v3/user":
            return self._github(headers, self.github_user)
        if path == "/api/v3/user/emails":
            return self._github(headers, self.github_emails)
        return 404, {"error": "not_found"}, []

    def _discovery(self) -> dict[str, Any]:
        issuer = self.issuer_template.format(url=self.url, tenantid="{tenantid}") if self.issuer_template else self.url
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    def _token(self, form: dict[str, str], headers: dict[str, str]) -> tuple[int, Any, list[tuple[bytes, bytes]]]:
        grant = self.grants.pop(form.get("code", ""), None)  # a code works once
        if grant is None or form.get("redirect_uri") != grant.redirect_uri:
            return 400, {"error": "invalid_grant"}, []
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if grant.code_challenge != challenge:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}, []
        access_token = secrets.token_urlsafe(16)
        self.tokens.add(access_token)
        answer: dict[str, Any] = {"access_token": access_token, "token_type": "Bearer", "expires_in": 3600}
        if grant.nonce is not None:  # an OpenID Connect request
            now = int(time.time())
            claims = {
                "iss": self.url,
                "sub": "forged-subject",
                "aud": grant.client_id,
                "iat": now,
                "exp": now + 600,
                "nonce": grant.nonce,
                "email": "forged@example.com",
                "email_verified": True,
                "name": "Forged Person",
            } | self.claims
            answer["id_token"] = jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key)
        return 200, answer, []

    def _github(self, headers: dict[str, str], payload: Any) -> tuple[int, Any, list[tuple[bytes, bytes]]]:
        if headers.get("authorization", "").removeprefix("Bearer ") not in self.tokens:
            return 401, {"message": "Bad credentials"}, []
        return 200, payload, []


@contextmanager
def forging_provider() -> Iterator[ForgingProvider]:
    port = free_port()
    provider = ForgingProvider(url=f"http://127.0.0.1:{port}")
    config = uvicorn.Config(provider, host="127.0.0.1", port=port, lifespan="off", ws="none", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        assert time.monotonic() < deadline, "the forging provider did not start"
        time.sleep(0.01)  # polling the condition "server started", with a deadline
    try:
        yield provider
    finally:
        server.should_exit = True
        thread.join(START_TIMEOUT)
