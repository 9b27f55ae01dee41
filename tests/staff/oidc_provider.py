"""A tiny but real OpenID Connect provider for the tests, built on Authlib's server side
(authorization code grant + OpenIDCode + PKCE CodeChallenge) and served by uvicorn on
127.0.0.1: discovery, JWKS, authorize and token endpoints. The "signed-in user" at the
provider is whoever the test sets in `provider.user` (the provider's own login page is
not what is being tested)."""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qsl

from authlib.oauth2.rfc6749 import (  # type: ignore[import-untyped]
    AuthorizationCodeGrant,
    AuthorizationServer,
    OAuth2Payload,
    OAuth2Request,
)
from authlib.oauth2.rfc6750 import BearerTokenGenerator  # type: ignore[import-untyped]
from authlib.oauth2.rfc7636 import CodeChallenge  # type: ignore[import-untyped]
from authlib.oidc.core import OpenIDCode, UserInfo  # type: ignore[import-untyped]
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from joserfc.jwk import KeySet, RSAKey

from tests.staff.support import serving


@dataclass
class ProviderUser:
    sub: str
    email: str
    email_verified: bool = True


@dataclass
class Client:
    client_id: str
    client_secret: str
    redirect_uri: str

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in scope.split() if s in ("openid", "email", "profile"))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri == self.redirect_uri

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "client_secret_basic"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    user: ProviderUser
    code_challenge: str | None
    code_challenge_method: str | None

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> None:
        return None

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


class Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, values: list[tuple[str, str]]) -> None:
        self._list: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in values:
            self._list[key].append(value)

    @property
    def data(self) -> dict[str, str]:
        return {key: values[0] for key, values in self._list.items()}

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._list


class Req(OAuth2Request):  # type: ignore[misc]
    def __init__(self, request: Request, values: list[tuple[str, str]]) -> None:
        super().__init__(method=request.method, uri=str(request.url), headers=request.headers)
        self.payload = Payload(values)
        self._values = dict(values)

    @property
    def args(self) -> dict[str, str]:
        return self._values if self.method == "GET" else {}

    @property
    def form(self) -> dict[str, str]:
        return self._values if self.method == "POST" else {}


@dataclass
class Provider:
    client: Client
    user: ProviderUser | None = None
    issuer: str = ""
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    codes: dict[str, Code] = field(default_factory=dict)
    tokens_issued: int = 0
    nonce_override: str | None = None  # a provider that answers with the wrong nonce


def build_server(provider: Provider) -> AuthorizationServer:
    class CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
        TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_basic"]

        def save_authorization_code(self, code: str, request: Any) -> None:
            data = request.payload.data
            provider.codes[code] = Code(
                code=code,
                client_id=request.client.client_id,
                redirect_uri=data.get("redirect_uri", ""),
                scope=request.payload.scope or "",
                nonce=data.get("nonce"),
                user=request.user,
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
            )

        def query_authorization_code(self, code: str, client: Client) -> Code | None:
            found = provider.codes.get(code)
            return found if found and found.client_id == client.client_id else None

        def delete_authorization_code(self, authorization_code: Code) -> None:
            provider.codes.pop(authorization_code.code, None)

        def authenticate_user(self, authorization_code: Code) -> ProviderUser:
            return authorization_code.user

    class IdToken(OpenIDCode):  # type: ignore[misc]
        def resolve_client_private_key(self, client: Client) -> KeySet:
            return KeySet([provider.key])

        def get_client_algorithm(self, client: Client) -> str:
            return "RS256"

        def get_encode_header(self, client: Client) -> dict[str, str]:
            return {"alg": "RS256", "kid": "k1"}

        def get_client_claims(self, client: Client) -> dict[str, Any]:
            return {"iss": provider.issuer, "aud": [client.client_id]}

        def get_authorization_code_claims(self, authorization_code: Code) -> dict[str, Any]:
            claims: dict[str, Any] = super().get_authorization_code_claims(authorization_code)
            if provider.nonce_override is not None:
                claims["nonce"] = provider.nonce_override
            return claims

        def exists_nonce(self, nonce: str, request: Any) -> bool:
            return any(code.nonce == nonce for code in provider.codes.values())

        def generate_user_info(self, user: ProviderUser, scope: str) -> UserInfo:
            return UserInfo(sub=user.sub, email=user.email, email_verified=user.email_verified)

    class Server(AuthorizationServer):  # type: ignore[misc]
        def query_client(self, client_id: str) -> Client | None:
            return provider.client if client_id == provider.client.client_id else None

        def save_token(self, token: dict[str, Any], request: Any) -> None:
            provider.tokens_issued += 1

        def create_oauth2_request(self, request: Any) -> Any:
            return request

        def create_json_request(self, request: Any) -> Any:
            return request

        def handle_response(self, status: int, body: Any, headers: Any) -> Response:
            headers = dict(headers)
            if "Location" in headers:
                return RedirectResponse(headers["Location"], status_code=302)
            return JSONResponse(body, status_code=status, headers=headers)

        def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
            return None

    server = Server(scopes_supported=["openid", "email", "profile"])
    server.register_token_generator(
        "default", BearerTokenGenerator(lambda *a, **k: secrets.token_urlsafe(32))
    )
    server.register_grant(CodeGrant, [IdToken(require_nonce=True), CodeChallenge(required=True)])
    return server


def provider_app(provider: Provider) -> FastAPI:
    server = build_server(provider)
    app = FastAPI()

    @app.get("/.well-known/openid-configuration")
    async def discovery() -> dict[str, Any]:
        return {
            "issuer": provider.issuer,
            "authorization_endpoint": f"{provider.issuer}/authorize",
            "token_endpoint": f"{provider.issuer}/token",
            "jwks_uri": f"{provider.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    @app.get("/jwks")
    async def jwks() -> dict[str, Any]:
        return dict(KeySet([provider.key]).as_dict(private=False))

    @app.get("/authorize")
    async def authorize(request: Request) -> Response:
        req = Req(request, list(request.query_params.multi_items()))
        if provider.user is None:
            return JSONResponse({"error": "login_required"}, status_code=401)
        grant = server.get_consent_grant(request=req, end_user=provider.user)
        response: Response = server.create_authorization_response(
            request=req, grant_user=provider.user, grant=grant
        )
        return response

    @app.post("/token")
    async def token(request: Request) -> Response:
        body = (await request.body()).decode()
        response: Response = server.create_token_response(request=Req(request, parse_qsl(body)))
        return response

    return app


@contextmanager
def running_provider(*, redirect_uri: str) -> Iterator[Provider]:
    provider = Provider(
        client=Client(
            client_id="wegwijs-staff",
            client_secret=secrets.token_urlsafe(24),
            redirect_uri=redirect_uri,
        )
    )
    with serving(provider_app(provider)) as url:
        provider.issuer = url
        yield provider
