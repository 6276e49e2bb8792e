"""A real OpenID Connect provider for the tests, built on Authlib's authorization server.

It stands in for the province's mail system: a login page (uid or address + password), the
authorization code grant with Authlib's ``OpenIDCode`` (ID tokens signed RS256 with a key made at
start, published at ``/jwks``) and ``CodeChallenge`` (PKCE, required here for every client),
discovery at ``/.well-known/openid-configuration``. It keeps nothing in cookies (it shares the host
127.0.0.1 with the app under test, and cookies do not tell ports apart).

Started by a test fixture on a free port of 127.0.0.1 in a thread of the test process; tests edit
``users`` and read ``authorizations`` (what each authorization request carried).
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, jsonify, render_template_string, request
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server

SCOPES = {"openid", "email", "profile"}


@dataclass
class ProviderUser:
    sub: str
    username: str
    password: str
    name: str
    email: str | None
    email_verified: bool = True


@dataclass
class RegisteredClient(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    auth_method: str = "client_secret_basic"

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope):
        return " ".join(s for s in (scope or "").split() if s in SCOPES)

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return hmac.compare_digest(self.client_secret.encode(), (client_secret or "").encode())

    def check_endpoint_auth_method(self, method, endpoint):
        return endpoint != "token" or method == self.auth_method

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class IssuedCode(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    sub: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))
    expires_at: float = field(default_factory=lambda: time.time() + 60)

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return None

    def get_amr(self):
        return None


LOGIN_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Thư công vụ — đăng nhập</title></head>
<body><h1>Hệ thống thư công vụ tỉnh (máy chủ thử nghiệm)</h1>
<p>Ứng dụng <b>{{ client_id }}</b> muốn biết bạn là ai.</p>
{% if error %}<p role="alert" id="error">{{ error }}</p>{% endif %}
<form method="post">
<label for="username">Tên đăng nhập thư</label> <input id="username" name="username" autocomplete="username">
<label for="password">Mật khẩu thư</label> <input id="password" name="password" type="password">
<button type="submit">Đăng nhập thư công vụ</button>
</form></body></html>"""


class TestProvider:
    def __init__(self):
        self.users: dict[str, ProviderUser] = {}
        self.clients: dict[str, RegisteredClient] = {}
        self.codes: dict[str, IssuedCode] = {}
        self.authorizations: list[dict] = []  # what each authorization request carried
        self.key = RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(4), "use": "sig"})
        self.issuer = ""
        self.app = self._make_app()
        self._server = None
        self._thread = None

    # -- set-up by the tests --------------------------------------------------------------------
    def add_user(self, user: ProviderUser) -> ProviderUser:
        self.users[user.username] = user
        return user

    def register_client(self, client_id: str, client_secret: str, redirect_uris: list[str]) -> RegisteredClient:
        client = RegisteredClient(client_id, client_secret, list(redirect_uris))
        self.clients[client_id] = client
        return client

    def start(self) -> str:
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.issuer = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self.issuer

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None

    # -- the provider ---------------------------------------------------------------------------
    def _make_app(self) -> Flask:
        provider = self
        app = Flask("test_oidc_provider")
        app.config["SESSION_COOKIE_NAME"] = "test_provider_session"  # never set: no session is used

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

            def save_authorization_code(self, code, req):
                data = req.payload.data
                provider.codes[code] = IssuedCode(
                    code=code,
                    client_id=req.client.get_client_id(),
                    redirect_uri=req.payload.redirect_uri,
                    scope=req.payload.scope,
                    sub=req.user.sub,
                    nonce=data.get("nonce"),
                    code_challenge=data.get("code_challenge"),
                    code_challenge_method=data.get("code_challenge_method"),
                )

            def query_authorization_code(self, code, client):
                issued = provider.codes.get(code)
                if issued and issued.client_id == client.get_client_id() and issued.expires_at > time.time():
                    return issued
                return None

            def delete_authorization_code(self, authorization_code):
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code):
                return next((u for u in provider.users.values() if u.sub == authorization_code.sub), None)

        class PkceEveryClient(CodeChallenge):
            """The province's provider insists on PKCE (S256), confidential clients included."""

            def validate_code_challenge(self, grant, redirect_uri):
                if grant.request.payload.data.get("code_challenge_method") != "S256":
                    raise InvalidRequestError("PKCE with S256 is required")
                return super().validate_code_challenge(grant, redirect_uri)

        class OpenID(OpenIDCode):
            def exists_nonce(self, nonce, req):
                return any(c.nonce == nonce for c in provider.codes.values())

            def resolve_client_private_key(self, client):
                return provider.key

            def get_client_claims(self, client):
                return {"iss": provider.issuer, "aud": [client.get_client_id()], "exp": int(time.time()) + 300}

            def generate_user_info(self, user, scope):
                info = UserInfo(sub=user.sub)
                if "profile" in scope:
                    info["name"] = user.name
                if "email" in scope and user.email is not None:
                    info["email"] = user.email
                    info["email_verified"] = user.email_verified
                return info

        server = AuthorizationServer(
            app, query_client=lambda client_id: provider.clients.get(client_id), save_token=lambda token, req: None
        )
        server.register_grant(CodeGrant, [OpenID(require_nonce=True), PkceEveryClient(required=True)])

        @app.get("/.well-known/openid-configuration")
        def discovery():
            base = provider.issuer
            return jsonify(
                issuer=base,
                authorization_endpoint=f"{base}/authorize",
                token_endpoint=f"{base}/token",
                jwks_uri=f"{base}/jwks",
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
                scopes_supported=sorted(SCOPES),
                token_endpoint_auth_methods_supported=CodeGrant.TOKEN_ENDPOINT_AUTH_METHODS,
                code_challenge_methods_supported=["S256"],
                claims_supported=["sub", "name", "email", "email_verified"],
            )

        @app.get("/jwks")
        def jwks():
            return jsonify(KeySet([provider.key]).as_dict(private=False))

        @app.route("/authorize", methods=["GET", "POST"])
        def authorize():
            try:
                grant = server.get_consent_grant(end_user=None)
            except Exception as exc:  # an invalid request: show it, as a provider does
                return render_template_string("<p id='error'>{{ e }}</p>", e=repr(exc)), 400
            args = request.args
            if request.method == "GET":
                return render_template_string(LOGIN_PAGE, client_id=args.get("client_id"), error=None)
            login = (request.form.get("username") or "").strip().lower()
            user = provider.users.get(login) or next(
                (u for u in provider.users.values() if u.email and u.email.lower() == login), None
            )
            typed = request.form.get("password", "").encode()
            if user is None or not hmac.compare_digest(user.password.encode(), typed):
                error = "Sai tên đăng nhập hoặc mật khẩu thư."
                return render_template_string(LOGIN_PAGE, client_id=args.get("client_id"), error=error), 401
            provider.authorizations.append(
                {k: args.get(k) for k in ("state", "nonce", "code_challenge", "code_challenge_method", "redirect_uri")}
            )
            return server.create_authorization_response(grant=grant, grant_user=user)

        @app.post("/token")
        def token():
            return server.create_token_response()

        return app
