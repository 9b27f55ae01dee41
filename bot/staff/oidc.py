"""Sign-in through the municipality's identity provider (OpenID Connect, authorization code
with PKCE). The provider only proves who someone is: the account must already exist here,
be active, and have the same, verified e-mail address; roles stay local.

The flow's state, nonce and PKCE verifier travel in a short-lived HttpOnly cookie signed
with the client secret (HMAC), so several gateways need no shared store for them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token  # type: ignore[import-untyped]
from authlib.oauth2.rfc7636 import create_s256_code_challenge  # type: ignore[import-untyped]
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from bot.config import Settings

FLOW_SECONDS = 600


class OidcRefused(Exception):
    """The provider's answer cannot sign anyone in (`reason` is a text key)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Flow:
    state: str
    nonce: str
    verifier: str
    next: str
    started: float


@dataclass(frozen=True)
class Identity:
    email: str
    subject: str


class OidcClient:
    def __init__(self, settings: Settings, *, timeout: float = 10.0) -> None:
        secret = settings.staff_oidc_client_secret
        self.issuer = settings.staff_oidc_issuer.rstrip("/")
        self.client_id = settings.staff_oidc_client_id
        self.secret = secret.get_secret_value() if secret else ""
        self.redirect_uri = f"{settings.effective_public_url}/staff/oidc/callback"
        self.timeout = timeout
        self._metadata: dict[str, Any] | None = None

    @property
    def configured(self) -> bool:
        return bool(self.issuer and self.client_id and self.secret)

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            async with httpx.AsyncClient(timeout=self.timeout) as http:
                answer = await http.get(f"{self.issuer}/.well-known/openid-configuration")
                answer.raise_for_status()
                found: dict[str, Any] = answer.json()
            if found.get("issuer", "").rstrip("/") != self.issuer:
                raise OidcRefused("oidc_failed")
            self._metadata = found
        return self._metadata

    def new_flow(self, next_path: str) -> Flow:
        return Flow(
            state=generate_token(32),
            nonce=generate_token(32),
            verifier=generate_token(64),
            next=next_path,
            started=time.time(),
        )

    async def authorize_url(self, flow: Flow) -> str:
        endpoint = (await self.metadata())["authorization_endpoint"]
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": "openid email profile",
            "state": flow.state,
            "nonce": flow.nonce,
            "code_challenge": create_s256_code_challenge(flow.verifier),
            "code_challenge_method": "S256",
        }
        return f"{endpoint}?{urlencode(query)}"

    def seal(self, flow: Flow) -> str:
        body = base64.urlsafe_b64encode(json.dumps(flow.__dict__).encode()).decode()
        return f"{body}.{self._mac(body)}"

    def unseal(self, cookie: str | None) -> Flow:
        body, _, mac = (cookie or "").partition(".")
        if not body or not hmac.compare_digest(mac, self._mac(body)):
            raise OidcRefused("oidc_failed")
        flow = Flow(**json.loads(base64.urlsafe_b64decode(body)))
        if time.time() - flow.started > FLOW_SECONDS:
            raise OidcRefused("oidc_expired")
        return flow

    def _mac(self, body: str) -> str:
        return hmac.new(self.secret.encode(), body.encode(), hashlib.sha256).hexdigest()

    async def finish(self, flow: Flow, *, state: str, code: str) -> Identity:
        """Checks state, exchanges the code (with the PKCE verifier), verifies the ID token
        (signature by the provider's keys, issuer, audience, expiry, nonce)."""
        if not code or not hmac.compare_digest(state, flow.state):
            raise OidcRefused("oidc_failed")
        found = await self.metadata()
        async with httpx.AsyncClient(timeout=self.timeout) as http:
            answer = await http.post(
                found["token_endpoint"],
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": self.redirect_uri,
                    "code_verifier": flow.verifier,
                },
                auth=(self.client_id, self.secret),
            )
            if answer.status_code != 200:
                raise OidcRefused("oidc_failed")
            id_token = answer.json().get("id_token")
            keys = (await http.get(found["jwks_uri"])).json()
        try:
            token = jwt.decode(id_token, KeySet.import_key_set(keys), algorithms=["RS256", "ES256"])
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": self.client_id},
                nonce={"essential": True, "value": flow.nonce},
                exp={"essential": True},
                sub={"essential": True},
            ).validate(token.claims)
        except (JoseError, ValueError, TypeError) as error:
            raise OidcRefused("oidc_failed") from error
        claims = token.claims
        if not claims.get("email") or claims.get("email_verified") is not True:
            raise OidcRefused("oidc_unverified")
        return Identity(email=str(claims["email"]), subject=str(claims["sub"]))
